import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../util/rng';

/** A batch ready for a model: inputs reshaped to the model's input shape, one-hot labels. */
export interface Batch {
  readonly x: tf.Tensor;
  readonly y: tf.Tensor2D;
  readonly size: number;
}

/** Features as a source stores them: float32, or uint8 (images) turned into floats one batch at a time. */
export type FeatureArray = Float32Array | Uint8Array;

/** Class ids, one per example; wide enough for any number of classes. */
export type LabelArray = Uint8Array | Uint16Array | Int32Array;

/**
 * How stored features become the floats a model sees: `value · scale + offset`, then, when
 * `mean`/`std` are given, `(v − mean[c]) / std[c]` per channel (the last axis, channels-last).
 */
export interface FeatureDecoding {
  readonly scale?: number;
  readonly offset?: number;
  readonly mean?: readonly number[];
  readonly std?: readonly number[];
}

/** The smallest label array that holds ids below `classes`. */
export function labelArray(length: number, classes: number): LabelArray {
  return classes <= 256 ? new Uint8Array(length) : classes <= 65536 ? new Uint16Array(length) : new Int32Array(length);
}

/**
 * An in-memory classification dataset: features (float32, or uint8 decoded per batch, so
 * 60,000 MNIST digits take 47 MB rather than 188 MB) and integer labels. Batches are reshaped
 * to whatever input shape the model declares, so the same digits feed an MLP ([784]) and a
 * CNN ([28,28,1]).
 */
export class ArrayDataset {
  readonly featureSize: number;
  readonly decoding: Required<Pick<FeatureDecoding, 'scale' | 'offset'>> & Pick<FeatureDecoding, 'mean' | 'std'>;

  constructor(
    readonly name: string,
    readonly features: FeatureArray,
    readonly labels: LabelArray,
    readonly featureShape: readonly number[],
    readonly numClasses: number,
    decoding: FeatureDecoding = {},
  ) {
    this.featureSize = featureShape.reduce((a, b) => a * b, 1);
    if (features.length !== labels.length * this.featureSize) {
      throw new Error(`dataset ${name}: ${features.length} features do not fit ${labels.length} labels of size ${this.featureSize}`);
    }
    const channels = featureShape[featureShape.length - 1] ?? 1;
    for (const key of ['mean', 'std'] as const) {
      const v = decoding[key];
      if (v && v.length !== channels) throw new Error(`dataset ${name}: ${key} has ${v.length} values, the features have ${channels} channels`);
    }
    this.decoding = { scale: decoding.scale ?? 1, offset: decoding.offset ?? 0, mean: decoding.mean, std: decoding.std };
  }

  get size(): number {
    return this.labels.length;
  }

  /** The examples at `indices`, in that order. */
  subset(indices: ArrayLike<number>, name = this.name): ArrayDataset {
    const f = this.features instanceof Float32Array ? new Float32Array(indices.length * this.featureSize) : new Uint8Array(indices.length * this.featureSize);
    const l = labelArray(indices.length, this.numClasses);
    for (let i = 0; i < indices.length; i++) {
      const src = indices[i];
      f.set(this.features.subarray(src * this.featureSize, (src + 1) * this.featureSize), i * this.featureSize);
      l[i] = this.labels[src];
    }
    return new ArrayDataset(name, f, l, this.featureShape, this.numClasses, this.decoding);
  }

  /** The first `n` examples (all when n is undefined or larger). */
  take(n: number | undefined): ArrayDataset {
    if (n === undefined || n >= this.size) return this;
    return this.subset(Array.from({ length: n }, (_, i) => i));
  }

  /** Examples per class. */
  classCounts(): number[] {
    const counts = new Array<number>(this.numClasses).fill(0);
    for (let i = 0; i < this.size; i++) counts[this.labels[i]]++;
    return counts;
  }

  /**
   * `n` examples in the dataset's order with each class represented in proportion to its
   * share (largest remainders; every class at least once when n allows), so a limit on a
   * dataset sorted by class still sees every class. All examples when n is undefined or larger.
   */
  stratified(n: number | undefined): ArrayDataset {
    if (n === undefined || n >= this.size) return this;
    const counts = this.classCounts();
    const present = counts.filter((c) => c > 0).length;
    const exact = counts.map((c) => (c * n) / this.size);
    const quota = exact.map(Math.floor);
    if (n >= present) counts.forEach((c, k) => c > 0 && quota[k] === 0 && (quota[k] = 1));
    let left = n - quota.reduce((a, b) => a + b, 0);
    // Largest remainders first; ties to the lower class id, so the result is deterministic.
    const byRemainder = exact.map((e, k) => k).sort((a, b) => exact[b] - quota[b] - (exact[a] - quota[a]) || a - b);
    for (const k of byRemainder) {
      if (left <= 0) break;
      if (quota[k] < counts[k]) {
        quota[k]++;
        left--;
      }
    }
    // Rounding every present class up to one can overshoot: take back from the largest quotas.
    while (left < 0) {
      quota[quota.indexOf(quota.reduce((a, b) => Math.max(a, b), 0))]--;
      left++;
    }
    const indices: number[] = [];
    for (let i = 0; i < this.size && indices.length < n; i++) {
      const k = this.labels[i];
      if (quota[k] > 0) {
        quota[k]--;
        indices.push(i);
      }
    }
    return this.subset(indices);
  }

  /** The same examples in a random order drawn from `rng`. */
  shuffled(rng: Rng, name = this.name): ArrayDataset {
    return this.subset(rng.shuffle(Array.from({ length: this.size }, (_, i) => i)), name);
  }

  /** Splits off the last `fraction` of examples (e.g. for validation). */
  split(fraction: number): [ArrayDataset, ArrayDataset] {
    const cut = Math.round(this.size * (1 - fraction));
    const idx = Array.from({ length: this.size }, (_, i) => i);
    return [this.subset(idx.slice(0, cut), `${this.name}-train`), this.subset(idx.slice(cut), `${this.name}-val`)];
  }

  /** Example `src`'s features as the model sees them, written into `out` at `at`. */
  private decodeInto(src: number, out: Float32Array, at: number): void {
    const from = this.features.subarray(src * this.featureSize, (src + 1) * this.featureSize);
    const { scale, offset, mean, std } = this.decoding;
    if (scale === 1 && offset === 0 && !mean && !std && from instanceof Float32Array) {
      out.set(from, at);
      return;
    }
    const channels = mean || std ? this.featureShape[this.featureShape.length - 1] : 1;
    for (let j = 0; j < from.length; j++) {
      let v = from[j] * scale + offset;
      if (mean) v -= mean[j % channels];
      if (std) v /= std[j % channels];
      out[at + j] = v;
    }
  }

  /** One batch of examples [start, end) in `order` (identity when omitted). */
  batch(start: number, end: number, inputShape: readonly number[], order?: ArrayLike<number>): Batch {
    const n = Math.max(0, Math.min(end, this.size) - start);
    const f = new Float32Array(n * this.featureSize);
    const y = new Float32Array(n * this.numClasses);
    for (let i = 0; i < n; i++) {
      const src = order ? order[start + i] : start + i;
      this.decodeInto(src, f, i * this.featureSize);
      y[i * this.numClasses + this.labels[src]] = 1;
    }
    return {
      x: tf.tensor(f, [n, ...inputShape]),
      y: tf.tensor2d(y, [n, this.numClasses]),
      size: n,
    };
  }

  /** Yields batches covering the dataset once, shuffled by `rng` when given. */
  *batches(batchSize: number, inputShape: readonly number[], rng?: Rng): Generator<Batch> {
    const order = Array.from({ length: this.size }, (_, i) => i);
    if (rng) rng.shuffle(order);
    for (let start = 0; start < this.size; start += batchSize) {
      yield this.batch(start, start + batchSize, inputShape, order);
    }
  }
}

/** The per-example input shape a model expects (its batch dimension dropped). */
export function modelInputShape(model: tf.LayersModel): number[] {
  const shape = model.inputs[0].shape;
  return shape.slice(1).map((d, i) => {
    if (d === null) throw new Error(`model input dimension ${i + 1} is not fixed`);
    return d;
  });
}

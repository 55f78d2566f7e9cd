import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../util/rng';

/** A batch ready for a model: inputs reshaped to the model's input shape, one-hot labels. */
export interface Batch {
  readonly x: tf.Tensor;
  readonly y: tf.Tensor2D;
  readonly size: number;
}

/**
 * An in-memory classification dataset: flat float features and integer labels. Batches are
 * reshaped to whatever input shape the model declares, so the same digits feed an MLP
 * ([784]) and a CNN ([28,28,1]).
 */
export class ArrayDataset {
  readonly featureSize: number;

  constructor(
    readonly name: string,
    readonly features: Float32Array,
    readonly labels: Uint8Array,
    readonly featureShape: readonly number[],
    readonly numClasses: number,
  ) {
    this.featureSize = featureShape.reduce((a, b) => a * b, 1);
    if (features.length !== labels.length * this.featureSize) {
      throw new Error(`dataset ${name}: ${features.length} features do not fit ${labels.length} labels of size ${this.featureSize}`);
    }
  }

  get size(): number {
    return this.labels.length;
  }

  /** The examples at `indices`, in that order. */
  subset(indices: ArrayLike<number>, name = this.name): ArrayDataset {
    const f = new Float32Array(indices.length * this.featureSize);
    const l = new Uint8Array(indices.length);
    for (let i = 0; i < indices.length; i++) {
      const src = indices[i];
      f.set(this.features.subarray(src * this.featureSize, (src + 1) * this.featureSize), i * this.featureSize);
      l[i] = this.labels[src];
    }
    return new ArrayDataset(name, f, l, this.featureShape, this.numClasses);
  }

  /** The first `n` examples (all when n is undefined or larger). */
  take(n: number | undefined): ArrayDataset {
    if (n === undefined || n >= this.size) return this;
    return this.subset(Array.from({ length: n }, (_, i) => i));
  }

  /** Splits off the last `fraction` of examples (e.g. for validation). */
  split(fraction: number): [ArrayDataset, ArrayDataset] {
    const cut = Math.round(this.size * (1 - fraction));
    const idx = Array.from({ length: this.size }, (_, i) => i);
    return [this.subset(idx.slice(0, cut), `${this.name}-train`), this.subset(idx.slice(cut), `${this.name}-val`)];
  }

  /** One batch of examples [start, end) in `order` (identity when omitted). */
  batch(start: number, end: number, inputShape: readonly number[], order?: ArrayLike<number>): Batch {
    const n = Math.max(0, Math.min(end, this.size) - start);
    const f = new Float32Array(n * this.featureSize);
    const y = new Float32Array(n * this.numClasses);
    for (let i = 0; i < n; i++) {
      const src = order ? order[start + i] : start + i;
      f.set(this.features.subarray(src * this.featureSize, (src + 1) * this.featureSize), i * this.featureSize);
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

import * as tf from '@tensorflow/tfjs';
import { CLASSIFICATION, Task } from '../training/task';
import type { Rng } from '../util/rng';
import { featureArray, FeatureArray, FeatureRows, MemoryRows } from './rows';

export type { FeatureArray } from './rows';

/** A batch ready for a model: inputs reshaped to the model's input shape, one-hot labels. */
export interface Batch {
  readonly x: tf.Tensor;
  readonly y: tf.Tensor2D;
  readonly size: number;
}

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

/** A dataset's decoding, and for tasks other than classification its float targets and task. */
export interface DatasetOptions extends FeatureDecoding {
  /**
   * Float targets, `targetWidth` per example (a regression's values, a multilabel task's 0/1
   * labels). Labels then only group examples for stratified subsets (one group: all zeros).
   */
  readonly targets?: Float32Array;
  /** How the data are scored; classification unless said otherwise. */
  readonly task?: Task;
}

/** The smallest label array that holds ids below `classes`. */
export function labelArray(length: number, classes: number): LabelArray {
  return classes <= 256 ? new Uint8Array(length) : classes <= 65536 ? new Uint16Array(length) : new Int32Array(length);
}

/**
 * A dataset and its task: features (float32, or uint8 decoded per batch, so 60,000 MNIST
 * digits take 47 MB rather than 188 MB; in memory, or on disk and read a batch at a time),
 * integer labels, and float targets for tasks that are not classification. Batches are
 * reshaped to whatever input shape the model declares, so the same digits feed an MLP ([784])
 * and a CNN ([28,28,1]); their targets take the form the task asks for.
 */
export class ArrayDataset {
  readonly featureSize: number;
  /** Where the feature rows live. */
  readonly rows: FeatureRows;
  readonly decoding: Required<Pick<FeatureDecoding, 'scale' | 'offset'>> & Pick<FeatureDecoding, 'mean' | 'std'>;
  readonly targets?: Float32Array;
  /** Values per example in `targets` (0 without targets). */
  readonly targetWidth: number;
  readonly task: Task;

  constructor(
    readonly name: string,
    features: FeatureArray | FeatureRows,
    readonly labels: LabelArray,
    readonly featureShape: readonly number[],
    readonly numClasses: number,
    options: DatasetOptions = {},
  ) {
    this.featureSize = featureShape.reduce((a, b) => a * b, 1);
    this.rows = ArrayBuffer.isView(features) ? new MemoryRows(features, this.featureSize) : features;
    if (this.rows.rowSize !== this.featureSize || this.rows.count !== labels.length) {
      throw new Error(`dataset ${name}: ${this.rows.count * this.rows.rowSize} features do not fit ${labels.length} labels of size ${this.featureSize}`);
    }
    const decoding = options;
    this.targets = options.targets;
    this.targetWidth = options.targets && labels.length > 0 ? options.targets.length / labels.length : 0;
    if (options.targets && !Number.isInteger(this.targetWidth)) throw new Error(`dataset ${name}: ${options.targets.length} targets do not divide among ${labels.length} examples`);
    this.task = options.task ?? CLASSIFICATION;
    if (this.task.targets === 'targets' && !options.targets) throw new Error(`dataset ${name}: a ${this.task.kind} task needs float targets, and the data have class labels only`);
    if (this.task.targets === 'binary-label' && numClasses !== 2) throw new Error(`dataset ${name}: a binary task needs two classes, the data have ${numClasses}`);
    const channels = featureShape[featureShape.length - 1] ?? 1;
    for (const key of ['mean', 'std'] as const) {
      const v = decoding[key];
      if (v && v.length !== channels) throw new Error(`dataset ${name}: ${key} has ${v.length} values, the features have ${channels} channels`);
    }
    this.decoding = { scale: decoding.scale ?? 1, offset: decoding.offset ?? 0, mean: decoding.mean, std: decoding.std };
  }

  /** The feature values row after row; only for data held in memory (a source's own statistics, say). */
  get features(): FeatureArray {
    const values = this.rows.inMemory;
    if (!values) throw new Error(`dataset ${this.name} keeps its features on disk; read them a batch at a time`);
    return values;
  }

  /** The options that rebuild this dataset's decoding, targets and task around other arrays. */
  private optionsWith(targets: Float32Array | undefined, task = this.task): DatasetOptions {
    return { ...this.decoding, targets, task };
  }

  /** The same examples scored as `task` (checked against the data: a regression needs targets). */
  withTask(task: Task): ArrayDataset {
    return new ArrayDataset(this.name, this.rows, this.labels, this.featureShape, this.numClasses, this.optionsWith(this.targets, task));
  }

  get size(): number {
    return this.labels.length;
  }

  /** The examples at `indices`, in that order (features copied in memory; on disk, the same file read in the new order). */
  subset(indices: ArrayLike<number>, name = this.name): ArrayDataset {
    const l = labelArray(indices.length, this.numClasses);
    const w = this.targetWidth;
    const t = this.targets ? new Float32Array(indices.length * w) : undefined;
    for (let i = 0; i < indices.length; i++) {
      const src = indices[i];
      l[i] = this.labels[src];
      if (t) t.set(this.targets!.subarray(src * w, (src + 1) * w), i * w);
    }
    return new ArrayDataset(name, this.rows.select(indices), l, this.featureShape, this.numClasses, this.optionsWith(t));
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

  /**
   * A seeded train/test split that puts `fraction` of each class (of all examples, when the
   * labels are one group, as for regression) in the test part; both parts keep the
   * dataset's order. For sources without a test set of their own.
   */
  splitByClass(fraction: number, rng: Rng, names: readonly [string, string] = [`${this.name}-train`, `${this.name}-test`]): [ArrayDataset, ArrayDataset] {
    const [trainIdx, testIdx] = splitIndicesByClass(this.labels, fraction, rng);
    return [this.subset(trainIdx, names[0]), this.subset(testIdx, names[1])];
  }

  /** Splits off the last `fraction` of examples (e.g. for validation). */
  split(fraction: number): [ArrayDataset, ArrayDataset] {
    const cut = Math.round(this.size * (1 - fraction));
    const idx = Array.from({ length: this.size }, (_, i) => i);
    return [this.subset(idx.slice(0, cut), `${this.name}-train`), this.subset(idx.slice(cut), `${this.name}-val`)];
  }

  /** Stored feature values `from` (one example's) as the model sees them, written into `out` at `at`. */
  private decodeInto(from: FeatureArray, out: Float32Array, at: number): void {
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

  /** Values per example of a batch's targets under the task: the classes one-hot, one 0/1 label, or the float targets. */
  get yWidth(): number {
    return this.task.targets === 'one-hot' ? this.numClasses : this.task.targets === 'binary-label' ? 1 : this.targetWidth;
  }

  /** One batch of examples [start, end) in `order` (identity when omitted), targets in the task's form. */
  batch(start: number, end: number, inputShape: readonly number[], order?: ArrayLike<number>): Batch {
    const n = Math.max(0, Math.min(end, this.size) - start);
    const size = this.featureSize;
    const f = new Float32Array(n * size);
    const width = this.yWidth;
    const y = new Float32Array(n * width);
    // Rows in memory are decoded where they are; rows on disk are read first, in one go.
    const inMemory = this.rows.inMemory;
    let read: FeatureArray | undefined;
    if (!inMemory) {
      read = featureArray(this.rows.dtype, n * size);
      this.rows.read(batchIndices(start, n, order), read);
    }
    for (let i = 0; i < n; i++) {
      const src = order ? order[start + i] : start + i;
      this.decodeInto(inMemory ? inMemory.subarray(src * size, (src + 1) * size) : read!.subarray(i * size, (i + 1) * size), f, i * size);
      if (this.task.targets === 'one-hot') y[i * width + this.labels[src]] = 1;
      else if (this.task.targets === 'binary-label') y[i] = this.labels[src];
      else y.set(this.targets!.subarray(src * width, (src + 1) * width), i * width);
    }
    return {
      x: tf.tensor(f, [n, ...inputShape]),
      y: tf.tensor2d(y, [n, width]),
      size: n,
    };
  }

  /**
   * Yields batches covering the dataset once, shuffled by `rng` when given. Rows on disk are
   * read one batch ahead, in the background, while the caller works on the current batch.
   */
  *batches(batchSize: number, inputShape: readonly number[], rng?: Rng): Generator<Batch> {
    const order = Array.from({ length: this.size }, (_, i) => i);
    if (rng) rng.shuffle(order);
    const ahead = (start: number): void => {
      if (!this.rows.inMemory && start < this.size) this.rows.readAhead(batchIndices(start, Math.min(batchSize, this.size - start), order));
    };
    ahead(0);
    for (let start = 0; start < this.size; start += batchSize) {
      ahead(start + batchSize);
      yield this.batch(start, start + batchSize, inputShape, order);
    }
  }
}

/** The example indices of a batch of `n` from `start` in `order` (identity when omitted). */
function batchIndices(start: number, n: number, order?: ArrayLike<number>): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = order ? order[start + i] : start + i;
  return out;
}

/**
 * Indices of a seeded train/test split that puts `fraction` of each class in the test part,
 * both in ascending order: what `splitByClass` takes, for sources that split before they
 * decode (so that no split is ever copied).
 */
export function splitIndicesByClass(labels: ArrayLike<number>, fraction: number, rng: Rng): [number[], number[]] {
  const groups = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const members = groups.get(labels[i]);
    if (members) members.push(i);
    else groups.set(labels[i], [i]);
  }
  const testIdx: number[] = [];
  const trainIdx: number[] = [];
  for (const [, members] of [...groups].sort((a, b) => a[0] - b[0])) {
    rng.shuffle(members);
    const cut = Math.round(members.length * fraction);
    for (let j = 0; j < members.length; j++) (j < cut ? testIdx : trainIdx).push(members[j]);
  }
  return [trainIdx.sort((a, b) => a - b), testIdx.sort((a, b) => a - b)];
}

/**
 * True for an ArrayDataset, checked by shape rather than instanceof: a plugin or dataset
 * module may bring its own copy of core.
 */
export function isArrayDataset(value: unknown): value is ArrayDataset {
  const d = value as ArrayDataset | undefined;
  return typeof d?.batch === 'function' && ArrayBuffer.isView(d.labels) && typeof d.rows?.read === 'function';
}

/** The per-example input shape a model expects (its batch dimension dropped). */
export function modelInputShape(model: tf.LayersModel): number[] {
  const shape = model.inputs[0].shape;
  return shape.slice(1).map((d, i) => {
    if (d === null) throw new Error(`model input dimension ${i + 1} is not fixed`);
    return d;
  });
}

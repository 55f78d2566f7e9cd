import { ArrayDataset, PrunableWeight, Rng, tf } from '@nncompress/core';
import { Task } from '@nncompress/core/training';
import { modelInputShape } from '@nncompress/core/data';
import type { RetentionPlan } from './retain';
import type { MaskFitness } from './search';

/** A seeded sample of `examples` training examples: the set every mask's loss is measured on. */
export function calibrationSample(data: ArrayDataset, examples: number, rng: Rng): ArrayDataset {
  if (data.size === 0) throw new Error(`the calibration set is empty (${data.name} has no examples)`);
  const order = rng.shuffle(Array.from({ length: data.size }, (_, i) => i));
  return data.subset(order.slice(0, Math.min(examples, data.size)).sort((a, b) => a - b), `${data.name}-calibration`);
}

/**
 * The mean task loss (cross-entropy for classification) on `data` of `model` with its plan weights masked by the current
 * keep bits. It writes masked kernels into the model's variables while it is in use (only
 * the weights a flip touched since the last loss); `restore` writes the original values
 * back bit for bit and frees the calibration tensors.
 */
export class CalibrationLoss implements MaskFitness {
  private readonly original: Float32Array[];
  private readonly weights: PrunableWeight[];
  private readonly keep: Uint8Array;
  private readonly dirty = new Set<number>();
  private readonly x: tf.Tensor;
  private readonly y: tf.Tensor;
  private readonly task: Task;

  constructor(
    private readonly model: tf.LayersModel,
    weights: readonly PrunableWeight[],
    private readonly plan: Pick<RetentionPlan, 'names' | 'offsets' | 'size'>,
    keep: Uint8Array,
    data: ArrayDataset,
  ) {
    const byName = new Map(weights.map((w) => [w.name, w] as const));
    this.weights = plan.names.map((name) => {
      const w = byName.get(name);
      if (!w) throw new Error(`the model has no prunable weight "${name}"`);
      return w;
    });
    this.original = this.weights.map((w) => (w.variable.read().dataSync() as Float32Array).slice());
    this.keep = keep.slice();
    this.weights.forEach((_, i) => this.dirty.add(i));
    const batch = data.batch(0, data.size, modelInputShape(model));
    this.task = data.task;
    this.x = batch.x;
    this.y = batch.y;
  }

  flip(positions: readonly number[]): void {
    for (const p of positions) {
      this.keep[p] ^= 1;
      this.dirty.add(this.weightOf(p));
    }
  }

  loss(): number {
    for (const w of this.dirty) {
      const values = this.original[w].slice();
      const offset = this.plan.offsets[w];
      // Zero, not w·0: −0 would differ from what core's masks write.
      for (let i = 0; i < values.length; i++) if (!this.keep[offset + i]) values[i] = 0;
      this.write(w, values);
    }
    this.dirty.clear();
    // The calibration loss is the run's task loss (cross-entropy for classification).
    return tf.tidy(() => this.task.lossOf(this.y, this.model.predict(this.x) as tf.Tensor).dataSync()[0]);
  }

  /** Loss of any keep mask (the plan's layout), leaving the current state as it was. */
  lossOf(keep: Uint8Array): number {
    const changed: number[] = [];
    for (let p = 0; p < keep.length; p++) if (keep[p] !== this.keep[p]) changed.push(p);
    this.flip(changed);
    const loss = this.loss();
    this.flip(changed);
    return loss;
  }

  restore(): void {
    this.weights.forEach((_, w) => this.write(w, this.original[w]));
    tf.dispose([this.x, this.y]);
  }

  private write(w: number, values: Float32Array): void {
    const weight = this.weights[w];
    const t = tf.tensor(values, weight.shape as number[]);
    weight.variable.write(t);
    t.dispose();
  }

  private weightOf(position: number): number {
    const { offsets } = this.plan;
    let lo = 0;
    let hi = offsets.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (offsets[mid] <= position) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
}

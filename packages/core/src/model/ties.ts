/**
 * Weight ties: entries of a weight that share one value (weight sharing's clusters, Han, Mao
 * & Dally 2016). Like masks, they live in the run's model state and the trainer keeps them:
 * the entries of a cluster get the sum of their gradients, so every optimizer moves them
 * alike, and after each step each cluster is set to its members' mean, so they stay one
 * value to the bit. Entries tied to `PINNED_ZERO` stay exactly +0 (pruned weights).
 */
import * as tf from '@tensorflow/tfjs';
import { fromHalf, HALF_MAX, toHalf } from '@nncompress/format';

/** The cluster index of an entry held at +0. */
export const PINNED_ZERO = -1;

/** One weight's ties: a cluster index per entry (or `PINNED_ZERO`), and how many clusters. */
export interface WeightTie {
  readonly clusters: Int32Array;
  readonly count: number;
  /** Each cluster's value kept on float16's grid (its mean rounded to the nearest float16), so a codebook can store it in 16 bits. */
  readonly float16?: boolean;
}

/**
 * The float16 number nearest to `x`, as a float32 number; `x` itself beyond float16's range
 * (±65,504), where rounding would give an infinity: such a value stays exact, and a codebook
 * that meets it stores its entries in 32 bits.
 */
export function nearestFloat16(x: number): number {
  return Math.abs(x) <= HALF_MAX ? fromHalf(toHalf(x)) : Math.fround(x);
}

/** The ties of a model's shared weights, by weight name. */
export class WeightTies {
  private readonly ties = new Map<string, WeightTie>();

  get size(): number {
    return this.ties.size;
  }

  names(): string[] {
    return [...this.ties.keys()];
  }

  get(name: string): WeightTie | undefined {
    return this.ties.get(name);
  }

  /** Ties one weight; the array is owned by the set afterwards. With `float16`, its clusters' values stay on float16's grid. */
  set(name: string, clusters: Int32Array, count: number, options: { readonly float16?: boolean } = {}): void {
    for (let i = 0; i < clusters.length; i++) {
      if (clusters[i] >= count || clusters[i] < PINNED_ZERO) throw new Error(`ties of "${name}": entry ${i} is in cluster ${clusters[i]}, outside 0..${count - 1}`);
    }
    this.ties.set(name, { clusters, count, ...(options.float16 ? { float16: true } : {}) });
  }

  clear(): void {
    this.ties.clear();
  }

  /** Throws unless every tie names a weight of `model` with as many entries (a structured prune after sharing breaks them). */
  check(model: tf.LayersModel): void {
    const byName = new Map(model.weights.map((w) => [w.name, w] as const));
    for (const [name, tie] of this.ties) {
      const w = byName.get(name);
      const size = w ? w.shape.reduce<number>((n, d) => n * (d ?? 0), 1) : -1;
      if (size !== tie.clusters.length) {
        throw new Error(`weight ties of "${name}" cover ${tie.clusters.length} entries, and the model ${w ? `has ${size}` : 'has no such weight'}: share weights after the last structural change`);
      }
    }
  }

  /** Sets every tied weight of `model` to its clusters' means (pinned entries to +0), in place. */
  apply(model: tf.LayersModel): void {
    if (this.ties.size === 0) return;
    this.check(model);
    const byName = new Map(model.weights.map((w) => [w.name, w] as const));
    for (const [name, tie] of this.ties) {
      const w = byName.get(name)!;
      const values = w.read().dataSync() as Float32Array;
      const projected = projectToMeans(values, tie);
      tf.tidy(() => {
        w.write(tf.tensor(projected, w.shape.map((d) => d ?? 0)));
      });
    }
  }
}

/** Per-cluster sums of `values` (float64, in entry order: deterministic). */
function clusterSums(values: Float32Array, tie: WeightTie): Float64Array {
  const sums = new Float64Array(tie.count);
  const { clusters } = tie;
  for (let i = 0; i < values.length; i++) {
    const c = clusters[i];
    if (c >= 0) sums[c] += values[i];
  }
  return sums;
}

/** Each entry's cluster's summed gradient (0 for pinned entries): what every member is moved by. */
export function tiedGradient(gradient: Float32Array, tie: WeightTie): Float32Array {
  const sums = clusterSums(gradient, tie);
  const out = new Float32Array(gradient.length);
  const { clusters } = tie;
  for (let i = 0; i < out.length; i++) {
    const c = clusters[i];
    out[i] = c >= 0 ? sums[c] : 0;
  }
  return out;
}

/** Each entry set to its cluster's mean (on float16's grid for a `float16` tie; pinned entries to +0; an empty cluster has no entries to set). */
export function projectToMeans(values: Float32Array, tie: WeightTie): Float32Array {
  const sums = clusterSums(values, tie);
  const counts = new Float64Array(tie.count);
  const { clusters } = tie;
  for (let i = 0; i < values.length; i++) if (clusters[i] >= 0) counts[clusters[i]]++;
  const mean = (s: number, c: number): number => (counts[c] > 0 ? s / counts[c] : 0);
  const means = Float32Array.from(sums, tie.float16 ? (s, c) => nearestFloat16(mean(s, c)) : mean);
  const out = new Float32Array(values.length);
  for (let i = 0; i < out.length; i++) {
    const c = clusters[i];
    out[i] = c >= 0 ? means[c] : 0;
  }
  return out;
}

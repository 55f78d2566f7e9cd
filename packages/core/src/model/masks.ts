/**
 * Pruning masks for unstructured pruning: 1 keeps a weight, 0 prunes it. Applying a mask
 * writes exact zeros into the model's variables; the trainer re-applies masks after every
 * optimizer step so pruned weights stay exactly zero through fine-tuning.
 */
import * as tf from '@tensorflow/tfjs';
import { isKernelWeight } from './model-stats';

/** A weight tensor that unstructured pruning may act on. */
export interface PrunableWeight {
  /** Variable name, unique in the model, e.g. `conv1/kernel`. */
  readonly name: string;
  readonly layerName: string;
  readonly shape: readonly number[];
  readonly size: number;
  readonly variable: tf.LayerVariable;
}

/** The kernels of Dense/Conv layers, in layer order. */
export function prunableWeights(model: tf.LayersModel): PrunableWeight[] {
  const out: PrunableWeight[] = [];
  for (const layer of model.layers) {
    for (const variable of layer.weights) {
      if (!variable.trainable || !isKernelWeight(variable.originalName ?? variable.name)) continue;
      out.push({
        name: variable.name,
        layerName: layer.name,
        shape: variable.shape.map((d) => d ?? 0),
        size: variable.shape.reduce<number>((n, d) => n * (d ?? 0), 1),
        variable,
      });
    }
  }
  return out;
}

/** A boolean tensor of a 0/1 mask, for `applyMask`. */
export function maskTensor(mask: Uint8Array, shape: readonly number[]): tf.Tensor {
  return tf.tensor(mask, shape as number[], 'bool');
}

/**
 * Zeroes the entries of `values` where `keep` is false. Uses `where`, not multiplication,
 * because w·0 is −0 for negative w: a different bit pattern that would change the bytes of
 * the saved model and hurt encoders that look for zeros.
 */
export function applyMask(values: tf.Tensor, keep: tf.Tensor): tf.Tensor {
  return tf.where(keep, values, tf.zerosLike(values));
}

/** The 0/1 masks of a model's pruned weights, by weight name: `apply` writes the zeros, training re-applies them after every step so pruned weights stay zero. */
export class MaskSet {
  private readonly masks = new Map<string, Uint8Array>();
  private readonly tensors = new Map<string, tf.Tensor>();

  get size(): number {
    return this.masks.size;
  }

  names(): string[] {
    return [...this.masks.keys()];
  }

  get(name: string): Uint8Array | undefined {
    return this.masks.get(name);
  }

  /** Replaces the mask of one weight. The array is owned by the set afterwards. */
  set(name: string, mask: Uint8Array): void {
    this.masks.set(name, mask);
    this.tensors.get(name)?.dispose();
    this.tensors.delete(name);
  }

  /** Drops every mask (e.g. before re-keying them for a rebuilt model). */
  clear(): void {
    this.dispose();
    this.masks.clear();
  }

  /** Fraction of masked-out entries over all masked tensors (0 when empty). */
  prunedFraction(): number {
    let zeros = 0;
    let total = 0;
    for (const m of this.masks.values()) {
      total += m.length;
      for (let i = 0; i < m.length; i++) if (m[i] === 0) zeros++;
    }
    return total === 0 ? 0 : zeros / total;
  }

  /** Multiplies every masked weight of `model` by its mask, in place. */
  apply(model: tf.LayersModel): void {
    if (this.masks.size === 0) return;
    const byName = new Map(model.weights.map((w) => [w.name, w] as const));
    for (const [name, mask] of this.masks) {
      const variable = byName.get(name);
      if (!variable) throw new Error(`mask for unknown weight "${name}"`);
      let t = this.tensors.get(name);
      if (!t) {
        t = maskTensor(mask, variable.shape.map((d) => d ?? 0));
        this.tensors.set(name, t);
      }
      const keep = t;
      tf.tidy(() => {
        variable.write(applyMask(variable.read(), keep));
      });
    }
  }

  /** A deep copy; used to compare decisions across runs. */
  clone(): MaskSet {
    const copy = new MaskSet();
    for (const [k, v] of this.masks) copy.set(k, v.slice());
    return copy;
  }

  dispose(): void {
    for (const t of this.tensors.values()) t.dispose();
    this.tensors.clear();
  }
}

import * as tf from '@tensorflow/tfjs';
import { ArrayDataset } from '../datasets/dataset';
import { PrunableWeight } from '../model/masks';
import { Rng } from '../util/rng';
import { forEachGradient } from './train';

export interface TaylorOptions {
  readonly batches: number;
  readonly batchSize: number;
  readonly rng: Rng;
  /**
   * `first` (default): |w·g|. `second`: ½·w²·g², the diagonal-Fisher estimate of the loss
   * increase (g² of each batch's mean gradient stands in for the Fisher diagonal).
   */
  readonly order?: 'first' | 'second';
}

/**
 * Taylor importance of every entry of `weights`, averaged over `batches` calibration batches
 * of `data`: the estimated loss change when the entry is set to zero, first order |w·∂L/∂w|
 * or second order ½·(w·∂L/∂w)² (diagonal Fisher). Shared by every plugin that ranks weights
 * by it; reads the model, never changes it.
 */
export function taylorImportance(model: tf.LayersModel, weights: readonly PrunableWeight[], data: ArrayDataset, options: TaylorOptions): Map<string, Float32Array> {
  if (data.size === 0) throw new Error('Taylor importance needs training data for its calibration batches');
  const scores = new Map(weights.map((w) => [w.name, new Float32Array(w.size)] as const));
  forEachGradient(model, data, options, (grads) => {
    for (const w of weights) {
      const g = grads.get(w.name);
      if (!g) continue;
      const product = tf.tidy(() => {
        const wg = tf.mul(w.variable.read(), g);
        return (options.order === 'second' ? tf.mul(tf.square(wg), 0.5) : tf.abs(wg)).dataSync() as Float32Array;
      });
      const acc = scores.get(w.name) as Float32Array;
      for (let i = 0; i < acc.length; i++) acc[i] += product[i] / options.batches;
    }
  });
  return scores;
}

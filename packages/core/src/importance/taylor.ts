import * as tf from '@tensorflow/tfjs';
import type { ArrayDataset } from '../datasets/dataset';
import type { PrunableWeight } from '../model/masks';
import { forEachGradient } from '../training/train';
import { Rng } from '../util/rng';
import { defineImportance, ImportanceInput } from './measure';
import { tidyRead } from '../util/tidy-read';

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
      const [product] = tidyRead(() => {
        const wg = tf.mul(w.variable.read(), g);
        return [options.order === 'second' ? tf.mul(tf.square(wg), 0.5) : tf.abs(wg)];
      });
      const acc = scores.get(w.name) as Float32Array;
      for (let i = 0; i < acc.length; i++) acc[i] += product[i] / options.batches;
    }
  });
  return scores;
}

function taylorMeasure(order: 'first' | 'second', model: tf.LayersModel, weights: readonly PrunableWeight[], input: ImportanceInput, id: string): Map<string, Float32Array> {
  if (!input.data || input.data.size === 0) throw new Error(`the ${id} criterion needs training data for its calibration batches`);
  return taylorImportance(model, weights, input.data, { batches: input.batches ?? 8, batchSize: input.batchSize ?? 64, rng: input.rng ?? new Rng(0), order });
}

/** |w·∂L/∂w| (Molchanov et al., "Importance Estimation for Neural Network Pruning", 2019). */
export const taylor = defineImportance({
  id: 'taylor',
  granularity: 'weight',
  needsData: true,
  description: 'abs(w·∂L/∂w): the first-order estimate of the loss change when the weight is removed, averaged over calibration batches (Molchanov et al. 2019).',
  score: (model, weights, input) => taylorMeasure('first', model, weights, input, 'taylor'),
});

/** ½·(w·∂L/∂w)²: the diagonal-Fisher (second-order) estimate. */
export const taylorSecond = defineImportance({
  id: 'taylor-second',
  granularity: 'weight',
  needsData: true,
  description: '½·(w·∂L/∂w)²: the second-order (diagonal Fisher) estimate of the loss change when the weight is removed (Optimal Brain Damage, LeCun et al. 1990, with the Fisher diagonal for the Hessian).',
  score: (model, weights, input) => taylorMeasure('second', model, weights, input, 'taylor-second'),
});

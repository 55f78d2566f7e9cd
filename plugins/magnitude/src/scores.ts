import { ArrayDataset, prunableWeights, Rng, taylorImportance, tf } from '@nncompress/core';
import type { MagnitudeCriterion } from './schema';

/**
 * Importance of every entry of every prunable weight (outside `exclude`). Reads the model,
 * never changes it.
 */
export function scoreWeights(
  model: tf.LayersModel,
  criterion: MagnitudeCriterion,
  options: { exclude?: readonly string[]; data?: ArrayDataset; batches?: number; batchSize?: number; rng?: Rng } = {},
): Map<string, Float32Array> {
  const excluded = new Set(options.exclude ?? []);
  const weights = prunableWeights(model).filter((w) => !excluded.has(w.layerName));
  if (criterion === 'magnitude') {
    return new Map(weights.map((w) => [w.name, (w.variable.read().dataSync() as Float32Array).map(Math.abs)] as const));
  }
  if (!options.data || options.data.size === 0) throw new Error('the taylor criterion needs training data for its calibration batches');
  return taylorImportance(model, weights, options.data, { batches: options.batches ?? 8, batchSize: options.batchSize ?? 64, rng: options.rng ?? new Rng(0) });
}

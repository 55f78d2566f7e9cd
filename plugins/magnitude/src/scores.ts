import { ArrayDataset, importanceMeasures, prunableWeights, Rng, tf } from '@nncompress/core';
import { ImportanceRegistry } from '@nncompress/core/importance';

/**
 * Importance of every entry of every prunable weight (outside `exclude`) by the weight
 * measure `criterion` of `registry` (core's measures by default; a run passes its own, with
 * the configured plugins' measures). Reads the model, never changes it.
 */
export function scoreWeights(
  model: tf.LayersModel,
  criterion: string,
  options: { exclude?: readonly string[]; data?: ArrayDataset; batches?: number; batchSize?: number; rng?: Rng; registry?: Pick<ImportanceRegistry, 'measure'> } = {},
): Map<string, Float32Array> {
  const measure = (options.registry ?? importanceMeasures).measure(criterion, 'weight');
  const excluded = new Set(options.exclude ?? []);
  const weights = prunableWeights(model).filter((w) => !excluded.has(w.layerName));
  return measure.score(model, weights, { data: options.data, batches: options.batches ?? 8, batchSize: options.batchSize ?? 64, rng: options.rng ?? new Rng(0) });
}

import { ArrayDataset, importanceMeasures, prunableWeights, Rng, tf } from '@nncompress/core';
import { matchLayerNames } from '@nncompress/core/graph';
import type { SaliencyOrder } from './schema';

export interface SaliencyOptions {
  readonly exclude?: readonly string[];
  readonly batches?: number;
  readonly batchSize?: number;
  readonly rng?: Rng;
}

/**
 * Gradient saliency of every entry of every prunable weight outside `exclude`: the Taylor
 * estimate of the loss increase when the entry is removed (core's taylor and taylor-second measures),
 * averaged over calibration batches of `data`. Reads the model, never changes it.
 */
export function saliencyScores(model: tf.LayersModel, order: SaliencyOrder, data: ArrayDataset, options: SaliencyOptions = {}): Map<string, Float32Array> {
  if (data.size === 0) throw new Error(`the calibration set is empty (${data.name} has no examples)`);
  const excluded = matchLayerNames(options.exclude ?? [], model.layers.map((l) => l.name), 'exclude');
  const weights = prunableWeights(model).filter((w) => !excluded.has(w.layerName));
  // Core's Taylor measures: first order |w·g|, second order ½(w·g)² (diagonal Fisher).
  const measure = importanceMeasures.measure(order === 'second-order' ? 'taylor-second' : 'taylor', 'weight');
  return measure.score(model, weights, { data, batches: options.batches ?? 8, batchSize: options.batchSize ?? 64, rng: options.rng ?? new Rng(0) });
}

/** abs(w) of the named weights (core's magnitude measure), read from the model. */
export function magnitudeScores(model: tf.LayersModel, names: Iterable<string>): Map<string, Float32Array> {
  const byName = new Map(prunableWeights(model).map((w) => [w.name, w] as const));
  const weights = [...names].map((name) => {
    const w = byName.get(name);
    if (!w) throw new Error(`the model has no prunable weight "${name}"`);
    return w;
  });
  return importanceMeasures.measure('magnitude', 'weight').score(model, weights, {});
}

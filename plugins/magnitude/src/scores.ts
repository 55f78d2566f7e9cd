import { ArrayDataset, forEachGradient, prunableWeights, Rng, tf } from '@nncompress/core';
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
  const scores = new Map<string, Float32Array>();
  for (const w of weights) {
    const values = w.variable.read().dataSync() as Float32Array;
    scores.set(w.name, criterion === 'magnitude' ? values.map(Math.abs) : new Float32Array(values.length));
  }
  if (criterion === 'taylor') {
    if (!options.data || options.data.size === 0) throw new Error('the taylor criterion needs training data for its calibration batches');
    const batches = options.batches ?? 8;
    forEachGradient(model, options.data, { batches, batchSize: options.batchSize ?? 64, rng: options.rng ?? new Rng(0) }, (grads) => {
      for (const w of weights) {
        const g = grads.get(w.name);
        if (!g) continue;
        const product = tf.tidy(() => tf.abs(tf.mul(w.variable.read(), g)).dataSync() as Float32Array);
        const acc = scores.get(w.name)!;
        for (let i = 0; i < acc.length; i++) acc[i] += product[i] / batches;
      }
    });
  }
  return scores;
}

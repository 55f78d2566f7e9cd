import { ArrayDataset, prunableWeights, Rng, tf } from '@nncompress/core';
import { CalibrationLoss, calibrationSample } from './fitness';
import { masksOf, planRetention, RetentionPlan } from './retain';
import type { RetentionScope, RetentionSelector } from './schema';
import { magnitudeScores } from './scores';
import { annealRetention, RetentionSearchResult } from './search';

export interface RetentionSelectOptions {
  readonly rho: number;
  readonly scope: RetentionScope;
  readonly selector: RetentionSelector;
  /** search only. */
  readonly evaluations?: number;
  readonly calibrationExamples?: number;
  readonly candidates?: number;
  readonly moveFraction?: number;
  readonly onEvaluation?: (done: number, total: number, best: number) => void;
}

export interface RetentionSearchReport extends RetentionSearchResult {
  /** Calibration loss of plain magnitude pruning with the same kept counts, for reference. */
  readonly magnitudeLoss: number;
}

export interface RetentionSelection {
  readonly masks: Map<string, Uint8Array>;
  readonly plan: RetentionPlan;
  readonly search?: RetentionSearchReport;
}

/**
 * One selection round: the large set by abs(w) read from `model`, the pool ranked by
 * `saliency` (one score per entry of each weight to prune; weights without scores are not
 * pruned), then — for the search selector — annealing on the calibration loss of a seeded
 * sample of `data`. The model's weights are the same afterwards.
 */
export function selectRetention(
  model: tf.LayersModel,
  saliency: ReadonlyMap<string, Float32Array>,
  sparsity: number,
  options: RetentionSelectOptions,
  data: ArrayDataset,
  rng: Rng,
): RetentionSelection {
  if (data.size === 0) throw new Error(`the calibration set is empty (${data.name} has no examples)`);
  const weights = prunableWeights(model);
  const magnitudes = magnitudeScores(model, saliency.keys());
  const target = { sparsity, rho: options.rho, scope: options.scope, totalKernelSize: weights.reduce((n, w) => n + w.size, 0) };
  const plan = planRetention(magnitudes, saliency, target);
  if (options.selector === 'saliency') return { masks: masksOf(plan, plan.keep), plan };

  const calibration = calibrationSample(data, options.calibrationExamples ?? 1000, rng.fork('calibration'));
  const fitness = new CalibrationLoss(model, weights, plan, plan.keep, calibration);
  try {
    const magnitudeOnly = planRetention(magnitudes, magnitudes, { ...target, rho: 0 });
    const magnitudeLoss = fitness.lossOf(magnitudeOnly.keep);
    const result = annealRetention(plan, fitness, {
      evaluations: options.evaluations ?? 200,
      candidates: options.candidates ?? 4,
      moveFraction: options.moveFraction ?? 0.02,
      onEvaluation: options.onEvaluation,
    }, rng.fork('search'));
    return { masks: masksOf(plan, result.keep), plan, search: { ...result, magnitudeLoss } };
  } finally {
    fitness.restore();
  }
}

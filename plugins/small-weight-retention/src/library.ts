import { ArrayDataset, MaskSet, Rng, tf } from '@nncompress/core';
import type { RetentionScope, RetentionSelector, SaliencyOrder } from './schema';
import { saliencyScores } from './scores';
import { checkRho } from './retain';
import { RetentionSearchReport, selectRetention } from './select';

export interface RetainPruneOptions {
  /** Kernel sparsity to reach, in [0, 1). */
  readonly sparsity: number;
  /** Calibration data: gradients for the saliency, and the search's loss sample. */
  readonly data: ArrayDataset;
  readonly rho?: number;
  readonly scope?: RetentionScope;
  readonly selector?: RetentionSelector;
  readonly saliency?: SaliencyOrder;
  readonly exclude?: readonly string[];
  readonly calibrationBatches?: number;
  readonly batchSize?: number;
  readonly evaluations?: number;
  readonly calibrationExamples?: number;
  readonly candidates?: number;
  readonly moveFraction?: number;
  readonly seed?: number;
}

export interface RetainPruneResult {
  /** Pass to core's `train` to fine-tune mask-aware. */
  readonly masks: MaskSet;
  /** Small weights retained beyond the magnitude set. */
  readonly retained: number;
  readonly search?: RetentionSearchReport;
}

/**
 * One-shot small-weight-retention pruning of a model in place, without the pipeline:
 * saliency, selection (and search), then exact zeros written into the model.
 */
export function retainPrune(model: tf.LayersModel, options: RetainPruneOptions): RetainPruneResult {
  checkRho(options.rho ?? 0.1); // before the gradients, which are the slow part
  const rng = new Rng(options.seed ?? 0);
  const saliency = saliencyScores(model, options.saliency ?? 'first-order', options.data, {
    exclude: options.exclude,
    batches: options.calibrationBatches,
    batchSize: options.batchSize,
    rng: rng.fork('saliency'),
  });
  const selection = selectRetention(model, saliency, options.sparsity, {
    rho: options.rho ?? 0.1,
    scope: options.scope ?? 'global',
    selector: options.selector ?? 'saliency',
    evaluations: options.evaluations,
    calibrationExamples: options.calibrationExamples,
    candidates: options.candidates,
    moveFraction: options.moveFraction,
  }, options.data, rng.fork('select'));
  const masks = new MaskSet();
  for (const [name, mask] of selection.masks) masks.set(name, mask);
  masks.apply(model);
  return { masks, retained: selection.plan.buckets.reduce((n, b) => n + b.retain, 0), search: selection.search };
}

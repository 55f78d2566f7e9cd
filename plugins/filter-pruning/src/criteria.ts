/**
 * Per-channel importance for each channel group, by one of the run's channel importance
 * measures (core's: min-weight, average-weight, l2-weight, mean-activation, apoz). Scorers read
 * the model; they never change it.
 */
import { ArrayDataset, ChannelAnalysis, importanceMeasures, Rng, tf } from '@nncompress/core';
import { ImportanceRegistry } from '@nncompress/core/importance';

export interface ScoreOptions {
  /** A channel importance measure's id. */
  readonly criterion: string;
  readonly data?: ArrayDataset;
  readonly batches?: number;
  readonly batchSize?: number;
  readonly rng?: Rng;
  /** Where `criterion` is looked up (default: core's measures). */
  readonly registry?: Pick<ImportanceRegistry, 'measure'>;
}

/** Scores of every unblocked group of `analysis`; higher means more important. */
export function scoreChannels(model: tf.LayersModel, analysis: ChannelAnalysis, options: ScoreOptions): Map<number, Float32Array> {
  const measure = (options.registry ?? importanceMeasures).measure(options.criterion, 'channel');
  const groups = analysis.groups.filter((g) => !g.blocked);
  return measure.score(model, analysis, groups, { data: options.data, batches: options.batches ?? 4, batchSize: options.batchSize ?? 16, rng: options.rng ?? new Rng(0) });
}

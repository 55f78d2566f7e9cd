import { ArrayDataset, Evaluation, importanceMeasures, tf } from '@nncompress/core';
import { RemovableUnit, RepairMode } from '@nncompress/core/graph';
import { ImportanceRegistry } from '@nncompress/core/importance';

export interface ImportanceOptions {
  /** A unit importance measure's id (core's: bypass-loss, cka). */
  readonly criterion: string;
  readonly repair: RepairMode;
  /** Model inputs for repairs and CKA. */
  readonly calibration: tf.Tensor;
  /** bypass-loss: labelled examples the loss is measured on. */
  readonly validation?: ArrayDataset;
  readonly batchSize: number;
  /** The run's evaluator (default: core's `evaluate`). */
  readonly evaluate?: (model: tf.LayersModel, data: ArrayDataset, batchSize?: number) => Evaluation;
  /** Called after each unit, for progress. */
  readonly onUnit?: (done: number, total: number) => void;
  /** Where `criterion` is looked up (default: core's measures). */
  readonly registry?: Pick<ImportanceRegistry, 'measure'>;
}

/** Importance of each unit (higher = keep) by the unit measure `criterion`. */
export function unitImportance(model: tf.LayersModel, units: readonly RemovableUnit[], options: ImportanceOptions): Promise<Map<string, number>> {
  const { criterion, registry, ...input } = options;
  return (registry ?? importanceMeasures).measure(criterion, 'unit').score(model, units, input);
}

/**
 * Importance measures: how much a unit of the model matters, higher = keep. A measure has an
 * id (what a plugin's `criterion` option names), the granularity it scores (single weights,
 * the channels of a channel group, or removable layer units) and a `score` function that
 * reads the model and never changes it. Core's measures are one file each beside this one;
 * a plugin adds its own by declaring `importanceMeasures`, and every plugin that scores at
 * that granularity can then use it by id.
 */
import type * as tf from '@tensorflow/tfjs';
import type { ArrayDataset } from '../datasets/dataset';
import type { ChannelAnalysis, ChannelGroup } from '../graph/channel-groups';
import type { RemovableUnit, RepairMode } from '../graph/layer-surgery';
import type { PrunableWeight } from '../model/masks';
import type { Evaluation } from '../training/evaluate';
import { ConfigError } from '../errors';
import { Registry } from '../util/registry';
import type { Rng } from '../util/rng';

/** What a measure may read besides the model: data for data-driven measures, and how much of it. */
export interface ImportanceInput {
  /** Examples for measures that need data (gradients, activations); weight-only measures ignore it. */
  readonly data?: ArrayDataset;
  /** Batches of `data` measured (default: the measure's own). */
  readonly batches?: number;
  readonly batchSize?: number;
  readonly rng?: Rng;
}

/** Layer units also get the repair the prune step will do, and the evaluator of the run. */
export interface UnitImportanceInput extends ImportanceInput {
  readonly repair: RepairMode;
  /** Model inputs the repairs are fitted on and representations compared on. */
  readonly calibration: tf.Tensor;
  /** Labelled examples a loss is measured on (`data` is not used for units). */
  readonly validation?: ArrayDataset;
  /** The run's evaluator (default: core's `evaluate`). */
  readonly evaluate?: (model: tf.LayersModel, data: ArrayDataset, batchSize?: number) => Evaluation;
  /** Called after each unit, for progress. */
  readonly onUnit?: (done: number, total: number) => void;
}

interface MeasureInfo {
  /** What a `criterion` option names. */
  readonly id: string;
  /** One line: what the measure computes, with its reference. */
  readonly description: string;
  /** Whether `score` needs `data` (or `validation` for units). */
  readonly needsData: boolean;
}

/** Scores every entry of each weight: a map from weight name to one score per entry. */
export interface WeightImportance extends MeasureInfo {
  readonly granularity: 'weight';
  score(model: tf.LayersModel, weights: readonly PrunableWeight[], input: ImportanceInput): Map<string, Float32Array>;
}

/** Scores every channel of each group: a map from group id to one score per channel. */
export interface ChannelImportance extends MeasureInfo {
  readonly granularity: 'channel';
  score(model: tf.LayersModel, analysis: ChannelAnalysis, groups: readonly ChannelGroup[], input: ImportanceInput): Map<number, Float32Array>;
}

/** Scores every removable unit (a layer block or residual block): a map from unit id to its score. */
export interface UnitImportance extends MeasureInfo {
  readonly granularity: 'unit';
  score(model: tf.LayersModel, units: readonly RemovableUnit[], input: UnitImportanceInput): Promise<Map<string, number>>;
}

/** An importance measure of weights, channels or layer units; see docs/importance.md. */
export type ImportanceMeasure = WeightImportance | ChannelImportance | UnitImportance;
export type ImportanceGranularity = ImportanceMeasure['granularity'];
type MeasureOf<G extends ImportanceGranularity> = Extract<ImportanceMeasure, { granularity: G }>;

/** Identity helper that types an importance measure by its granularity (its `score` gets typed arguments). */
export function defineImportance(measure: WeightImportance): WeightImportance;
export function defineImportance(measure: ChannelImportance): ChannelImportance;
export function defineImportance(measure: UnitImportance): UnitImportance;
export function defineImportance(measure: ImportanceMeasure): ImportanceMeasure {
  return measure;
}

export class ImportanceRegistry extends Registry<ImportanceMeasure> {
  constructor(measures: readonly ImportanceMeasure[] = []) {
    super('importance measure', (m) => m.id);
    for (const m of measures) this.register(m);
  }

  /** The ids of the measures of one granularity. */
  idsOf(granularity: ImportanceGranularity): string[] {
    return this.keys().filter((id) => this.get(id)!.granularity === granularity);
  }

  /**
   * The measure `id` of `granularity`; an unknown id, or one of another granularity, is a
   * ConfigError naming the known ones (`where` says which option named it, e.g.
   * `plugins.prune.options.criterion`).
   */
  measure<G extends ImportanceGranularity>(id: string, granularity: G, where = 'criterion'): MeasureOf<G> {
    const found = this.get(id);
    if (found?.granularity === granularity) return found as MeasureOf<G>;
    const known = this.idsOf(granularity).join(', ');
    const other = found ? ` ("${id}" scores ${found.granularity}s)` : '';
    throw new ConfigError(`${where}: no ${granularity} importance measure "${id}"${other}; known: ${known} (a plugin adds more through its importanceMeasures)`, undefined, where);
  }
}

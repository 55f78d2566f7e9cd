import type * as tf from '@tensorflow/tfjs';
import type { MaskSet } from '../model/masks';
import type { WeightTies } from '../model/ties';
import type { ModelStats } from '../model/model-stats';
import type { DataSplits } from '../datasets/source';
import type { StageConfig } from '../config/types';
import type { ChannelAnalysis } from '../graph/channel-groups';
import type { RepairMode } from '../graph/layer-surgery';
import type { Evaluation, MetricValue } from '../training/evaluate';
import type { Task } from '../training/task';
import type { Report } from '../report/report';

/** The model being compressed. Structured `prune` taps may replace `model`. */
export interface ModelState {
  model: tf.LayersModel;
  readonly masks: MaskSet;
  /** Shared weights (weight sharing): the trainer keeps each cluster one value. */
  readonly ties: WeightTies;
}

/** What every hook of a run receives: the model state, the data, the task, the seed and the backend. */
export interface RunContext {
  readonly state: ModelState;
  /** The data, both splits carrying the run's task (`data.train.task`). */
  readonly data: DataSplits;
  /** What the model is scored on: loss, metric and which way is better. */
  readonly task: Task;
  readonly seed: number;
  readonly backend: string;
}

/** A measurement on the test set (the task's metric and loss), announced through the `evaluate` hook. */
export interface EvaluationEvent extends Evaluation {
  /** `baseline`, `final`, `decoded` or `<stage name>` after a stage. */
  readonly label: string;
}

/** A run's context within one stage. */
export interface StageContext extends RunContext {
  readonly stage: StageConfig;
  readonly stageIndex: number;
}

/** A stage's context within one round: the round, the values of the stage's targets this round must reach, and the channel groups of the current model. */
export interface RoundContext extends StageContext {
  /** 0-based round within the stage. */
  readonly round: number;
  readonly rounds: number;
  /** Every target of the stage, at the value this round must reach (its schedule applied). */
  readonly targets: Readonly<Record<string, number>>;
  /** Every target of the stage, at the value the stage ends on. */
  readonly stageTargets: Readonly<Record<string, number>>;
  /**
   * The stage's per-layer values (`stage.layerTargets`), kind → layer → the value this round
   * must reach: each layer's end value times the round's share of the kind's model-wide
   * target. Empty for kinds the stage gives no per-layer values.
   */
  readonly layerTargets: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /** Share of the stage done when this round ends: (round + 1) / rounds. */
  readonly progress: number;
  /** Kernel sparsity this round must reach, from the stage's target and schedule (0 when none). */
  readonly targetSparsity: number;
  /** Fraction of prunable channels this round must have removed in all (0 when none). */
  readonly targetFilterRatio: number;
  /** Layers or blocks this stage must have removed by the end of this round (0 when none). */
  readonly targetLayers: number;
  /** Channel groups of the current model (computed once per round, on first use). */
  channels(): ChannelAnalysis;
}

/** Importance per prunable unit; higher means more important. Taps of `score` add or refine. */
export interface ImportanceScores {
  /** One score per weight entry, keyed by weight name (unstructured pruning). */
  readonly weights: Map<string, Float32Array>;
  /** One score per channel, keyed by channel group id (structured pruning). */
  readonly channels: Map<number, Float32Array>;
  /** One score per removable layer unit, keyed by unit id (layer pruning). */
  readonly layers: Map<string, number>;
}

/** Unstructured: weight name → 0/1 per entry; core applies it as masks. Serves `sparsity`. */
export interface WeightPlan {
  readonly kind: 'weights';
  readonly masks: Map<string, Uint8Array>;
  /** Who made the plan, for the report. */
  readonly selectedBy: string;
}

/** Structured: channels to remove per group of `analysis`; core rebuilds the model smaller. */
export interface ChannelPlan {
  readonly kind: 'channels';
  readonly analysis: ChannelAnalysis;
  readonly removals: Map<number, number[]>;
  readonly selectedBy: string;
  /**
   * Model inputs on which to measure the removed channels' means, so each is replaced by its
   * mean in the next layer (`removeChannels`' inputMeans); none: plain removal. Core disposes it.
   */
  readonly calibration?: tf.Tensor;
}

/** Layer pruning: units (see `findRemovableUnits`) to remove, in order; core rebuilds the model. */
export interface LayerPlan {
  readonly kind: 'layers';
  readonly units: readonly string[];
  readonly repair: RepairMode;
  /** Model inputs for least-squares repairs; core disposes them once the plan is applied. */
  readonly calibration?: tf.Tensor;
  readonly selectedBy: string;
}

/** What `select` decided. */
export type PruningPlan = WeightPlan | ChannelPlan | LayerPlan;

/** A progress report for a progress bar or a log: a phase, a message, and how far along. */
export interface ProgressEvent {
  /** What is running, e.g. `finetune` or `evaluate`. */
  readonly phase: string;
  readonly message?: string;
  /** Units done and total, when known. */
  readonly done?: number;
  readonly total?: number;
}

/** One tensor of the final model for an `encodeTensor` tap to encode. */
export interface TensorToEncode {
  /** The weight's name in the saved model's manifest (what a loader matches). */
  readonly name: string;
  readonly shape: readonly number[];
  readonly values: Float32Array;
}

/** One tensor as a codec encoded it: the codec and its parameters, the bytes, and the largest error. */
export interface EncodedTensor {
  readonly name: string;
  readonly shape: readonly number[];
  readonly codec: string;
  /** The codec's parameters (JSON), stored with the tensor. */
  readonly params: { readonly [key: string]: unknown };
  readonly bytes: Uint8Array;
  /** Largest |decoded − original| over the tensor (0: bit for bit). */
  readonly maxError: number;
}

/** model.json without its weights manifest: what a container stores besides the tensors. */
export interface ModelDescription {
  readonly modelTopology: unknown;
  readonly format?: string;
  readonly generatedBy?: string;
  readonly convertedBy?: string | null;
}

/** The encoded model as `encodeArtifact` passes it on: the tensors, the model topology, and, once a tap wrote a container, its file name, bytes and a loader for it. */
export interface EncodedArtifact {
  /** File name in the output folder, e.g. `model.nnc`; undefined when no encoder ran. */
  readonly fileName?: string;
  readonly tensors: EncodedTensor[];
  /** The model the tensors belong to (for writing the container). */
  readonly model: ModelDescription;
  readonly bytes?: Uint8Array;
  /**
   * Loads the model back from `bytes`. When present, core evaluates the decoded model, so
   * `final.accuracy` is the accuracy a user of the file gets.
   */
  readonly ioHandler?: tf.io.IOHandler;
}

/** What `afterRun` receives: the baseline and final models' statistics and metrics, and the report. */
export interface RunSummary {
  readonly baseline: ModelStats & { readonly accuracy?: number; readonly metric: MetricValue };
  readonly final: ModelStats & { readonly accuracy?: number; readonly metric: MetricValue };
  /** The run's report, as report.json will hold it (the built-in report writer taps `afterRun` late to write it). */
  readonly report: Report;
}

/** What the `failed` hook receives: the error that stopped the run, as the user will read it. */
export interface RunFailure {
  readonly error: Error;
  /** The stage that was running, when one was. */
  readonly stage?: string;
}

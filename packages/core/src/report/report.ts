/** report.json: what a run reports, documented by the interfaces below, plus a few keys the HTML report needs. */
import type { GoalResource } from '../config/types';
import type { ModelStats } from '../model/model-stats';
import type { Latency } from '../model/latency';
import type { MetricValue } from '../training/evaluate';
import type { LossName, MetricName, TaskKind } from '../training/task';
import type { ReportWorkers } from '../pipeline/workers';

export type { ReportWorkers };

/** One stage's row of the report: its target and what was reached, who selected, the metric before and after, and the model's size after it. */
export interface ReportStage {
  readonly name: string;
  /** Plugin ids active in the stage, joined with `+`. */
  readonly plugin: string;
  /** The stage's whole target map: kind → the value it ends on. */
  readonly target: Readonly<Record<string, number>>;
  /** Target kind → the plugin instance (and plugin id) whose plan served it. */
  readonly selectedBy: Readonly<Record<string, string>>;
  /** Target kind → what core measured after the stage's last plan for it. */
  readonly reached: Readonly<Record<string, number>>;
  /** What fell short of the target, and why, when something did. */
  readonly notes?: readonly string[];
  readonly rounds: number;
  /** The task's metric on the test set before and after the stage. */
  readonly metricBefore: MetricValue;
  readonly metricAfter: MetricValue;
  /** The same, when the metric is an accuracy (kept for readers of classification reports). */
  readonly accuracyBefore?: number;
  readonly accuracyAfter?: number;
  readonly sparsity: number;
  readonly params: number;
  /** Parameters that are not exactly zero after the stage. */
  readonly nonzeroParams: number;
  readonly flops: number;
  readonly durationMs: number;
}

export interface ReportLayer {
  readonly name: string;
  readonly className: string;
  readonly paramsBefore: number;
  readonly paramsAfter: number;
  readonly nonzeroAfter: number;
  readonly flopsBefore: number;
  readonly flopsAfter: number;
  /** Kernel sparsity of the layer after the run (0 for layers without a kernel). */
  readonly sparsity: number;
  /** Output channels (units of a Dense layer): the last axis of its output, before and after (0 when removed). */
  readonly channelsBefore: number;
  readonly channelsAfter: number;
}

/** What structured pruning left alone in the baseline model, and why. */
export interface ReportStructure {
  /** Channel groups no structured plugin may touch. */
  readonly blockedGroups: readonly { readonly producers: readonly string[]; readonly channels: number; readonly reason: string }[];
  /** Layers the channel analysis does not follow (unknown class, channel-mixing activation, channels-first data…). */
  readonly unsupportedLayers: readonly { readonly layer: string; readonly className: string; readonly reason: string }[];
}

export interface ReportData {
  readonly source: string;
  readonly seed: number;
  readonly trainExamples: number;
  readonly testExamples: number;
  /** True when the test examples are training examples held out from fine-tuning (data.holdOut), not the source's test split. */
  readonly heldOut?: boolean;
  /** Classes (classification, binary). */
  readonly classes?: number;
  /** Target values per example (regression, multilabel). */
  readonly targets?: number;
  readonly classNames?: readonly string[];
}

/** What report.json holds: the baseline and final model (metric, parameters, FLOPs, bytes, latency), each stage, each layer, the encoding, and what was left alone. */
export interface Report {
  readonly tool: { readonly name: string; readonly version: string };
  readonly config: string;
  readonly model: string;
  readonly backend: string;
  readonly seed: number;
  /** Threads that shared each fine-tuning batch: asked for, used, and why fewer. */
  readonly workers: ReportWorkers;
  /** The data measured and fine-tuned on: the source, its seed, the examples after limits, the classes. */
  readonly data: ReportData;
  readonly durationMs: number;
  readonly plugins: readonly { readonly instance: string; readonly id: string }[];
  /** What structured pruning could not touch in the baseline model, and why. */
  readonly structure: ReportStructure;
  /** What the model is scored on. */
  readonly task: { readonly kind: TaskKind; readonly loss: LossName; readonly metric: MetricName; readonly higherIsBetter: boolean };
  readonly baseline: {
    /** The task's metric on the test set. */
    readonly metric: MetricValue;
    /** Present when the metric is an accuracy. */
    readonly accuracy?: number;
    readonly loss: number;
    readonly params: number;
    readonly nonzeroParams: number;
    readonly flops: number;
    readonly bytesFloat32: number;
    /** Median inference time, when the config asks for it. */
    readonly latencyMs?: Latency;
  };
  readonly final: {
    /** On the test set; of the model decoded from the encoded file when there is one. */
    readonly metric: MetricValue;
    /** Present when the metric is an accuracy. */
    readonly accuracy?: number;
    readonly loss: number;
    readonly params: number;
    readonly nonzeroParams: number;
    readonly flops: number;
    readonly sparsity: number;
    /** Bytes of the encoded artifact, or of the float32 weight shard when no encoder ran. */
    readonly encodedBytes: number;
    readonly encodedAs: string;
    readonly compressionRatio: number;
    readonly latencyMs?: Latency;
  };
  readonly stages: readonly ReportStage[];
  readonly layers: readonly ReportLayer[];
  /** Present when an encoder wrote a container. */
  readonly encoding?: ReportEncoding;
  /** Present when the config had a goal: the search's trials and what it chose. */
  readonly goal?: ReportGoal;
}

/** What a goal search measures of each trial: the encoded file, FLOPs, and latency where the config times it. */
export interface GoalCosts {
  /** Bytes of the encoded file. */
  readonly bytes: number;
  /** FLOPs of one inference. */
  readonly flops: number;
  /**
   * Batch-1 latency: the start's unpruned latency times the trial's own final/unpruned ratio
   * (both timed in alternation in the trial's process, so the load of other trials cancels).
   */
  readonly latencyMs?: number;
}

/** One measured point of a goal search. */
export interface ReportGoalTrial extends GoalCosts {
  /** 0 for the config as written, then the round that proposed it. */
  readonly step: number;
  /** What the trial changed from its round's starting point: `start`, `fc1 96.1% → 97.4%`, `error bound 0.04 → 0.06`. */
  readonly change: string;
  /** Layer → the searched kind's value the trial asked for (the config as written: what it reached): kernel sparsity, or the filter ratio of the channel group the layer produces. */
  readonly layerValues: Readonly<Record<string, number>>;
  /** The codec's relative error bound, when the encoding has one. */
  readonly relativeError?: number;
  /** The task's metric on the held-out examples. */
  readonly metric: number;
  /** Loss of the metric against the unpruned model on the same examples (negative: a gain). */
  readonly drop: number;
  /**
   * The loss the full settings are expected to have: `drop` shifted by how much less the
   * round's starting point lost with its full settings than with the trials' (`goal.trial`);
   * equal to `drop` when trials run the full settings. What the goal is checked against.
   */
  readonly estimatedDrop: number;
  /**
   * The trial run with the full settings, where that ran: the start, and with cheaper trials
   * each kept step, in the round after it (which then calibrates from it).
   */
  readonly full?: GoalCosts & { readonly drop: number };
  /** Kept as the next round's starting point (a kept step whose full run lost more than the goal is undone: false). */
  readonly accepted: boolean;
}

/** A goal search: the goal, every trial, the one chosen, and how the final run compares. */
export interface ReportGoal {
  /** The resource the goal is about. */
  readonly resource: GoalResource;
  /** `minimize`: the smallest resource within `metricDrop`; `maximize`: the best metric with the resource at most `limit`. */
  readonly mode: 'minimize' | 'maximize';
  readonly metricDrop?: number;
  readonly limit?: number;
  /** What the search set per layer: kernel sparsity, or channel groups' filter ratios. */
  readonly searched: 'sparsity' | 'filterRatio';
  /** What the trials were measured on: the test split (as the final run), or training examples held out from fine-tuning (goal.holdOut). */
  readonly measuredOn: 'test split' | 'held-out training examples';
  /** How many examples that is. */
  readonly examples: number;
  /**
   * The stage whose budgets were searched. Losses are against the model that stage starts
   * from: the unpruned model, or, after a transfer stage, the transferred one.
   */
  readonly referenceStage: number;
  /** The metric of that model on those examples. */
  readonly baselineMetric: number;
  readonly trials: readonly ReportGoalTrial[];
  /** With cheaper trials (`goal.trial`): the config as written run with its full settings, whose loss calibrates the trials' (`estimatedDrop`). */
  readonly fullStart?: GoalCosts & { readonly metric: number; readonly drop: number };
  /** Index in `trials` of the one the final run used. */
  readonly chosen: number;
  /** Final runs of later kept trials that lost more than metricDrop on the test split, newest first: the run stepped back from each. */
  readonly missed?: readonly { readonly trial: number; readonly bytes: number; readonly testDrop: number }[];
  /** Why the search stopped. */
  readonly stopped: string;
  readonly durationMs: number;
  /** The final run's loss on the test split against the model the searched stage starts from (negative: a gain). */
  readonly testDrop: number;
  /** Said when the goal is missed: a final run losing more than metricDrop on the test split, or a limit no trial reached. */
  readonly notes?: readonly string[];
}

export interface ReportEncoding {
  readonly file: string;
  readonly bytes: number;
  /** The metric of the model in memory, before encoding. */
  readonly metricBeforeEncoding: MetricValue;
  /** The metric of the model decoded from the file (`final.metric` then equals it). */
  readonly decodedMetric?: MetricValue;
  /** Said when decoding loses more than LOSSY_ENCODING_WARNING of the metric: what the lossy tensors cost. */
  readonly notes?: readonly string[];
  /** The same two, when the metric is an accuracy. */
  readonly accuracyBeforeEncoding?: number;
  readonly decodedAccuracy?: number;
  readonly tensors: readonly { readonly name: string; readonly shape: readonly number[]; readonly codec: string; readonly bytes: number; readonly maxError: number }[];
}

const lastAxis = (shape: readonly (number | null)[]): number => shape[shape.length - 1] ?? 0;

export function layerRows(before: ModelStats, after: ModelStats): ReportLayer[] {
  const afterByName = new Map(after.layers.map((l) => [l.name, l] as const));
  return before.layers.map((b) => {
    const a = afterByName.get(b.name);
    return {
      name: b.name,
      className: b.className,
      paramsBefore: b.params,
      paramsAfter: a?.params ?? 0,
      nonzeroAfter: a?.nonzeroParams ?? 0,
      flopsBefore: b.flops,
      flopsAfter: a?.flops ?? 0,
      sparsity: a && a.kernelParams > 0 ? a.kernelZeros / a.kernelParams : 0,
      channelsBefore: lastAxis(b.outputShape),
      channelsAfter: a ? lastAxis(a.outputShape) : 0,
    };
  });
}

import type { EncodeConfig } from '../encode/stage';
import type { BackendPreference } from '../backend/choose';
import type { DataSpec } from '../datasets/registry';
import type { TaskConfig } from '../training/task';

/** A named plugin instance (Distiller-style): which plugin, with which options. */
export interface PluginInstanceConfig {
  /** Package name (`@nncompress/plugin-magnitude`) or a path relative to the config file. */
  readonly use: string;
  readonly options?: Record<string, unknown>;
}

export type ScheduleKind = 'one-shot' | 'iterative' | 'gradual';

/** How a stage reaches its target over rounds: one-shot, iterative or gradual (Zhu & Gupta 2017). */
export interface ScheduleConfig {
  /** one-shot: one round to the target; iterative: equal steps; gradual: Zhu & Gupta's cubic. */
  readonly kind: ScheduleKind;
  /** Rounds of score → select → prune → finetune (one-shot: 1). */
  readonly rounds?: number;
  /** Value of the target (sparsity or filter ratio) the gradual schedule starts from. */
  readonly initial?: number;
}

/** Target kind key → the value the stage ends on (see the target-kind registry). */
export interface StageTarget {
  readonly [key: string]: number | undefined;
  /** Kernel sparsity to reach at the end of the stage, in [0, 1). */
  readonly sparsity?: number;
  /** Fraction of the prunable channels (filters) removed by the end of the stage, in [0, 1). */
  readonly filterRatio?: number;
  /** Number of layers or blocks (layer pruning) removed by the end of the stage. */
  readonly layers?: number;
}

/** One stage of a pipeline: its name, the plugin instances active in it, its target and its schedule. */
export interface StageConfig {
  readonly name: string;
  /** Plugin instances active in this stage (default: all declared instances). */
  readonly use?: readonly string[];
  readonly target?: StageTarget;
  /**
   * Per-layer values of fraction targets: kind → layer name → the value that layer ends on
   * (`{ sparsity: { conv1: 0.6, fc1: 0.98 } }`). The kind's model-wide value stays in
   * `target` (the schedule follows it); every round takes each layer the same share of its
   * way. Served only by a selector that declares it takes per-layer values.
   */
  readonly layerTargets?: Readonly<Record<string, Readonly<Record<string, number>>>>;
  readonly schedule?: ScheduleConfig;
}

/**
 * A pretrained model shipped inside an npm package as a JS module (the nsfwjs layout): the
 * export has `modelJson()` resolving to `{ default: { modelTopology, weightsManifest } }` and
 * `weightBundles`, functions resolving to `{ default: <base64 weight shard> }`.
 */
export interface ModelModuleRef {
  readonly module: string;
  readonly export?: string;
}

/** How many threads share each training batch: a count, or one per core. */
export type WorkersSetting = number | 'auto';

/** What a goal makes small, or keeps under a limit: the encoded file's bytes, the FLOPs of one inference, or its measured batch-1 latency. */
export type GoalResource = 'bytes' | 'flops' | 'latency';

/**
 * A goal instead of hand-set budgets: `nncompress run` searches per-layer budgets (and the
 * codec's error bound) with measured trials, then runs the config once more with the best.
 * Either `minimize` a resource with at most `metricDrop` lost, or `maximize: metric` with one
 * of `maxBytes`, `maxFlops`, `maxLatencyMs`.
 */
export interface GoalConfig {
  /** What to make small. */
  readonly minimize?: GoalResource;
  /** With minimize: the largest loss of the task's metric against the unpruned model, in the metric's units (0.005 = half a point of accuracy). */
  readonly metricDrop?: number;
  /** The best metric under one limit. */
  readonly maximize?: 'metric';
  readonly maxBytes?: number;
  readonly maxFlops?: number;
  readonly maxLatencyMs?: number;
  /** The stage whose per-layer budgets are searched (default: the first stage with a sparsity target for bytes, with a filterRatio target for flops and latency). */
  readonly stage?: string;
  /** Rounds of proposals at most (default 8). */
  readonly steps?: number;
  /** Each round asks every layer for this share of the model's remaining weights (default 0.2). */
  readonly stepShare?: number;
  /** Measure trials on this many training examples held out from fine-tuning instead of the test split (default: the test split). */
  readonly holdOut?: number;
  /** Key paths set in trials only (sweep syntax), to make them cheaper: `plugins.polish.options.epochs: 1`. */
  readonly trial?: Readonly<Record<string, unknown>>;
  /** Trials run at once, one process each (default: one per core). */
  readonly processes?: number | 'auto';
}

/** A pipeline config as written in YAML, JSON or a `.ts` file (see docs/config.md). */
export interface PipelineConfig {
  /** Path to the input model.json (relative to the config file), or a packaged model module. */
  readonly model: string | ModelModuleRef;
  readonly seed?: number;
  readonly backend?: BackendPreference;
  /** Threads that share each fine-tuning batch: a count, or `auto` for one per core (default 1). */
  readonly workers?: WorkersSetting;
  readonly data: DataSpec;
  /** What the model does: the loss and metric (default: from the model's training config, else classification). */
  readonly task?: TaskConfig;
  readonly plugins?: Readonly<Record<string, PluginInstanceConfig>>;
  readonly stages: readonly StageConfig[];
  /** When present, baseline and final inference latency are measured at the end, in alternation (`repeats` rounds of 5 calls each; the median of round medians). */
  readonly latency?: { readonly repeats?: number };
  /** When present, core encodes the final model into a `.nnc` container with this codec and reports the decoded model. */
  readonly encode?: EncodeConfig;
  /** When present, `nncompress run` searches budgets that reach this goal before the run (docs/goal.md). */
  readonly goal?: GoalConfig;
}

/** Identity helper for typed `.ts` configs: `export default defineConfig({...})`. */
export function defineConfig(config: PipelineConfig): PipelineConfig {
  return config;
}

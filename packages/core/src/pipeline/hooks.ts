/**
 * The pipeline's hooks: the contract between core and plugins. Declared once, here, frozen,
 * grouped by phase; ROUND_HOOKS says which run only for a stage's active instances. Each hook's class says how its taps run (see docs/hooks.md):
 * waterfall taps refine a value in turn, bail taps stop at the first answer, series taps
 * all run in order.
 */
import { AsyncSeriesBailHook, AsyncSeriesHook, AsyncSeriesWaterfallHook, SyncHook } from 'tapable';
import type { ReportStage } from '../report/report';
import type { ImportanceScores, PruningPlan, RoundContext, RunContext, StageContext, ProgressEvent, RunFailure, RunSummary, TensorToEncode, EncodedTensor, EncodedArtifact, EvaluationEvent } from './types';

/** Extra options of a `select` tap: the target kinds (keys of `stage.target`) it serves, and those for which it follows a stage's per-layer values (`round.layerTargets`). */
export interface SelectTapOptions {
  readonly targets?: readonly string[];
  readonly layerTargets?: readonly string[];
}

/** The hooks of a pipeline run, grouped by phase; see docs/hooks.md for each hook's arguments, kind and neighbours. */
export interface PipelineHooks {
  // run lifecycle
  readonly beforeRun: AsyncSeriesHook<[RunContext]>;
  readonly beforeStage: AsyncSeriesHook<[StageContext]>;
  // one round of a stage: beforeRound → (score → select → prune → afterPrune per target) → finetune → afterRound
  /** Before the round's first score: the model as the round finds it. */
  readonly beforeRound: AsyncSeriesHook<[RoundContext]>;
  readonly score: AsyncSeriesWaterfallHook<[ImportanceScores, RoundContext]>;
  /** Taps declare what they serve: `tapPromise({ name, targets: ['sparsity'] }, …)`; core calls one server per target key. */
  readonly select: AsyncSeriesBailHook<[ImportanceScores, RoundContext], PruningPlan | undefined, SelectTapOptions>;
  readonly prune: AsyncSeriesHook<[PruningPlan, RoundContext]>;
  /** After core applied a plan and checked what it reached: the model pruned, before fine-tuning. */
  readonly afterPrune: AsyncSeriesHook<[PruningPlan, RoundContext]>;
  readonly finetune: AsyncSeriesHook<[RoundContext]>;
  readonly afterRound: AsyncSeriesHook<[RoundContext]>;
  readonly afterStage: AsyncSeriesHook<[StageContext, ReportStage]>;
  // measurement
  readonly evaluate: AsyncSeriesHook<[EvaluationEvent, RunContext]>;
  // encoding: one bail per tensor picks a codec; the waterfall may rewrite the artifact
  readonly encodeTensor: AsyncSeriesBailHook<[TensorToEncode, RunContext], EncodedTensor | undefined>;
  readonly encodeArtifact: AsyncSeriesWaterfallHook<[EncodedArtifact, RunContext]>;
  readonly afterRun: AsyncSeriesHook<[RunContext, RunSummary]>;
  /** The run stopped with an error (after plugins were applied): release what a plugin holds, say what it knows. Nothing is written. */
  readonly failed: AsyncSeriesHook<[RunFailure]>;
  // reporting
  readonly progress: SyncHook<[ProgressEvent]>;
}

/** A fresh, frozen set of the pipeline's hooks (each Pipeline has its own). */
export function createHooks(): PipelineHooks {
  return Object.freeze({
    beforeRun: new AsyncSeriesHook<[RunContext]>(['run']),
    beforeStage: new AsyncSeriesHook<[StageContext]>(['stage']),
    beforeRound: new AsyncSeriesHook<[RoundContext]>(['round']),
    score: new AsyncSeriesWaterfallHook<[ImportanceScores, RoundContext]>(['scores', 'round']),
    select: new AsyncSeriesBailHook<[ImportanceScores, RoundContext], PruningPlan | undefined, SelectTapOptions>(['scores', 'round']),
    prune: new AsyncSeriesHook<[PruningPlan, RoundContext]>(['plan', 'round']),
    afterPrune: new AsyncSeriesHook<[PruningPlan, RoundContext]>(['plan', 'round']),
    finetune: new AsyncSeriesHook<[RoundContext]>(['round']),
    afterRound: new AsyncSeriesHook<[RoundContext]>(['round']),
    afterStage: new AsyncSeriesHook<[StageContext, ReportStage]>(['stage', 'result']),
    evaluate: new AsyncSeriesHook<[EvaluationEvent, RunContext]>(['evaluation', 'run']),
    encodeTensor: new AsyncSeriesBailHook<[TensorToEncode, RunContext], EncodedTensor | undefined>(['tensor', 'run']),
    encodeArtifact: new AsyncSeriesWaterfallHook<[EncodedArtifact, RunContext]>(['artifact', 'run']),
    afterRun: new AsyncSeriesHook<[RunContext, RunSummary]>(['run', 'summary']),
    failed: new AsyncSeriesHook<[RunFailure]>(['failure']),
    progress: new SyncHook<[ProgressEvent]>(['event']),
  });
}

/** Tap order constants: taps with a lower stage run first (tapable's `stage`). */
export const TapStage = Object.freeze({
  /** Runs before ordinary taps, e.g. to refine inputs. */
  EARLY: -100,
  NORMAL: 0,
  /** Runs after ordinary taps, e.g. fallbacks in a bail hook. */
  LATE: 100,
  /**
   * Core's own `prune` tap, which applies the plan, runs at this stage: a `prune` tap below it
   * sees the plan before the model changes, one above it the model pruned (or tap `afterPrune`).
   */
  APPLY_PLAN: 100,
  /** Last resort, e.g. a default selector that other selectors override by answering first. */
  FALLBACK: 1000,
});

/** Hooks that run once per round and call only the taps of the stage's active instances (`stages[i].use`). */
export const ROUND_HOOKS: ReadonlySet<keyof PipelineHooks> = new Set<keyof PipelineHooks>(['beforeRound', 'score', 'select', 'prune', 'afterPrune', 'finetune', 'afterRound']);

/** Hooks whose taps pass a value on (a tap that does not run passes its input through). */
export const WATERFALL_HOOKS: ReadonlySet<keyof PipelineHooks> = new Set<keyof PipelineHooks>(['score', 'encodeArtifact']);

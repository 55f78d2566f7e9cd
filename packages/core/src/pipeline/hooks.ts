/**
 * The pipeline's hooks: the contract between core and plugins. Declared once, frozen,
 * grouped by phase. Each hook's class says how its taps run (see docs/hooks.md):
 * waterfall taps refine a value in turn, bail taps stop at the first answer, series taps
 * all run in order.
 */
import { AsyncSeriesBailHook, AsyncSeriesHook, AsyncSeriesWaterfallHook, SyncHook } from 'tapable';
import type { ReportStage } from '../report/report';
import type { ImportanceScores, PruningPlan, RoundContext, RunContext, StageContext, ProgressEvent, RunSummary, TensorToEncode, EncodedTensor, EncodedArtifact, EvaluationEvent } from './types';

/** Extra options of a `select` tap: the target kinds (keys of `stage.target`) it serves. */
export interface SelectTapOptions {
  readonly targets?: readonly string[];
}

export interface PipelineHooks {
  // run lifecycle
  readonly beforeRun: AsyncSeriesHook<[RunContext]>;
  readonly beforeStage: AsyncSeriesHook<[StageContext]>;
  // one round of a stage: score → select → prune → finetune
  readonly score: AsyncSeriesWaterfallHook<[ImportanceScores, RoundContext]>;
  /** Taps declare what they serve: `tapPromise({ name, targets: ['sparsity'] }, …)`; core calls one server per target key. */
  readonly select: AsyncSeriesBailHook<[ImportanceScores, RoundContext], PruningPlan | undefined, SelectTapOptions>;
  readonly prune: AsyncSeriesHook<[PruningPlan, RoundContext]>;
  readonly finetune: AsyncSeriesHook<[RoundContext]>;
  readonly afterRound: AsyncSeriesHook<[RoundContext]>;
  readonly afterStage: AsyncSeriesHook<[StageContext, ReportStage]>;
  // measurement
  readonly evaluate: AsyncSeriesHook<[EvaluationEvent, RunContext]>;
  // encoding: one bail per tensor picks a codec; the waterfall may rewrite the artifact
  readonly encodeTensor: AsyncSeriesBailHook<[TensorToEncode, RunContext], EncodedTensor | undefined>;
  readonly encodeArtifact: AsyncSeriesWaterfallHook<[EncodedArtifact, RunContext]>;
  readonly afterRun: AsyncSeriesHook<[RunContext, RunSummary]>;
  // reporting
  readonly progress: SyncHook<[ProgressEvent]>;
}

export function createHooks(): PipelineHooks {
  return Object.freeze({
    beforeRun: new AsyncSeriesHook<[RunContext]>(['run']),
    beforeStage: new AsyncSeriesHook<[StageContext]>(['stage']),
    score: new AsyncSeriesWaterfallHook<[ImportanceScores, RoundContext]>(['scores', 'round']),
    select: new AsyncSeriesBailHook<[ImportanceScores, RoundContext], PruningPlan | undefined, SelectTapOptions>(['scores', 'round']),
    prune: new AsyncSeriesHook<[PruningPlan, RoundContext]>(['plan', 'round']),
    finetune: new AsyncSeriesHook<[RoundContext]>(['round']),
    afterRound: new AsyncSeriesHook<[RoundContext]>(['round']),
    afterStage: new AsyncSeriesHook<[StageContext, ReportStage]>(['stage', 'result']),
    evaluate: new AsyncSeriesHook<[EvaluationEvent, RunContext]>(['evaluation', 'run']),
    encodeTensor: new AsyncSeriesBailHook<[TensorToEncode, RunContext], EncodedTensor | undefined>(['tensor', 'run']),
    encodeArtifact: new AsyncSeriesWaterfallHook<[EncodedArtifact, RunContext]>(['artifact', 'run']),
    afterRun: new AsyncSeriesHook<[RunContext, RunSummary]>(['run', 'summary']),
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
  /** Last resort, e.g. a default selector that other selectors override by answering first. */
  FALLBACK: 1000,
});

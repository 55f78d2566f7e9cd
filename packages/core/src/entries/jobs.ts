/**
 * `@nncompress/core/jobs`: pure, serialisable units of work and the pool that runs them on
 * this machine's cores (sweeps, and any script's own configurations), sweep files, and the
 * goal search that runs its trials as jobs.
 */
export type { Job, JsonValue, JobHandlerModule } from '../jobs/job';
export { executeJob, notJson, portableHandler } from '../jobs/job';
export { runJobs, processCount, JobError } from '../jobs/local-pool';
export type { RunJobsOptions, JobEvent, JobRunner } from '../jobs/local-pool';
export { VERSION } from '../jobs/job';
export type { PipelineJobInput, PipelineJobResult } from '../jobs/pipeline-job';
export { loadSweep, setPath, sweepJobs, configurationFolder, MAX_CONFIGURATIONS } from '../jobs/sweep';
export type { LoadedSweep, SweepConfiguration } from '../jobs/sweep';
export { runGoal, searchGoal, goalReport, goalPlan, budgetedConfig, proposals, pickProposal, walkGoal } from '../search/goal-search';
export type { GoalResult, GoalTrial, GoalPlan, GoalSearchOptions, RunGoalOptions, SearchedKind, Proposal, MeasureRound, WalkOptions } from '../search/goal-search';

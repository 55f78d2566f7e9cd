/**
 * `@nncompress/core/jobs`: pure, serialisable units of work and the pool that runs them on
 * this machine's cores (sweeps, and any script's own configurations), plus sweep files.
 */
export type { Job, JsonValue, JobHandlerModule } from '../jobs/job';
export { executeJob, notJson } from '../jobs/job';
export { runJobs, processCount, JobError } from '../jobs/local-pool';
export type { RunJobsOptions, JobEvent } from '../jobs/local-pool';
export type { PipelineJobInput, PipelineJobResult } from '../jobs/pipeline-job';
export { loadSweep, setPath, sweepJobs, configurationFolder, MAX_CONFIGURATIONS } from '../jobs/sweep';
export type { LoadedSweep, SweepConfiguration } from '../jobs/sweep';

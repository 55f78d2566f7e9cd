/** What the coordinator and its workers agree on: the queue's name, a job's data, and keys beside it. */
import type { Job } from '@nncompress/core/jobs';

/** BullMQ's key prefix and queue name: every nncompress run on one Redis shares the queue. */
export const PREFIX = 'nncompress';
export const QUEUE_NAME = 'jobs';

/** A queued job: the job itself, who asked for it, and the version that must run it. */
export interface QueuedJob {
  /** The coordinator's nncompress version; a worker of another version refuses the job. */
  readonly version: string;
  /** The coordinator's run (jobs of several runs may share the queue). */
  readonly run: string;
  /** Position in the run's list: results go back in this order. */
  readonly index: number;
  readonly job: Job;
  /** Where relative paths resolve from (the coordinator's working directory; the same path on every machine). */
  readonly from: string;
}

/** A Redis list where workers that refused a run's jobs leave their name and version. */
export const refusedKey = (run: string): string => `${PREFIX}:refused:${run}`;

/** A refusal as stored in that list. */
export interface Refusal {
  readonly worker: string;
  readonly version: string;
}

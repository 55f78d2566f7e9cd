/**
 * The coordinator's side: a JobRunner that puts jobs on the queue, waits for workers on any
 * machine to run them, and gives the results back in job order, as `runJobs` does on one
 * machine. A worker that dies mid-job loses its lock; another worker's stalled-job check puts
 * the job back, and it runs again elsewhere.
 */
import { randomUUID } from 'node:crypto';
import { InputError } from '@nncompress/core';
import { Job, JobError, JobEvent, JobRunner, notJson, portableHandler, RunJobsOptions, VERSION } from '@nncompress/core/jobs';
import { Queue, Job as QueueJob } from 'bullmq';
import type IORedis from 'ioredis';
import * as path from 'node:path';
import { connectChecked, parseQueueAddress, QueueAddress, redisOptions } from './address';
import { PREFIX, QUEUE_NAME, QueuedJob, Refusal, refusedKey } from './protocol';

export interface OpenQueueOptions {
  /** Said once per worker that refuses this coordinator's jobs (another version), naming it. */
  readonly onRefused?: (line: string) => void;
  /** How often job states are read (default 250 ms). */
  readonly pollMs?: number;
}

export interface QueueCoordinator {
  /** The address, without its password. */
  readonly address: string;
  /** Runs jobs on the queue's workers; results in job order. `processes` is the workers' business and is ignored. */
  readonly run: JobRunner;
  /** Closes the connections; jobs still queued by a failed run are removed first. */
  close(): Promise<void>;
}

/** Connects to the queue at `url` (`redis://host:port`), or fails in one line naming it. */
export async function openQueue(url: string, options: OpenQueueOptions = {}): Promise<QueueCoordinator> {
  const address: QueueAddress = parseQueueAddress(url);
  const client = await connectChecked(address);
  const queue = new Queue<QueuedJob, string>(QUEUE_NAME, { connection: redisOptions(address), prefix: PREFIX });
  queue.on('error', () => {});
  const pollMs = options.pollMs ?? 250;
  const refusedSeen = new Set<string>();

  const run = async <R = unknown>(jobs: readonly Job[], runOptions: RunJobsOptions = {}): Promise<R[]> => {
    const from = path.resolve(runOptions.from ?? process.cwd());
    const emit = runOptions.onEvent ?? (() => {});
    const labelOf = (i: number): string => jobs[i].label ?? `job ${i + 1}`;
    const runId = randomUUID();
    // Checked as the local pool checks, before anything is queued: JSON inputs, handlers that resolve.
    const queued = jobs.map((job, i): QueuedJob => {
      const problem = notJson(job.input);
      if (problem) throw new InputError(`${labelOf(i)}: ${problem}; a job's input must be plain JSON`);
      return { version: VERSION, run: runId, index: i, job: { ...job, handler: portableHandler(job.handler, from), label: labelOf(i) }, from };
    });
    if (jobs.length === 0) return [];
    const ids = jobs.map((_, i) => `${runId}-${i}`);
    await queue.addBulk(
      queued.map((data, i) => ({
        name: labelOf(i),
        data,
        // A job whose process died runs again (3 runs in all); one whose handler threw fails at once (the worker says which).
        opts: { jobId: ids[i], attempts: runOptions.attempts ?? 3, removeOnComplete: false, removeOnFail: false },
      })),
    );
    try {
      return await collect<R>(queue, client, ids, runId, labelOf, emit, pollMs, (refusal) => {
        const key = `${refusal.worker}@${refusal.version}`;
        if (refusedSeen.has(key)) return;
        refusedSeen.add(key);
        options.onRefused?.(`queue: worker "${refusal.worker}" runs nncompress ${refusal.version}, this run ${VERSION}: refused, it takes none of this run's jobs`);
      });
    } finally {
      // Jobs of a run that failed may still wait; nobody will read them. Active ones finish and are dropped by their worker's lock.
      for (const id of ids) await queue.remove(id).catch(() => 0);
      await client.del(refusedKey(runId));
    }
  };

  return {
    address: address.shown,
    run: run as JobRunner,
    async close(): Promise<void> {
      await queue.close();
      client.disconnect();
    },
  };
}

/** Reads the run's job states until every job completed, or one failed. */
async function collect<R>(
  queue: Queue<QueuedJob, string>,
  client: IORedis,
  ids: readonly string[],
  runId: string,
  labelOf: (i: number) => string,
  emit: (event: JobEvent) => void,
  pollMs: number,
  onRefused: (refusal: Refusal) => void,
): Promise<R[]> {
  const results = new Array<R>(ids.length);
  const finished = new Array<boolean>(ids.length).fill(false);
  // What was seen of each job's runs: how many started, how many stalled, the failure of the last.
  const seen = ids.map(() => ({ started: 0, stalled: 0, failedReason: '', since: 0 }));
  let done = 0;
  let refusalsRead = 0;
  for (;;) {
    const refusals = await client.lrange(refusedKey(runId), refusalsRead, -1);
    refusalsRead += refusals.length;
    for (const r of refusals) onRefused(JSON.parse(r) as Refusal);
    for (let i = 0; i < ids.length; i++) {
      if (finished[i]) continue;
      const state = await queue.getJobState(ids[i]);
      if (state === 'active' || state === 'waiting' || state === 'prioritized' || state === 'delayed') {
        const job = await QueueJob.fromId<QueuedJob, string>(queue, ids[i]);
        if (!job) continue;
        const was = seen[i];
        // A run that ended without a result: its worker died (its lock ran out and the job was
        // put back: stalled) or its process did (the attempt failed). Polls may miss the
        // waiting state in between, so runs are counted, not states watched.
        if (job.stalledCounter > was.stalled || (job.failedReason ?? '') !== was.failedReason) {
          const reason = job.stalledCounter > was.stalled ? 'its worker stopped answering' : job.failedReason;
          emit({ kind: 'retry', index: i, label: labelOf(i), attempt: was.started + 1, reason });
        }
        if (state === 'active' && job.attemptsStarted > was.started) {
          was.since = job.processedOn ?? Date.now();
          emit({ kind: 'start', index: i, label: labelOf(i), attempt: job.attemptsStarted });
        }
        seen[i] = { started: job.attemptsStarted, stalled: job.stalledCounter, failedReason: job.failedReason ?? '', since: was.since };
      } else if (state === 'completed') {
        const job = await QueueJob.fromId<QueuedJob, string>(queue, ids[i]);
        if (!job) throw new JobError(`${labelOf(i)}: completed, but its result is gone from the queue`, i, 'died');
        results[i] = JSON.parse(job.returnvalue) as R;
        finished[i] = true;
        done++;
        emit({ kind: 'done', index: i, label: labelOf(i), result: results[i], done, total: ids.length, ms: (job.finishedOn ?? Date.now()) - (job.processedOn ?? seen[i].since) });
      } else if (state === 'failed') {
        const job = await QueueJob.fromId<QueuedJob, string>(queue, ids[i]);
        const reason = job?.failedReason ?? 'failed';
        // A worker's own failure message starts with the job's label; a stall limit's does not.
        throw new JobError(reason.startsWith(`${labelOf(i)}:`) ? reason : `${labelOf(i)}: ${reason}`, i, /stalled/i.test(reason) ? 'died' : 'threw');
      } else if (state === 'unknown') {
        throw new JobError(`${labelOf(i)}: gone from the queue (removed by someone else?)`, i, 'died');
      }
    }
    if (done === ids.length) return results;
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

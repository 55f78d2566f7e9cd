/**
 * The worker's side: takes jobs from the queue one at a time and runs each in a child process
 * (`runJobs` with one process), so the lock that tells others it is alive is renewed while a
 * trial computes. A job whose handler throws fails for good; a job whose process dies fails
 * this attempt and runs again, here or elsewhere. A worker of another version than a job's
 * coordinator puts the job back, says so (the coordinator names it), and stops.
 */
import * as os from 'node:os';
import { InputError } from '@nncompress/core';
import { errorMessage } from '@nncompress/core/internal';
import { JobError, runJobs, VERSION } from '@nncompress/core/jobs';
import { DelayedError, UnrecoverableError, Worker } from 'bullmq';
import { connectChecked, parseQueueAddress, redisOptions } from './address';
import { PREFIX, QUEUE_NAME, QueuedJob, Refusal, refusedKey } from './protocol';

export interface StartWorkerOptions {
  /** Names this worker in its lines and in the coordinator's (default: host name and process id). */
  readonly name?: string;
  /**
   * Seconds without a lock renewal after which a job counts as its worker's loss and runs
   * elsewhere (default 30). Shorter finds dead workers sooner; renewals come every half of it.
   */
  readonly lockSeconds?: number;
  /** What this worker says it is (default: its nncompress version). Tests of the refusal set another. */
  readonly version?: string;
  /** Each line the worker says (a job taken, done, refused). */
  readonly onLine?: (line: string) => void;
}

export interface QueueWorker {
  readonly name: string;
  /** Settles when the worker stops: resolves after close(), rejects when it refused a job of another version. */
  readonly stopped: Promise<void>;
  /** Finishes the job in hand, then stops. */
  close(): Promise<void>;
}

/** Connects to the queue at `url` and starts taking jobs; fails in one line when Redis is unreachable. */
export async function startWorker(url: string, options: StartWorkerOptions = {}): Promise<QueueWorker> {
  const address = parseQueueAddress(url);
  const client = await connectChecked(address);
  const name = options.name ?? `${os.hostname()}-${process.pid}`;
  const version = options.version ?? VERSION;
  const lockSeconds = options.lockSeconds ?? 30;
  if (!(lockSeconds >= 1 && lockSeconds <= 3600)) throw new InputError(`--lock-seconds: must be between 1 and 3600, got ${lockSeconds}`);
  const say = options.onLine ?? (() => {});
  let refusal: Error | undefined;
  let settle: { resolve: () => void; reject: (err: Error) => void } | undefined;
  const stopped = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));

  const worker = new Worker<QueuedJob, string>(
    QUEUE_NAME,
    async (job, token) => {
      const data = job.data;
      const label = data.job.label ?? `job ${data.index + 1}`;
      if (data.version !== version) {
        const refused: Refusal = { worker: name, version };
        await client.rpush(refusedKey(data.run), JSON.stringify(refused));
        // Back to the queue for a worker of the right version; this one takes nothing more.
        await job.moveToDelayed(Date.now() + 1000, token);
        refusal ??= new InputError(`worker "${name}": this is nncompress ${version}, and the run's coordinator is ${data.version}: refused its jobs; start a worker of ${data.version}`);
        setImmediate(() => void stop());
        throw new DelayedError();
      }
      say(`worker ${name}: ${label}: started (attempt ${job.attemptsStarted})`);
      const began = Date.now();
      try {
        const [result] = await runJobs([data.job], { processes: 1, attempts: 1, from: data.from });
        say(`worker ${name}: ${label}: done in ${((Date.now() - began) / 1000).toFixed(1)} s`);
        return JSON.stringify(result ?? null);
      } catch (err) {
        say(`worker ${name}: ${label}: ${errorMessage(err)}`);
        // The same input throws again anywhere: no retry. A process that died may not die twice.
        if (err instanceof JobError && err.reason === 'threw') throw new UnrecoverableError(errorMessage(err));
        throw err;
      }
    },
    {
      connection: redisOptions(address),
      prefix: PREFIX,
      concurrency: 1,
      lockDuration: lockSeconds * 1000,
      stalledInterval: lockSeconds * 1000,
      // A job whose worker died runs again, up to 3 runs in all.
      maxStalledCount: 2,
      name,
    },
  );
  worker.on('error', (err) => say(`worker ${name}: ${errorMessage(err)}`));

  let closing: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    closing ??= (async () => {
      await worker.close();
      client.disconnect();
      if (refusal) settle?.reject(refusal);
      else settle?.resolve();
    })();
    return closing;
  };
  await worker.waitUntilReady();
  say(`worker ${name}: nncompress ${version}, waiting for jobs at ${address.shown}`);
  return { name, stopped, close: stop };
}

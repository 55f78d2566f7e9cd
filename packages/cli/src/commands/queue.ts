/** `--queue` for run and sweep, and `nncompress worker`: jobs through BullMQ on Redis (@nncompress/queue). */
import type { JobRunner } from '@nncompress/core/jobs';
import { openQueue, startWorker } from '@nncompress/queue';

/** A queue's runner, or none (the local pool) without an address; `close` ends its connections. */
export async function openRunner(queueUrl: string | undefined): Promise<{ runner?: JobRunner; close(): Promise<void> }> {
  if (queueUrl === undefined) return { close: async () => {} };
  const queue = await openQueue(queueUrl, { onRefused: (line) => process.stderr.write(`warning: ${line}\n`) });
  process.stderr.write(`queue: jobs go to ${queue.address}; start workers with: npx nncompress worker --queue ${queue.address}\n`);
  return { runner: queue.run, close: () => queue.close() };
}

export interface WorkerCommandOptions {
  readonly queue: string;
  readonly name?: string;
  readonly lockSeconds?: number;
}

/** Takes jobs until interrupted (SIGINT, SIGTERM), or until it refuses a run of another version. */
export async function workerCommand(options: WorkerCommandOptions): Promise<void> {
  const worker = await startWorker(options.queue, {
    ...(options.name !== undefined ? { name: options.name } : {}),
    ...(options.lockSeconds !== undefined ? { lockSeconds: options.lockSeconds } : {}),
    onLine: (line) => process.stderr.write(`${line}\n`),
  });
  const stop = (): void => {
    process.stderr.write(`worker ${worker.name}: stopping after the job in hand\n`);
    void worker.close();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    await worker.stopped;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

/**
 * Worker threads kept from one data-parallel call to the next.
 *
 * Starting a thread costs more than rebuilding a model in it: the thread loads tfjs and its
 * backend, and its first batches run cold (about 0.4 s on wasm here, against a LeNet-5
 * evaluation of 2,000 digits that takes 0.44 s on one thread). So threads stay after a call,
 * idle and unreferenced (they never keep the process alive), and the next call of a run
 * reuses them. A thread idle for IDLE_EXIT_MS leaves on its own.
 *
 * Who owns a thread is decided in shared memory, because the calling thread blocks while the
 * workers compute and cannot read their messages: a thread is claimed by swapping its state
 * from idle to busy, and it leaves only by swapping idle to exited, so a claimed thread never
 * leaves under its job.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';

/** A thread's state, in its `life` word. */
export const LIFE = { starting: 0, idle: 1, busy: 2, exited: 3, finishing: 4 } as const;
/** How long an idle thread waits for another job before it leaves. */
export const IDLE_EXIT_MS = 30_000;
/** How long a thread may take to load its backend. */
const START_TIMEOUT_MS = 120_000;
/** How long to wait for a thread to finish its last job (dispose its models) before starting another. */
const FINISH_TIMEOUT_MS = 5_000;
/** Room for a failure's first line, in a shared buffer. */
export const ERROR_BYTES = 4096;

/** What a thread is started with. */
export interface ThreadBoot {
  readonly backend: string;
  readonly life: SharedArrayBuffer;
  readonly error: SharedArrayBuffer;
}

/** A started thread and its shared state word. */
export interface PooledThread {
  readonly worker: Worker;
  readonly life: Int32Array;
  readonly error: Uint8Array;
}

/** Writes the first line of `err`'s message into `bytes`, zero-terminated. */
export function writeError(bytes: Uint8Array, err: unknown): void {
  const message = new TextEncoder().encode(((err as Error)?.message ?? String(err)).split('\n')[0]);
  bytes.fill(0);
  bytes.set(message.subarray(0, bytes.length - 1));
}

export function readError(bytes: Uint8Array): string {
  const end = bytes.indexOf(0);
  return new TextDecoder().decode(bytes.slice(0, end < 0 ? bytes.length : end));
}

/** The worker script: next to this file when compiled; the package's build when this runs from source (tests). */
function workerScript(): string | undefined {
  const compiled = path.join(__dirname, 'data-parallel-worker.js');
  if (fs.existsSync(compiled)) return compiled;
  const built = path.resolve(__dirname, '..', '..', 'dist', 'training', 'data-parallel-worker.js');
  return fs.existsSync(built) ? built : undefined;
}

/** Threads of this process, by backend. */
const pools = new Map<string, PooledThread[]>();

/** Waits while `thread` is in `state`, up to `ms`; returns the state it is in then. */
function waitWhile(thread: PooledThread, state: number, ms: number): number {
  const deadline = Date.now() + ms;
  while (Atomics.load(thread.life, 0) === state && Date.now() < deadline) Atomics.wait(thread.life, 0, state, 250);
  return Atomics.load(thread.life, 0);
}

function startThread(script: string, backend: string): PooledThread {
  const life = new SharedArrayBuffer(4);
  const error = new SharedArrayBuffer(ERROR_BYTES);
  const boot: ThreadBoot = { backend, life, error };
  const worker = new Worker(script, { workerData: boot, stdout: false, stderr: false });
  worker.unref();
  const thread = { worker, life: new Int32Array(life), error: new Uint8Array(error) };
  // A thread that dies some other way is marked, so that it is not claimed again.
  worker.on('exit', () => {
    Atomics.store(thread.life, 0, LIFE.exited);
  });
  return thread;
}

/**
 * Claims `count` threads running `backend`, reusing idle ones and starting the rest, and waits
 * until each has loaded its backend. Returns why not when the script is missing or a thread
 * failed to start. Each claimed thread must then be posted a job (or handed back with
 * `unclaim`); it is idle again when its job stops.
 */
export function claimThreads(count: number, backend: string): PooledThread[] | { readonly refused: string } {
  const script = workerScript();
  if (!script) return { refused: 'the compiled worker script is missing (build the package with tsc -b)' };
  const pool = (pools.get(backend) ?? []).filter((t) => Atomics.load(t.life, 0) !== LIFE.exited);
  pools.set(backend, pool);
  const claimed: PooledThread[] = [];
  for (const thread of pool) {
    if (claimed.length === count) break;
    // A thread still finishing its last job is idle again within moments; a busy one is another job's.
    if (waitWhile(thread, LIFE.finishing, FINISH_TIMEOUT_MS) === LIFE.idle && Atomics.compareExchange(thread.life, 0, LIFE.idle, LIFE.busy) === LIFE.idle) claimed.push(thread);
  }
  while (claimed.length < count) {
    const thread = startThread(script, backend);
    pool.push(thread);
    const state = waitWhile(thread, LIFE.starting, START_TIMEOUT_MS);
    if (state !== LIFE.idle || Atomics.compareExchange(thread.life, 0, LIFE.idle, LIFE.busy) !== LIFE.idle) {
      const why = state === LIFE.starting ? `it did not start within ${START_TIMEOUT_MS / 1000} s` : readError(thread.error) || 'it exited';
      discard(thread);
      unclaim(claimed);
      return { refused: `a worker thread could not load the ${backend} backend (${why})` };
    }
    claimed.push(thread);
  }
  return claimed;
}

/** Ends a thread that failed or stopped answering: it is never claimed again. */
export function discard(thread: PooledThread): void {
  Atomics.store(thread.life, 0, LIFE.exited);
  void thread.worker.terminate();
}

/** Marks a claimed thread whose job has been told to stop: it is idle again once it has disposed the job's models. */
export function finishing(thread: PooledThread): void {
  Atomics.compareExchange(thread.life, 0, LIFE.busy, LIFE.finishing);
}

/** Hands back claimed threads that were given no job. */
export function unclaim(threads: readonly PooledThread[]): void {
  for (const t of threads) {
    Atomics.store(t.life, 0, LIFE.idle);
    Atomics.notify(t.life, 0);
  }
}

/** Ends every idle thread now (tests, and callers that want the memory back before the threads leave on their own). */
export function stopIdleThreads(): void {
  for (const pool of pools.values()) {
    for (const thread of pool) {
      if (Atomics.compareExchange(thread.life, 0, LIFE.idle, LIFE.exited) === LIFE.idle) void thread.worker.terminate();
    }
  }
  pools.clear();
}

/**
 * Runs jobs on child processes of this machine, one job per process at a time. Processes,
 * not threads: the wasm backend computes on one core per instance, a job may hold a model
 * of hundreds of megabytes, and a process that dies (out of memory, killed) takes only its
 * job with it; that job is run again on another process.
 */
import { fork, ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { InputError, NncError } from '../errors';
import type { ChildReply, ChildRequest } from './child';
import { Job, notJson, portableHandler } from './job';

/** A job that failed: its handler threw, or its process died too often. Names the job. */
export class JobError extends NncError {
  /** `threw`: the handler threw (running it again gives the same); `died`: its process ended before it finished. */
  constructor(message: string, readonly index: number, readonly reason: 'threw' | 'died' = 'threw') {
    super('E_JOB', message);
  }
}

export type JobEvent =
  | { readonly kind: 'start'; readonly index: number; readonly label: string; readonly attempt: number }
  | { readonly kind: 'done'; readonly index: number; readonly label: string; readonly result: unknown; readonly done: number; readonly total: number; readonly ms: number }
  | { readonly kind: 'retry'; readonly index: number; readonly label: string; readonly attempt: number; readonly reason: string };

export interface RunJobsOptions {
  /** Processes to run at once: a count, or auto for one per core (default auto). */
  readonly processes?: number | 'auto';
  /** Runs of a job whose process died before it finished, including the first (default 3). A job whose handler throws is not run again. */
  readonly attempts?: number;
  /** Where relative handler paths resolve from (default: the working directory). */
  readonly from?: string;
  /** Called as jobs start, finish, and are run again. */
  readonly onEvent?: (event: JobEvent) => void;
}

/**
 * What runs a list of jobs and gives their results back in job order: `runJobs` on this
 * machine's cores, or a queue's coordinator that hands them to workers on other machines.
 * Whatever runs them, a job gives the same result.
 */
export type JobRunner = <R = unknown>(jobs: readonly Job[], options?: RunJobsOptions) => Promise<R[]>;

/** One process per core, as `os.availableParallelism` counts them. */
export function processCount(setting: number | 'auto' | undefined): number {
  if (setting === undefined || setting === 'auto') return Math.max(1, os.availableParallelism());
  if (!Number.isInteger(setting) || setting < 1) throw new InputError(`processes: must be auto or a positive integer, got ${setting}`);
  return setting;
}

/** The compiled child script: next to this file when compiled; the package's build when this runs from source (tests). */
function childScript(): string {
  const compiled = path.join(__dirname, 'child.js');
  if (fs.existsSync(compiled)) return compiled;
  const built = path.resolve(__dirname, '..', '..', 'dist', 'jobs', 'child.js');
  if (fs.existsSync(built)) return built;
  throw new InputError('the compiled job child script is missing (build the package with tsc -b)');
}

const labelOf = (jobs: readonly Job[], index: number): string => jobs[index].label ?? `job ${index + 1}`;

/**
 * Runs `jobs` and resolves with their results in job order, whatever the number of processes.
 * The first job whose handler throws stops the others and rejects with a JobError naming it.
 */
export const runJobs: JobRunner = <R = unknown>(jobs: readonly Job[], options: RunJobsOptions = {}): Promise<R[]> => {
  const from = options.from ?? process.cwd();
  const attempts = options.attempts ?? 3;
  if (!Number.isInteger(attempts) || attempts < 1) throw new InputError(`attempts: must be a positive integer, got ${attempts}`);
  const handlers = jobs.map((job, i) => {
    const problem = notJson(job.input);
    if (problem) throw new InputError(`${labelOf(jobs, i)}: ${problem}; a job's input must be plain JSON`);
    return portableHandler(job.handler, from);
  });
  const processes = Math.min(processCount(options.processes), jobs.length);
  const script = jobs.length > 0 ? childScript() : '';
  const emit = options.onEvent ?? (() => {});

  return new Promise<R[]>((resolve, reject) => {
    const results = new Array<R>(jobs.length);
    const tries = new Array<number>(jobs.length).fill(0);
    const pending = jobs.map((_, i) => i);
    const running = new Map<ChildProcess, { index: number; id: number; started: number }>();
    const children = new Set<ChildProcess>();
    let done = 0;
    let nextId = 1;
    let settled = false;

    const finish = (err?: Error): void => {
      if (settled) return;
      settled = true;
      for (const child of children) {
        // Finished work ends gently; failed work stops now.
        if (err) child.kill('SIGKILL');
        else if (child.connected) child.disconnect();
      }
      if (err) reject(err);
      else resolve(results);
    };

    const feed = (child: ChildProcess): void => {
      const index = pending.shift();
      if (index === undefined) {
        if (child.connected) child.disconnect();
        return;
      }
      tries[index]++;
      const id = nextId++;
      running.set(child, { index, id, started: Date.now() });
      emit({ kind: 'start', index, label: labelOf(jobs, index), attempt: tries[index] });
      const request: ChildRequest = { id, job: { ...jobs[index], handler: handlers[index] }, from };
      child.send(request);
    };

    const start = (): void => {
      const child = fork(script, [], { execArgv: [], stdio: ['ignore', 2, 2, 'ipc'], serialization: 'json' });
      children.add(child);
      child.on('message', (reply: ChildReply) => {
        const current = running.get(child);
        if (settled || !current || current.id !== reply.id) return;
        running.delete(child);
        const label = labelOf(jobs, current.index);
        if (!reply.ok) {
          finish(new JobError(`${label}: ${reply.error}`, current.index));
          return;
        }
        results[current.index] = JSON.parse(reply.json) as R;
        done++;
        emit({ kind: 'done', index: current.index, label, result: results[current.index], done, total: jobs.length, ms: Date.now() - current.started });
        if (done === jobs.length) finish();
        else feed(child);
      });
      child.on('error', (err) => finish(new JobError(`a job process failed: ${err.message}`, running.get(child)?.index ?? -1, 'died')));
      child.on('exit', (code, signal) => {
        children.delete(child);
        const current = running.get(child);
        running.delete(child);
        if (settled || !current) return;
        const label = labelOf(jobs, current.index);
        const reason = signal ? `its process was killed (${signal})` : `its process exited with code ${code}`;
        if (tries[current.index] >= attempts) {
          finish(new JobError(`${label}: ${reason}, ${tries[current.index]} time(s) of ${attempts}`, current.index, 'died'));
          return;
        }
        emit({ kind: 'retry', index: current.index, label, attempt: tries[current.index] + 1, reason });
        // Run again first, on a new process, so a retried job does not wait for the whole queue.
        pending.unshift(current.index);
        start();
      });
      feed(child);
    };

    if (jobs.length === 0) {
      resolve(results);
      return;
    }
    for (let i = 0; i < processes; i++) start();
  });
};

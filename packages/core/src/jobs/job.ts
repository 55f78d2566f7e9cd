/**
 * Jobs: units of work that are pure and serialisable, so that where they run changes nothing.
 * A job names its handler (a module exporting `runJob`) and carries a JSON input; the same job
 * gives the same result in this process, in a child process or on another machine running the
 * same version. Sweeps run configurations as jobs; nothing in a job may depend on the process
 * that runs it (its worker count is part of its input, not the machine's core count).
 */
import * as path from 'node:path';
import { InputError } from '../errors';

/**
 * This copy of nncompress's version. A job runs only where the same version runs it: a queue's
 * worker of another version refuses the coordinator's jobs.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const VERSION: string = (require('../../package.json') as { version: string }).version;

/** A value that survives JSON: what a job's input and result must be. */
export type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };

export interface Job<I extends JsonValue = JsonValue> {
  /**
   * What runs it: a built-in handler's name (`pipeline`), or a module (a path or a package
   * name, resolved from the working directory) whose `runJob(input)` export returns the
   * result or a promise of it.
   */
  readonly handler: string;
  readonly input: I;
  /** Names the job in progress lines and errors (default: its number). */
  readonly label?: string;
}

/** What a handler module exports. */
export interface JobHandlerModule {
  runJob(input: unknown): unknown;
}

/** Handlers core provides, by name. Their modules sit next to this file. */
const BUILTIN_HANDLERS: Readonly<Record<string, string>> = {
  pipeline: 'pipeline-job',
};

/** Whether `handler` names one of core's own handlers (resolved by each process in its own copy of core). */
export function isBuiltinHandler(handler: string): boolean {
  return Object.prototype.hasOwnProperty.call(BUILTIN_HANDLERS, handler);
}

/**
 * How a job names its handler to another process of this machine: a built-in's name as is,
 * any other module as its absolute file, so that the other process loads exactly that file.
 */
export function portableHandler(handler: string, from = process.cwd()): string {
  return isBuiltinHandler(handler) ? handler : resolveHandler(handler, from);
}

/** The module file `handler` names, absolute. */
export function resolveHandler(handler: string, from = process.cwd()): string {
  if (isBuiltinHandler(handler)) return require.resolve(path.join(__dirname, BUILTIN_HANDLERS[handler]));
  try {
    return require.resolve(handler.startsWith('.') ? path.resolve(from, handler) : handler, { paths: [from] });
  } catch {
    throw new InputError(`job handler "${handler}": no such module (from ${from}); a handler is ${Object.keys(BUILTIN_HANDLERS).join(' or ')}, a path or a package name`);
  }
}

/**
 * Where `value` stops being JSON (a function, NaN, a class instance, a cycle), as a path like
 * `input.stages[0].target`, or undefined when it is plain JSON. `undefined` members of objects
 * are allowed: JSON drops them, as a job's transport does.
 */
export function notJson(value: unknown, where = 'input', seen = new Set<unknown>()): string | undefined {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return undefined;
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : `${where} is ${value}`;
  if (typeof value !== 'object') return `${where} is a ${typeof value}`;
  if (seen.has(value)) return `${where} refers back to itself`;
  seen.add(value);
  try {
    if (Array.isArray(value)) {
      for (const [i, v] of value.entries()) {
        const problem = notJson(v, `${where}[${i}]`, seen);
        if (problem) return problem;
      }
      return undefined;
    }
    // A plain object's prototype is some realm's Object.prototype (or none): one whose own prototype is null.
    const proto = Object.getPrototypeOf(value) as object | null;
    if (proto !== null && Object.getPrototypeOf(proto) !== null) return `${where} is a ${(value as object).constructor?.name ?? 'class instance'}, not a plain object`;
    for (const [k, v] of Object.entries(value)) {
      if (v === undefined) continue;
      const problem = notJson(v, `${where}.${k}`, seen);
      if (problem) return problem;
    }
    return undefined;
  } finally {
    seen.delete(value);
  }
}

/** Runs `job` in this process: loads its handler module and calls `runJob`. */
export async function executeJob(job: Job, from = process.cwd()): Promise<unknown> {
  const file = resolveHandler(job.handler, from);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(file) as Partial<JobHandlerModule>;
  if (typeof mod.runJob !== 'function') throw new InputError(`job handler ${file}: it exports no runJob(input) function`);
  return mod.runJob(job.input);
}

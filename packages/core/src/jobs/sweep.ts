/**
 * Sweep files: a pipeline config and the values to try for some of its keys. Every
 * combination is one configuration, run as one `pipeline` job, in the order the keys are
 * listed (the last key varies fastest), as Distiller's and NNI's grid searches read.
 *
 *   pipeline: ./pipeline.yaml
 *   set:                              # the same in every configuration
 *     plugins.finetune.options.epochs: 1
 *   vary:
 *     stages.gradual-prune.target.sparsity: [0.9, 0.95]
 *     seed: [1, 2, 3]
 *   processes: auto
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkConfig, loadConfig, LoadedConfig, parseConfigFile } from '../config/load';
import type { PipelineConfig } from '../config/types';
import { ConfigError, errorMessage } from '../errors';
import { Job, JsonValue, notJson } from './job';
import type { PipelineJobInput } from './pipeline-job';

/** More configurations than this is a typo in a list, not a sweep anyone can run. */
export const MAX_CONFIGURATIONS = 10_000;

export interface SweepConfiguration {
  /** 0-based, in sweep order. */
  readonly index: number;
  /** `sparsity=0.9 seed=1`: each varied key's short name and value. */
  readonly label: string;
  /** Varied key path → the value this configuration uses. */
  readonly values: Readonly<Record<string, JsonValue>>;
  readonly config: PipelineConfig;
}

export interface LoadedSweep {
  readonly file: string;
  readonly pipeline: LoadedConfig;
  /** The varied key paths, in the file's order. */
  readonly keys: readonly string[];
  /** Each key's name in labels and tables: its last part, or the whole path where two keys share it. */
  readonly shortNames: readonly string[];
  readonly configurations: readonly SweepConfiguration[];
  /** The file's `processes`, when given. */
  readonly processes?: number | 'auto';
}

type Mutable = Record<string, unknown> | unknown[];

const isMapping = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * A copy of `config` with the value at `keyPath` set. A part names a mapping's key (created
 * when missing) or an element of a list: its index, or for lists of named entries (stages)
 * its `name`, which may itself hold dots (`stages.prune-0.4.target`). Fails naming the part
 * that does not exist.
 */
export function setPath(config: PipelineConfig, keyPath: string, value: JsonValue): PipelineConfig {
  const parts = keyPath.split('.');
  if (parts.some((p) => p === '')) throw new Error(`"${keyPath}" has an empty part`);
  const root = structuredClone(config) as unknown as Mutable;
  let node: Mutable = root;
  let i = 0;
  while (i < parts.length) {
    const here = parts.slice(0, i).join('.') || 'the config';
    let key: string | number;
    let used = 1;
    if (Array.isArray(node)) {
      const list: unknown[] = node;
      // The run of parts that is an entry's name, else an index. Two runs that both name
      // entries (stages `x` and `x.target`) would make the path mean two things: refused.
      const matches: { at: number; used: number }[] = [];
      for (let j = i + 1; j <= parts.length; j++) {
        const name = parts.slice(i, j).join('.');
        const at = list.findIndex((e) => isMapping(e) && e.name === name);
        if (at >= 0) matches.push({ at, used: j - i });
      }
      if (matches.length > 1) {
        const names = matches.map((m) => `"${parts.slice(i, i + m.used).join('.')}"`).join(' and ');
        throw new Error(`${here}: ${names} are both entries; name it by its index instead`);
      }
      let at = matches.length === 1 ? matches[0].at : -1;
      if (at >= 0) used = matches[0].used;
      else if (/^\d+$/.test(parts[i]) && Number(parts[i]) < list.length) at = Number(parts[i]);
      if (at < 0) {
        const names = list.map((e, j) => (isMapping(e) && typeof e.name === 'string' ? e.name : String(j)));
        throw new Error(`${here} has no entry "${parts[i]}" (it has ${names.join(', ') || 'none'})`);
      }
      key = at;
    } else {
      key = parts[i];
    }
    i += used;
    const container = node as Record<string | number, unknown>;
    if (i === parts.length) {
      container[key] = value;
      break;
    }
    if (container[key] === undefined && !Array.isArray(node)) container[key] = {};
    const next = container[key];
    if (typeof next !== 'object' || next === null) throw new Error(`${parts.slice(0, i).join('.')} is ${JSON.stringify(next)}, not a mapping or a list`);
    node = next as Mutable;
  }
  return root as unknown as PipelineConfig;
}

const formatValue = (v: JsonValue): string => (typeof v === 'string' ? v : JSON.stringify(v));

/** Reads a sweep file and its pipeline config, and builds every configuration (each validated as a config). */
export function loadSweep(sweepFile: string): LoadedSweep {
  const file = path.resolve(sweepFile);
  if (!fs.existsSync(file)) throw new ConfigError(`sweep file not found: ${sweepFile}`, sweepFile);
  const raw = parseConfigFile(file);
  const fail = (where: string, message: string): never => {
    throw new ConfigError(`${file}: ${where}: ${message}`, file, where);
  };
  if (!isMapping(raw)) return fail('the file', 'must be a mapping with pipeline and vary');
  for (const key of Object.keys(raw)) if (!['pipeline', 'set', 'vary', 'processes'].includes(key)) fail(key, 'unknown key (a sweep file has pipeline, set, vary and processes)');
  if (typeof raw.pipeline !== 'string' || raw.pipeline === '') fail('pipeline', 'must be the path of a pipeline config, relative to this file');
  const processes = raw.processes;
  if (processes !== undefined && processes !== 'auto' && !(Number.isInteger(processes) && (processes as number) >= 1)) fail('processes', `must be auto or a positive integer, got ${JSON.stringify(processes)}`);
  if (!isMapping(raw.vary) || Object.keys(raw.vary).length === 0) fail('vary', 'must map at least one key path (like seed or stages.prune.target.sparsity) to a list of values');
  const vary = raw.vary as Record<string, unknown>;
  const pipelineFile = path.resolve(path.dirname(file), raw.pipeline as string);
  if (!fs.existsSync(pipelineFile)) fail('pipeline', `file not found: ${pipelineFile}`);
  const pipeline = loadConfig(pipelineFile);
  // A sweep runs each configuration as written; a goal would be silently ignored.
  if (pipeline.config.goal) fail('pipeline', `${pipelineFile} has a goal, which a sweep does not search; remove it, or run it with nncompress run`);
  if (raw.set !== undefined && !isMapping(raw.set)) fail('set', 'must map key paths to the value every configuration uses');
  let base = pipeline.config;
  for (const [key, value] of Object.entries((raw.set ?? {}) as Record<string, unknown>)) {
    const problem = notJson(value, `set.${key}`);
    if (problem) fail(`set.${key}`, problem);
    try {
      base = setPath(base, key, value as JsonValue);
    } catch (err) {
      fail(`set.${key}`, errorMessage(err));
    }
  }

  const keys = Object.keys(vary);
  let count = 1;
  for (const key of keys) {
    const values = vary[key];
    if (!Array.isArray(values) || values.length === 0) fail(`vary.${key}`, 'must be a non-empty list of values');
    const problem = notJson(values, `vary.${key}`);
    if (problem) fail(`vary.${key}`, problem);
    count *= (values as unknown[]).length;
  }
  if (count > MAX_CONFIGURATIONS) fail('vary', `${count.toLocaleString('en-US')} configurations; at most ${MAX_CONFIGURATIONS.toLocaleString('en-US')}`);
  const last = keys.map((k) => k.split('.').pop() as string);
  const shortNames = keys.map((k, i) => (last.filter((l) => l === last[i]).length > 1 ? k : last[i]));

  const configurations: SweepConfiguration[] = [];
  for (let index = 0; index < count; index++) {
    // Mixed radix, the last key fastest.
    let rest = index;
    const picks = new Array<JsonValue>(keys.length);
    for (let k = keys.length - 1; k >= 0; k--) {
      const values = vary[keys[k]] as JsonValue[];
      picks[k] = values[rest % values.length];
      rest = Math.floor(rest / values.length);
    }
    let config = base;
    const values: Record<string, JsonValue> = {};
    keys.forEach((key, k) => {
      try {
        config = setPath(config, key, picks[k]);
      } catch (err) {
        fail(`vary.${key}`, errorMessage(err));
      }
      values[key] = picks[k];
    });
    const label = keys.map((_, k) => `${shortNames[k]}=${formatValue(picks[k])}`).join(' ');
    config = checkConfig(config, `${file} (configuration ${index + 1}: ${label})`);
    configurations.push({ index, label, values, config });
  }
  return { file, pipeline, keys, shortNames, configurations, processes: processes as number | 'auto' | undefined };
}

/** A configuration's output folder name: its number and label, safe on every file system. */
export function configurationFolder(c: SweepConfiguration, total: number): string {
  const number = String(c.index + 1).padStart(String(total).length, '0');
  const slug = c.label.replace(/[^A-Za-z0-9.=_-]+/g, '_').slice(0, 80);
  return `${number}-${slug}`;
}

/** The `pipeline` jobs of a sweep: one per configuration, writing into its own folder of `outDir`, one thread each (the sweep's parallelism is its processes). */
export function sweepJobs(sweep: LoadedSweep, outDir: string): Job<JsonValue>[] {
  const total = sweep.configurations.length;
  return sweep.configurations.map((c) => {
    const input: PipelineJobInput = {
      config: c.config,
      dir: sweep.pipeline.dir,
      file: `${sweep.file} (configuration ${c.index + 1}: ${c.label})`,
      outDir: path.resolve(outDir, configurationFolder(c, total)),
      workers: 1,
    };
    return { handler: 'pipeline', input: input as unknown as JsonValue, label: c.label };
  });
}

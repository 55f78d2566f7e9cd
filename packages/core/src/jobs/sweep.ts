/**
 * Sweep files: a pipeline config and the values to try for some of its keys. Every
 * combination is one configuration, run as one `pipeline` job, in the order the keys are
 * listed (the last key varies fastest), as Distiller's and NNI's grid searches read.
 *
 *   pipeline: ./pipeline.yaml
 *   vary:
 *     stages.gradual-prune.target.sparsity: [0.9, 0.95]
 *     seed: [1, 2, 3]
 *   processes: auto
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseDocument } from 'yaml';
import { checkConfig, loadConfig, LoadedConfig } from '../config/load';
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
 * its `name`. Fails naming the part that does not exist.
 */
export function setPath(config: PipelineConfig, keyPath: string, value: JsonValue): PipelineConfig {
  const parts = keyPath.split('.');
  if (parts.some((p) => p === '')) throw new Error(`"${keyPath}" has an empty part`);
  const root = structuredClone(config) as unknown as Mutable;
  let node: Mutable = root;
  parts.forEach((part, i) => {
    const last = i === parts.length - 1;
    const here = parts.slice(0, i).join('.') || 'the config';
    if (Array.isArray(node)) {
      const byName = node.findIndex((e) => isMapping(e) && e.name === part);
      const at = byName >= 0 ? byName : /^\d+$/.test(part) && Number(part) < node.length ? Number(part) : -1;
      if (at < 0) {
        const names = node.map((e, j) => (isMapping(e) && typeof e.name === 'string' ? e.name : String(j)));
        throw new Error(`${here} has no entry "${part}" (it has ${names.join(', ') || 'none'})`);
      }
      if (last) node[at] = value;
      else if (typeof node[at] !== 'object' || node[at] === null) throw new Error(`${parts.slice(0, i + 1).join('.')} is not a mapping or a list`);
      else node = node[at] as Mutable;
      return;
    }
    if (last) {
      node[part] = value;
      return;
    }
    if (node[part] === undefined) node[part] = {};
    const next = node[part];
    if (typeof next !== 'object' || next === null) throw new Error(`${parts.slice(0, i + 1).join('.')} is ${JSON.stringify(next)}, not a mapping or a list`);
    node = next as Mutable;
  });
  return root as unknown as PipelineConfig;
}

function readSweep(file: string): unknown {
  const text = fs.readFileSync(file, 'utf8');
  if (path.extname(file).toLowerCase() === '.json') {
    try {
      return JSON.parse(text);
    } catch (err) {
      throw new ConfigError(`${file}: invalid JSON: ${errorMessage(err)}`, file);
    }
  }
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    const where = e.linePos ? `:${e.linePos[0].line}:${e.linePos[0].col}` : '';
    throw new ConfigError(`${file}${where}: invalid YAML: ${e.message.split('\n')[0]}`, file);
  }
  return doc.toJS();
}

const formatValue = (v: JsonValue): string => (typeof v === 'string' ? v : JSON.stringify(v));

/** Reads a sweep file and its pipeline config, and builds every configuration (each validated as a config). */
export function loadSweep(sweepFile: string): LoadedSweep {
  const file = path.resolve(sweepFile);
  if (!fs.existsSync(file)) throw new ConfigError(`sweep file not found: ${sweepFile}`, sweepFile);
  const raw = readSweep(file);
  const fail = (where: string, message: string): never => {
    throw new ConfigError(`${file}: ${where}: ${message}`, file, where);
  };
  if (!isMapping(raw)) return fail('the file', 'must be a mapping with pipeline and vary');
  for (const key of Object.keys(raw)) if (!['pipeline', 'vary', 'processes'].includes(key)) fail(key, 'unknown key (a sweep file has pipeline, vary and processes)');
  if (typeof raw.pipeline !== 'string' || raw.pipeline === '') fail('pipeline', 'must be the path of a pipeline config, relative to this file');
  const processes = raw.processes;
  if (processes !== undefined && processes !== 'auto' && !(Number.isInteger(processes) && (processes as number) >= 1)) fail('processes', `must be auto or a positive integer, got ${JSON.stringify(processes)}`);
  if (!isMapping(raw.vary) || Object.keys(raw.vary).length === 0) fail('vary', 'must map at least one key path (like seed or stages.prune.target.sparsity) to a list of values');
  const vary = raw.vary as Record<string, unknown>;
  const pipelineFile = path.resolve(path.dirname(file), raw.pipeline as string);
  if (!fs.existsSync(pipelineFile)) fail('pipeline', `file not found: ${pipelineFile}`);
  const pipeline = loadConfig(pipelineFile);

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
    let config = pipeline.config;
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

/**
 * Named dataset sources, and the checks every loaded dataset passes whatever its source:
 * options against the source's schema, splits that agree with each other, every class
 * present, finite features; then each split in a seeded order and the limits applied.
 */
import { validateAgainst } from '../config/validate';
import { silentLogger, Logger } from '../util/logger';
import { Rng } from '../util/rng';
import { CLASSIFICATION, Task } from '../training/task';
import { ArrayDataset, isArrayDataset } from './dataset';
import { builtinSources } from './builtin';
import type { FeatureRows } from './rows';
import type { DatasetLoadContext, DatasetSource, DataSplits } from './source';

/** A config's `data` section: the source, core's own keys, and the source's options. */
export interface DataSpec {
  readonly source: string;
  /** At most this many training examples (a stratified subset; a prefix for fixed-random sources). */
  readonly train?: number;
  /** At most this many test examples. */
  readonly test?: number;
  /** Seed of the data's order, subsets and splits; independent of the run's seed, so every run sees the same test examples. */
  readonly seed?: number;
  /** Measure on this many training examples, held out from training, instead of the test split. */
  readonly holdOut?: number;
  readonly [option: string]: unknown;
}

/** The data seed when `data.seed` is not given. */
export const DEFAULT_DATA_SEED = 1;

const CORE_KEYS = new Set(['source', 'train', 'test', 'seed', 'holdOut']);

export interface DataLoadOptions {
  /** The config file: messages name it, and relative paths resolve from its folder. */
  readonly file: string;
  readonly resolvePath: (relative: string) => string;
  readonly logger?: Logger;
  /** The run's task: the source reads labels or targets accordingly, and both splits carry it. Classification when omitted. */
  readonly task?: Task;
  /** The model's per-example input shape, passed on to the source. */
  readonly inputShape?: readonly number[];
  /** Where a source's progress goes (the pipeline's progress hook); nowhere when omitted. */
  readonly progress?: (done: number, total: number, what: string) => void;
}

export class DatasetRegistry {
  private readonly sources = new Map<string, DatasetSource<never>>();

  constructor(sources: readonly DatasetSource<never>[] = builtinSources) {
    for (const s of sources) this.register(s);
  }

  /** Adds a source; an id already taken is an error (one source must not change what another name reads). */
  register<O>(source: DatasetSource<O>): void {
    if (!source || typeof source.id !== 'string' || typeof source.load !== 'function') throw new Error('a dataset source needs an id and a load function');
    if (this.sources.has(source.id)) throw new Error(`dataset source "${source.id}" is already registered`);
    this.sources.set(source.id, source as DatasetSource<never>);
  }

  get(id: string): DatasetSource<never> | undefined {
    return this.sources.get(id);
  }

  ids(): string[] {
    return [...this.sources.keys()];
  }

  /** Loads, checks, orders and limits the data a config's `data` section names. Errors are one line naming `data…`. */
  async load(spec: DataSpec, options: DataLoadOptions): Promise<DataSplits> {
    const source = this.sources.get(spec.source);
    if (!source) throw new Error(`data.source: unknown dataset source "${spec.source}" (known: ${this.ids().join(', ')}; a plugin adds more through its datasetSources)`);
    const sourceOptions = Object.fromEntries(Object.entries(spec).filter(([k]) => !CORE_KEYS.has(k)));
    const problem = validateAgainst(source.optionsSchema, sourceOptions, 'data');
    if (problem) throw new Error(`${problem} (source ${source.id})`);
    const seed = spec.seed ?? DEFAULT_DATA_SEED;
    const logger = options.logger ?? silentLogger;
    const task = options.task ?? CLASSIFICATION;
    const ctx: DatasetLoadContext = { file: options.file, resolvePath: options.resolvePath, logger, seed, limits: { train: spec.train, test: spec.test }, task: task.kind, ...(options.inputShape ? { inputShape: options.inputShape } : {}), progress: options.progress ?? (() => {}) };
    const loaded = await source.load(sourceOptions as never, ctx);
    const where = `data (source ${source.id})`;
    const fixed = source.order === 'fixed-random';
    if (fixed && spec.seed !== undefined) logger.warn(`data.seed: source ${source.id} comes in a fixed order that no seed changes; the seed is not used`);
    // A fixed-random source may have applied the limits itself: what they leave out is the warning below, not an error.
    checkSplits(loaded, where, { train: fixed && spec.train !== undefined, test: fixed && spec.test !== undefined });
    const rng = new Rng(seed);
    const limit = (d: ArrayDataset, n: number | undefined, part: 'train' | 'test'): ArrayDataset => {
      const ordered = fixed || source.order === 'seeded' ? d : d.shuffled(rng.fork(part));
      const out = fixed ? ordered.take(n) : ordered.stratified(n);
      const missing = out.classCounts().filter((c) => c === 0).length;
      if (n !== undefined && missing > 0) logger.warn(`data.${part}: ${n} examples leave out ${missing} of the ${d.numClasses} classes`);
      return out;
    };
    const scored = (d: ArrayDataset): ArrayDataset => {
      try {
        return d.withTask(task);
      } catch (err) {
        throw new Error(`task: ${task.kind}: ${(err as Error).message.replace(/^dataset [^:]*: /, '')} (${where})`);
      }
    };
    const train = scored(limit(loaded.train, spec.train, 'train'));
    const test = scored(limit(loaded.test, spec.test, 'test'));
    if (spec.holdOut === undefined) return { ...loaded, train, test };
    // The last examples of the ordered training set: a seeded random sample, never trained on.
    if (!(Number.isInteger(spec.holdOut) && spec.holdOut >= 1 && spec.holdOut < train.size)) {
      throw new Error(`data.holdOut: must be a whole number of examples from 1 to ${train.size - 1} (fewer than the ${train.size} training examples), got ${spec.holdOut}`);
    }
    const [kept, held] = train.split(spec.holdOut / train.size);
    const missing = held.classCounts().filter((c) => c === 0).length;
    if (missing > 0) logger.warn(`data.holdOut: ${spec.holdOut} examples leave out ${missing} of the ${held.numClasses} classes`);
    return { ...loaded, train: kept, test: held, heldOut: held.size };
  }
}

/** What every source must return: two non-empty splits of the same shape and classes, every class in each, finite features. */
function checkSplits(splits: DataSplits, where: string, limited: { readonly train: boolean; readonly test: boolean }): void {
  if (!splits || !isArrayDataset(splits.train) || !isArrayDataset(splits.test)) throw new Error(`${where}: the source returned no { train, test } datasets`);
  const { train, test } = splits;
  if (train.featureShape.join() !== test.featureShape.join()) throw new Error(`${where}: train features are [${train.featureShape.join(', ')}] but test features are [${test.featureShape.join(', ')}]`);
  if (train.numClasses !== test.numClasses) throw new Error(`${where}: train has ${train.numClasses} classes but test has ${test.numClasses}`);
  if (splits.classNames && splits.classNames.length !== train.numClasses) throw new Error(`${where}: ${splits.classNames.length} class names for ${train.numClasses} classes`);
  for (const [part, d] of [['train', train], ['test', test]] as const) {
    if (d.size === 0) throw new Error(`${where}: the ${part} split is empty`);
    for (let i = 0; i < d.size; i++) {
      const label = d.labels[i];
      if (!(label < d.numClasses)) throw new Error(`${where}: ${part} example ${i} has label ${label}, outside the ${d.numClasses} classes`);
    }
    const counts = d.classCounts();
    const missing = counts.findIndex((c) => c === 0);
    if (missing >= 0 && !limited[part]) throw new Error(`${where}: the ${part} split has no example of class ${splits.classNames?.[missing] !== undefined ? `"${splits.classNames[missing]}" (${missing})` : missing} of ${d.numClasses}`);
    if (d.targets) {
      const bad = d.targets.findIndex((v) => !Number.isFinite(v));
      if (bad >= 0) throw new Error(`${where}: ${part} example ${Math.floor(bad / d.targetWidth)} has a ${Number.isNaN(d.targets[bad]) ? 'NaN' : 'infinite'} target`);
    }
    if (train.targetWidth !== test.targetWidth) throw new Error(`${where}: train has ${train.targetWidth} targets per example but test has ${test.targetWidth}`);
    const bad = firstNonFinite(d.rows);
    if (bad) throw new Error(`${where}: ${part} example ${Math.floor(bad.at / d.featureSize)} has a ${Number.isNaN(bad.value) ? 'NaN' : 'infinite'} feature (index ${bad.at % d.featureSize})`);
  }
}

/** The first value of float rows that is NaN or infinite, and where it is; rows on disk are read a chunk at a time. */
function firstNonFinite(rows: FeatureRows): { at: number; value: number } | undefined {
  if (rows.dtype !== 'float32') return undefined;
  const chunk = Math.max(1, Math.floor(262_144 / Math.max(1, rows.rowSize)));
  for (let start = 0; start < rows.count; start += chunk) {
    const n = Math.min(chunk, rows.count - start);
    let values = rows.inMemory?.subarray(start * rows.rowSize, (start + n) * rows.rowSize);
    if (!values) {
      values = new Float32Array(n * rows.rowSize);
      rows.read(Int32Array.from({ length: n }, (_, i) => start + i), values);
    }
    const bad = values.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) return { at: start * rows.rowSize + bad, value: values[bad] };
  }
  return undefined;
}

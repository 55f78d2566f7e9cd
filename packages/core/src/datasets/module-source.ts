/**
 * The `module` source, the escape hatch for data no other source reads: a JS or TS file
 * (relative to the config) whose default export, typed by `defineDataset`, loads the splits.
 * Each split may be an `ArrayDataset`, plain arrays (`{ features, featureShape, labels }` or
 * `targets`), or an async iterable of such chunks (batches read from a database, say), which
 * are gathered into one dataset.
 */
import * as fs from 'node:fs';
import { errorMessage } from '../errors';
import { requireModule } from '../util/require-module';
import { ArrayDataset, isArrayDataset, labelArray } from './dataset';
import type { DatasetLoadContext, DatasetSource } from './source';

/** A split as plain arrays: features row by row, and class ids or float targets. */
export interface PlainSplit {
  readonly features: ArrayLike<number>;
  /** Per-example feature shape, e.g. [28, 28, 1] or [13]. */
  readonly featureShape: readonly number[];
  readonly labels?: ArrayLike<number>;
  /** Float targets, `targets.length / examples` per example (regression, multilabel). */
  readonly targets?: ArrayLike<number>;
}

export type ModuleSplit = ArrayDataset | PlainSplit | AsyncIterable<PlainSplit>;

export interface ModuleDataset {
  readonly train: ModuleSplit;
  readonly test: ModuleSplit;
  readonly classNames?: readonly string[];
}

/** What a dataset module's default export is: given the options (`data.options`) and the load context, the splits. */
export type DatasetLoader = (options: Readonly<Record<string, unknown>>, ctx: DatasetLoadContext) => ModuleDataset | Promise<ModuleDataset>;

/** Identity helper that types a dataset module's default export. */
export function defineDataset(loader: DatasetLoader): DatasetLoader {
  return loader;
}

async function gather(split: ModuleSplit, name: string, file: string): Promise<PlainSplit | ArrayDataset> {
  if (isArrayDataset(split)) return split;
  if (split && typeof (split as AsyncIterable<PlainSplit>)[Symbol.asyncIterator] === 'function') {
    const chunks: PlainSplit[] = [];
    for await (const chunk of split as AsyncIterable<PlainSplit>) chunks.push(chunk);
    if (chunks.length === 0) throw new Error(`data.module: ${file}: the ${name} split yielded no chunks`);
    const shape = chunks[0].featureShape;
    for (const c of chunks) if (c.featureShape?.join() !== shape?.join()) throw new Error(`data.module: ${file}: ${name} chunks have feature shapes [${shape}] and [${c.featureShape}]`);
    // Typed arrays, not number arrays: a uint8 split stays uint8, a million rows stay compact.
    const join = (key: 'features' | 'labels' | 'targets', bytes: boolean): ArrayLike<number> | undefined => {
      if (!chunks[0][key]) return undefined;
      const length = chunks.reduce((n, c) => n + (c[key]?.length ?? 0), 0);
      const out = bytes ? new Uint8Array(length) : new Float32Array(length);
      let at = 0;
      for (const c of chunks) {
        const part = c[key] ?? [];
        if (ArrayBuffer.isView(part)) out.set(part as unknown as ArrayLike<number>, at);
        else for (let i = 0; i < part.length; i++) out[at + i] = part[i];
        at += part.length;
      }
      return out;
    };
    const uint8 = chunks.every((c) => c.features instanceof Uint8Array);
    return { featureShape: shape, features: join('features', uint8)!, labels: join('labels', false), targets: join('targets', false) };
  }
  return split as PlainSplit;
}

function toDataset(split: PlainSplit | ArrayDataset, name: string, file: string, classes: number): ArrayDataset {
  if (isArrayDataset(split)) return split;
  const where = `data.module: ${file}: the ${name} split`;
  if (!split || !Array.isArray(split.featureShape) || !split.features) throw new Error(`${where} is not an ArrayDataset or { features, featureShape, labels | targets }`);
  const size = split.featureShape.reduce((a, b) => a * b, 1);
  const n = split.features.length / size;
  if (!Number.isInteger(n)) throw new Error(`${where}: ${split.features.length} features are not a whole number of rows of [${split.featureShape.join(', ')}]`);
  if (!split.labels && !split.targets) throw new Error(`${where} has neither labels nor targets`);
  if (split.labels && split.labels.length !== n) throw new Error(`${where}: ${n} rows but ${split.labels.length} labels`);
  const labels = labelArray(n, classes);
  if (split.labels) for (let i = 0; i < n; i++) labels[i] = split.labels[i];
  const features = split.features instanceof Uint8Array || split.features instanceof Float32Array ? split.features : Float32Array.from(split.features);
  return new ArrayDataset(`module-${name}`, features, labels, split.featureShape, classes, { targets: split.targets ? Float32Array.from(split.targets) : undefined });
}

export const moduleSource: DatasetSource<{ module: string; options?: Record<string, unknown> }> = {
  id: 'module',
  description: 'A JS or TS module whose default export (defineDataset) loads the splits: the way in for any other data.',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['module'],
    properties: {
      module: { type: 'string', minLength: 1, description: 'The module file, relative to the config file.' },
      options: { type: 'object', description: 'Passed to the module\'s loader as its first argument.' },
    },
  },
  async load(options, ctx) {
    const file = ctx.resolvePath(options.module);
    if (!fs.existsSync(file)) throw new Error(`data.module: no such file: ${file}`);
    let exported: unknown;
    try {
      exported = requireModule(file);
    } catch (err) {
      throw new Error(`data.module: ${file} failed to load: ${errorMessage(err)}`);
    }
    const loader = (exported as { default?: unknown })?.default ?? exported;
    if (typeof loader !== 'function') throw new Error(`data.module: ${file} does not export a dataset loader (export default defineDataset((options, ctx) => ({ train, test })))`);
    let loaded: ModuleDataset;
    try {
      loaded = await (loader as DatasetLoader)(options.options ?? {}, ctx);
    } catch (err) {
      throw new Error(`data.module: ${file}: ${errorMessage(err)}`);
    }
    if (!loaded || typeof loaded !== 'object') throw new Error(`data.module: ${file}: the loader returned ${String(loaded)}, not { train, test }`);
    const [train, test] = [await gather(loaded.train, 'train', file), await gather(loaded.test, 'test', file)];
    const labelsOf = (s: PlainSplit | ArrayDataset): number[] => (isArrayDataset(s) ? [] : Array.from(s.labels ?? []));
    const ids = [...labelsOf(train), ...labelsOf(test)];
    const bad = ids.findIndex((l) => !Number.isInteger(l) || l < 0);
    if (bad >= 0) throw new Error(`data.module: ${file}: label ${ids[bad]} is not a class id`);
    const classes = isArrayDataset(train) ? train.numClasses : loaded.classNames?.length ?? (ids.length ? ids.reduce((a, b) => Math.max(a, b), 0) + 1 : 1);
    return { train: toDataset(train, 'train', file, classes), test: toDataset(test, 'test', file, classes), ...(loaded.classNames ? { classNames: loaded.classNames } : {}) };
  },
};

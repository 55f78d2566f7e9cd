/**
 * The plugin contract. A plugin is either
 *  - a class with static `id` and `optionsSchema` whose instances have `apply`; its
 *    constructor may ask for services by injection (`@inject(Services.Logger)`), or
 *  - a plain object with `id`, `optionsSchema` and `apply`.
 * Either way `apply(hooks, options, ctx)` taps hooks; `options` were validated against
 * `optionsSchema` (with defaults filled in) before `apply` is called, and `ctx` carries
 * every service, so a plugin author never needs the DI container.
 */
import type { TensorCodec } from '@nncompress/format';
import type { ProvidedServices } from './di';
import type { BackendInfo } from '../backend/choose';
import type { DatasetRegistry } from '../datasets/registry';
import type { DatasetSource } from '../datasets/source';
import type { ImportanceMeasure, ImportanceRegistry } from '../importance/measure';
import type { TargetKind } from '../pipeline/targets';
import type { PipelineHooks } from '../pipeline/hooks';
import type { Logger } from '../util/logger';
import type { Rng } from '../util/rng';

/** A JSON Schema (draft 2020-12 subset understood by ajv). */
export type JsonSchema = Record<string, unknown>;

/** What `apply` receives besides the hooks and options: the instance's name, logger and seeded rng, the run's datasets, backend and importance measures, and ways to resolve paths and emit files. */
export interface PluginContext {
  /** The instance name given in the config (`plugins.<name>`). */
  readonly instanceName: string;
  readonly logger: Logger;
  /** A generator seeded from the run seed and the instance name. */
  readonly rng: Rng;
  /** The run's dataset sources (core's and every configured plugin's), to read; plugins add sources through `datasetSources`. */
  readonly datasets: Pick<DatasetRegistry, 'get' | 'ids'>;
  readonly backend: BackendInfo;
  /** The run's importance measures (core's and every configured plugin's): `importance.measure(options.criterion, 'channel')`. */
  readonly importance: Pick<ImportanceRegistry, 'measure' | 'idsOf' | 'get'>;
  /**
   * A path from the config resolved from the config file's folder, as every path in a config
   * is. Options declared `format: 'path'` in the schema arrive resolved already.
   */
  resolvePath(relative: string): string;
  /** Adds a file to the run's output folder (written atomically with the rest). */
  emitFile(fileName: string, data: string | Uint8Array): void;
}

/** What `apply`s a plugin's taps: a class plugin's instance or a plain-object plugin. */
export interface PluginInstance<O> {
  apply(hooks: PipelineHooks, options: O, ctx: PluginContext): void;
}

/**
 * Dataset sources a plugin contributes (`data.source` names them by id). They are declared on
 * the plugin, not registered in `apply`, so every command that reads the config's data
 * (`run`, `sensitivity` and its workers, the bench) sees them without running a pipeline.
 */
export type DatasetSources = readonly DatasetSource<never>[];

/** Codecs a plugin adds to a run's registry (a config's `encode.codec` may name them), declared like its dataset sources. */
export type PluginCodecs = readonly TensorCodec[];

/**
 * What a plugin adds to the run's registries, declared on the plugin (not registered in
 * `apply`) so that config checks and every command see them before anything runs.
 */
export interface PluginContributions {
  readonly datasetSources?: DatasetSources;
  readonly codecs?: PluginCodecs;
  /** Importance measures any plugin's criterion option may then name (one file each, like core's). */
  readonly importanceMeasures?: readonly ImportanceMeasure[];
  /** Target kinds a stage's `target` may then name; a select tap of some plugin must serve each. */
  readonly targetKinds?: readonly TargetKind[];
}

/** A plugin written as a plain object: `id`, an optional options schema, what it contributes, and `apply`. */
export interface PluginObject<O = Record<string, unknown>> extends PluginInstance<O>, PluginContributions {
  readonly id: string;
  readonly optionsSchema?: JsonSchema;
  /** Services the plugin replaces for the whole run (core's trainer, evaluator or latency meter), or factories that build them. */
  readonly provides?: ProvidedServices;
}

/** A plugin written as a class: static `id`, options schema and contributions; instances (built with injected services) `apply`. */
export interface PluginClass<O = Record<string, unknown>> extends PluginContributions {
  new (...services: never[]): PluginInstance<O>;
  readonly id: string;
  readonly optionsSchema?: JsonSchema;
  /** Services the plugin replaces for the whole run (core's trainer, evaluator or latency meter), or factories that build them. */
  readonly provides?: ProvidedServices;
}

/** A plugin: a plain object or a class (see docs/writing-a-plugin.md). */
export type Plugin<O = Record<string, unknown>> = PluginObject<O> | PluginClass<O>;

/** Identity helper that types a plain-object plugin. */
export function definePlugin<O>(plugin: PluginObject<O>): PluginObject<O> {
  return plugin;
}

export function isPluginClass(value: unknown): value is PluginClass {
  return typeof value === 'function' && typeof (value as { id?: unknown }).id === 'string' && typeof (value as { prototype?: { apply?: unknown } }).prototype?.apply === 'function';
}

export function isPluginObject(value: unknown): value is PluginObject {
  return typeof value === 'object' && value !== null && typeof (value as { id?: unknown }).id === 'string' && typeof (value as { apply?: unknown }).apply === 'function';
}

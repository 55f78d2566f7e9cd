/**
 * A config's plugins made ready for a run: resolved and their options checked, the services
 * they provide chosen, and each instance applied to the hooks with its context and the DI
 * container.
 */
import * as path from 'node:path';
import type { CodecRegistry } from '@nncompress/format';
import type { BackendInfo } from '../backend/choose';
import type { LoadedConfig } from '../config/load';
import type { DatasetRegistry } from '../datasets/registry';
import type { ImportanceRegistry } from '../importance/measure';
import { ConfigError, PluginError } from '../errors';
import { createContainer, defaultServices, ProvidedServices, ReplaceableServices, ServiceFactoryContext, scopedLogger } from '../plugins/di';
import { PluginHost } from '../plugins/host';
import { resolvePlugin } from '../plugins/loader';
import type { Plugin, PluginObject } from '../plugins/plugin';
import type { Logger } from '../util/logger';
import type { Rng } from '../util/rng';
import type { PipelineHooks } from './hooks';
import type { ModelState } from './types';

/** Names core writes in a run's output folder; a plugin may not emit a file under them. */
const OWN_OUTPUTS = ['model', 'report.json', 'report.html'];

export interface PreparedPlugin {
  readonly instanceName: string;
  readonly plugin: Plugin;
  readonly options: Record<string, unknown>;
}

/** Every plugin instance of the config, resolved, with its options checked and defaults filled in: config errors before anything loads. */
export function preparePlugins(loaded: LoadedConfig): PreparedPlugin[] {
  const { config, dir, file } = loaded;
  return Object.entries(config.plugins ?? {}).map(([instanceName, spec]) => {
    const where = `${file}: plugins.${instanceName}`;
    const { plugin } = resolvePlugin(spec.use, dir, `${where}.use`);
    return { instanceName, plugin, options: PluginHost.prepareOptions(plugin, spec.options, where, dir) };
  });
}

/**
 * Core's trainer, evaluator and latency meter, replaced by what a configured plugin
 * `provides` (two plugins providing one service is a config error naming both), and then
 * by the caller's `overrides`.
 */
export function resolveServices(file: string, plugins: readonly PreparedPlugin[], logger: Logger, overrides: Partial<ReplaceableServices> = {}): ReplaceableServices {
  const chosen: Record<string, unknown> = { ...defaultServices };
  const by = new Map<string, string>();
  for (const { instanceName, plugin } of plugins) {
    const provides: ProvidedServices = plugin.provides ?? {};
    for (const [name, given] of Object.entries(provides)) {
      if (!(name in defaultServices)) throw new ConfigError(`${file}: plugins.${instanceName} (${plugin.id}) provides "${name}", which is not a replaceable service (${Object.keys(defaultServices).join(', ')})`, file, `plugins.${instanceName}`);
      const other = by.get(name);
      if (other) throw new ConfigError(`${file}: plugins.${other} and plugins.${instanceName} both provide the ${name}; keep one`, file, `plugins.${instanceName}`);
      by.set(name, instanceName);
      chosen[name] = typeof given === 'function' ? (given as (ctx: ServiceFactoryContext) => unknown)({ logger: scopedLogger(logger, instanceName), defaults: defaultServices }) : given;
      logger.info(`${instanceName}: provides the ${name}`);
    }
  }
  return { ...(chosen as unknown as ReplaceableServices), ...overrides };
}

export interface RunWiring {
  readonly hooks: PipelineHooks;
  readonly logger: Logger;
  /** The config file, for messages, and its folder: plugin paths resolve from it. */
  readonly file: string;
  readonly baseDir: string;
  /** Files plugins emit, by name, written with the report. */
  readonly emitted: Map<string, string | Uint8Array>;
  readonly services: ReplaceableServices;
  readonly codecs: () => CodecRegistry;
}

/**
 * Applies core's built-in plugins (`builtins`: the report writer and the summary log, with
 * the run's logger unscoped and the output folder's own names open to them), then every
 * configured instance, each with its own context (scoped logger, forked rng, emitFile) and
 * the run's container.
 */
export function applyPlugins(wiring: RunWiring, plugins: readonly PreparedPlugin[], builtins: readonly PluginObject[], run: { readonly state: ModelState; readonly datasets: DatasetRegistry; readonly backend: BackendInfo; readonly rng: Rng; readonly importance: ImportanceRegistry }): PluginHost {
  const { hooks, logger, emitted } = wiring;
  const { state, datasets, backend, rng, importance } = run;
  const host = new PluginHost(hooks);
  const container = createContainer({ ...wiring.services, logger, rng, datasets, backend, modelState: state, codecs: wiring.codecs, importance });
  const common = { datasets, backend, importance, resolvePath: (relative: string) => path.resolve(wiring.baseDir, relative) };
  for (const plugin of builtins) {
    host.apply(plugin.id, plugin, {}, { ...common, instanceName: plugin.id, logger, rng: rng.fork(plugin.id), emitFile: (name, bytes) => void emitted.set(name, bytes) }, container, true);
  }
  for (const { instanceName, plugin, options } of plugins) {
    applyNamingTheConfig(wiring.file, () => host.apply(instanceName, plugin, options, {
      ...common,
      instanceName,
      logger: scopedLogger(logger, instanceName),
      rng: rng.fork(instanceName),
      emitFile: (name, bytes) => {
        // A plain relative file name, not one of core's own outputs: checked when emitted, naming the plugin.
        const parts = typeof name === 'string' ? name.split(/[\\/]/) : [];
        if (parts.length === 0 || parts.some((p) => p === '' || p === '.' || p === '..') || path.isAbsolute(name)) {
          throw new PluginError(`plugin ${instanceName} (${plugin.id}): emitFile(${JSON.stringify(name)}): not a file name inside the output folder`, plugin.id);
        }
        if (OWN_OUTPUTS.includes(parts[0]) || [...emitted.keys()].some((n) => n.startsWith(`${name}/`) || name.startsWith(`${n}/`))) {
          throw new PluginError(`plugin ${instanceName} (${plugin.id}): emitFile(${JSON.stringify(name)}): that name is taken in the output folder`, plugin.id);
        }
        emitted.set(name, bytes);
      },
    }, container));
  }
  return host;
}

/**
 * Runs a plugin's `apply`; a config error it raises without naming the file (a plugin knows
 * its option's path, e.g. an unknown importance measure, not the config file) gets the file
 * in front, as every other config error has.
 */
function applyNamingTheConfig(file: string, apply: () => void): void {
  try {
    apply();
  } catch (err) {
    if (err instanceof ConfigError && err.file === undefined) throw new ConfigError(`${file}: ${err.message}`, file, err.path);
    throw err;
  }
}

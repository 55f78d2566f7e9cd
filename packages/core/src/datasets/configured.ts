/**
 * The data a config names, loaded the same way by every command: core's sources plus those of
 * the plugins the config lists, the options checked, paths relative to the config file.
 */
import * as path from 'node:path';
import type { LoadedConfig } from '../config/load';
import { ConfigError, errorMessage, PluginError } from '../errors';
import { resolvePlugin } from '../plugins/loader';
import type { Plugin } from '../plugins/plugin';
import type { Logger } from '../util/logger';
import { DatasetRegistry } from './registry';
import type { DataSplits } from './source';

/** Core's sources and those the given plugins declare; an id declared twice is an error naming the plugin. */
export function datasetRegistryFor(plugins: readonly { readonly instanceName: string; readonly plugin: Plugin }[], file: string): DatasetRegistry {
  const registry = new DatasetRegistry();
  for (const { instanceName, plugin } of plugins) {
    const declared = plugin.datasetSources ?? [];
    if (!Array.isArray(declared)) throw new PluginError(`${file}: plugins.${instanceName} (${plugin.id}): datasetSources must be a list of dataset sources`, plugin.id);
    for (const source of declared) {
      try {
        registry.register(source);
      } catch (err) {
        throw new PluginError(`${file}: plugins.${instanceName} (${plugin.id}): ${errorMessage(err)}`, plugin.id);
      }
    }
  }
  return registry;
}

/** Loads `data` with `registry`; any problem is a ConfigError naming the config file and `data…`. */
export async function loadData(loaded: LoadedConfig, registry: DatasetRegistry, logger?: Logger): Promise<DataSplits> {
  const { config, file, dir } = loaded;
  try {
    return await registry.load(config.data, { file, resolvePath: (p) => path.resolve(dir, p), logger });
  } catch (err) {
    const message = errorMessage(err);
    const at = /^(data[.\w[\]"-]*)/.exec(message)?.[1] ?? 'data';
    throw new ConfigError(`${file}: ${message.startsWith('data') ? '' : 'data: '}${message}`, file, at);
  }
}

/** The data of a loaded config, for commands that run no pipeline (sensitivity, its workers, the bench). */
export async function loadConfiguredData(loaded: LoadedConfig, logger?: Logger): Promise<DataSplits> {
  const plugins = Object.entries(loaded.config.plugins ?? {}).map(([instanceName, spec]) => ({ instanceName, plugin: resolvePlugin(spec.use, loaded.dir, `${loaded.file}: plugins.${instanceName}.use`).plugin }));
  return loadData(loaded, datasetRegistryFor(plugins, loaded.file), logger);
}

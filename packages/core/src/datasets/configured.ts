/**
 * The data a config names, loaded the same way by every command: core's sources plus those of
 * the plugins the config lists, the options checked, paths relative to the config file.
 */
import * as path from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import type { LoadedConfig } from '../config/load';
import { ConfigError, errorMessage, InputError } from '../errors';
import { NamedPlugin, registerContributions } from '../plugins/contributions';
import { resolvePlugin } from '../plugins/loader';
import { resolveTask, Task } from '../training/task';
import type { Logger } from '../util/logger';
import { DatasetRegistry } from './registry';
import type { DataSplits } from './source';

/** Core's sources and those the given plugins declare; an id declared twice is an error naming the plugin. */
export function datasetRegistryFor(plugins: readonly NamedPlugin[], file: string): DatasetRegistry {
  const registry = new DatasetRegistry();
  registerContributions(plugins, 'datasetSources', (source) => registry.register(source), file);
  return registry;
}

/** What loading a config's data needs beyond the config: the run's task and the model's input shape, when known. */
export interface ConfiguredDataOptions {
  readonly logger?: Logger;
  readonly task?: Task;
  readonly inputShape?: readonly number[];
  readonly progress?: (done: number, total: number, what: string) => void;
}

/** Loads `data` with `registry`; any problem is a ConfigError naming the config file and `data…` (or `task…`). */
export async function loadData(loaded: LoadedConfig, registry: DatasetRegistry, options: ConfiguredDataOptions = {}): Promise<DataSplits> {
  const { config, file, dir } = loaded;
  try {
    return await registry.load(config.data, { file, resolvePath: (p) => path.resolve(dir, p), ...options });
  } catch (err) {
    const message = errorMessage(err);
    const at = /^((?:data|task)[.\w[\]"-]*)/.exec(message)?.[1] ?? 'data';
    throw new ConfigError(`${file}: ${/^(data|task)\b/.test(message) ? '' : 'data: '}${message}`, file, at);
  }
}

/** The data of a loaded config, for commands that run no pipeline (sensitivity, its workers, the bench). */
export async function loadConfiguredData(loaded: LoadedConfig, options: ConfiguredDataOptions = {}): Promise<DataSplits> {
  const plugins = Object.entries(loaded.config.plugins ?? {}).map(([instanceName, spec]) => ({ instanceName, plugin: resolvePlugin(spec.use, loaded.dir, `${loaded.file}: plugins.${instanceName}.use`).plugin }));
  return loadData(loaded, datasetRegistryFor(plugins, loaded.file), options);
}

/**
 * The task a config's run is scored on: its `task`, else what the model's saved training
 * config implies, else classification (see resolveTask). Said in the log when the two differ.
 */
export function configuredTask(loaded: LoadedConfig, model: tf.LayersModel, logger?: Logger): Task {
  try {
    const resolved = resolveTask(loaded.config.task, model);
    if (resolved.warning) logger?.warn(resolved.warning);
    if (resolved.from === 'training config') logger?.info(`task: ${resolved.task.kind} (${resolved.task.loss}, ${resolved.task.metric}), from the model's training config`);
    return resolved.task;
  } catch (err) {
    const message = errorMessage(err);
    if (message.startsWith('task')) throw new ConfigError(`${loaded.file}: ${message}`, loaded.file, message.split(':')[0]);
    throw new InputError(`${loaded.file}: ${message}`);
  }
}

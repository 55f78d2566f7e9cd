/**
 * What configured plugins declare for the run's registries (dataset sources, importance
 * measures, target kinds), registered once each with errors that name the plugin.
 */
import { errorMessage, PluginError } from '../errors';
import type { Plugin, PluginContributions } from './plugin';

export interface NamedPlugin {
  readonly instanceName: string;
  readonly plugin: Plugin;
}

/** Calls `register` with each item the plugins declare in `field`; a non-list or a rejected item is a PluginError naming the instance. */
export function registerContributions<K extends keyof PluginContributions>(
  plugins: readonly NamedPlugin[],
  field: K,
  register: (item: NonNullable<PluginContributions[K]>[number]) => void,
  file: string,
): void {
  for (const { instanceName, plugin } of plugins) {
    const declared: unknown = plugin[field] ?? [];
    if (!Array.isArray(declared)) throw new PluginError(`${file}: plugins.${instanceName} (${plugin.id}): ${field} must be a list`, plugin.id);
    for (const item of declared as NonNullable<PluginContributions[K]>) {
      try {
        register(item);
      } catch (err) {
        throw new PluginError(`${file}: plugins.${instanceName} (${plugin.id}): ${field}: ${errorMessage(err)}`, plugin.id);
      }
    }
  }
}

/**
 * Resolves a plugin reference from a config: a package name (resolved from the config's
 * folder, then the working directory, then core's own install) or a path relative to the
 * config file (a file, or a folder with a package.json).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { errorMessage, PluginError } from '../errors';
import { requireModule } from '../util/require-module';
import { isPluginClass, isPluginObject, Plugin } from './plugin';

export interface ResolvedPlugin {
  readonly plugin: Plugin;
  /** Where it was loaded from. */
  readonly location: string;
}

function isPathReference(ref: string): boolean {
  return ref.startsWith('.') || path.isAbsolute(ref);
}

function resolveFile(ref: string, baseDir: string): string | undefined {
  if (isPathReference(ref)) {
    const abs = path.resolve(baseDir, ref);
    if (!fs.existsSync(abs)) return undefined;
    return require.resolve(abs);
  }
  for (const dir of [baseDir, process.cwd(), __dirname]) {
    try {
      return require.resolve(ref, { paths: [dir] });
    } catch {
      // try the next place
    }
  }
  return undefined;
}

/** Picks the plugin out of a module's exports: `default`, `plugin`, or the module itself. */
export function pluginFromExports(exports: unknown): Plugin | undefined {
  const candidates: unknown[] = [];
  if (exports && (typeof exports === 'object' || typeof exports === 'function')) {
    const e = exports as Record<string, unknown>;
    candidates.push(e.default, e.plugin, exports);
  }
  for (const c of candidates) if (isPluginClass(c) || isPluginObject(c)) return c as Plugin;
  return undefined;
}

/** `where` names the config path for messages, e.g. `plugins.prune.use`. */
export function resolvePlugin(ref: string, baseDir: string, where: string): ResolvedPlugin {
  const file = resolveFile(ref, baseDir);
  if (!file) {
    const hint = isPathReference(ref) ? `no such file or folder: ${path.resolve(baseDir, ref)}` : 'not installed; npm install it or use a relative path';
    throw new PluginError(`${where}: cannot find plugin "${ref}" (${hint})`, ref);
  }
  let exports: unknown;
  try {
    exports = requireModule(file);
  } catch (err) {
    throw new PluginError(`${where}: plugin "${ref}" failed to load: ${errorMessage(err)}`, ref);
  }
  const plugin = pluginFromExports(exports);
  if (!plugin) {
    throw new PluginError(`${where}: "${ref}" does not export a plugin (a class with static id and apply(), or an object with id and apply())`, ref);
  }
  return { plugin, location: file };
}

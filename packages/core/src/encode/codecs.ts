/**
 * The codecs a run or a command can use: format's built-in ones, those exported (`codecs`)
 * by the project's own plugin packages, by the plugins named on the command line, and by the
 * plugins a config lists (their static `codecs`). One assembly for `nncompress run`,
 * `encode`, `decode` and `inspect`, so a codec that one of them reads, all of them read.
 */
import * as path from 'node:path';
import { CodecRegistry, TensorCodec } from '@nncompress/format';
import { errorMessage, InputError } from '../errors';
import type { Plugin } from '../plugins/plugin';
import { projectPlugins } from '../plugins/project';

export interface CodecSources {
  /** Folders whose projects' plugin packages are searched (a config's folder and the working directory); relative `named` plugins resolve from the first. */
  readonly from: readonly string[];
  /** Plugins named on the command line (package names or paths): each must load and export `codecs`. */
  readonly named?: readonly string[];
  /** Plugins a config lists; their static `codecs` are added. */
  readonly plugins?: readonly Plugin[];
  /** Where a skipped codec is reported (an id already taken). */
  readonly warn: (message: string) => void;
}

/**
 * A registry of every codec `sources` provide. A codec whose id is already taken (a
 * built-in's, say) is skipped with a warning, so one plugin cannot change how every file
 * reads; the same codec object met twice (a plugin both installed and configured) is added once.
 */
export function codecRegistryFor(sources: CodecSources): CodecRegistry {
  const registry = new CodecRegistry();
  const add = (codecs: unknown, from: string): void => {
    if (!Array.isArray(codecs)) return;
    for (const codec of codecs as TensorCodec[]) {
      if (registry.get(codec?.id) === codec) continue;
      try {
        registry.register(codec);
      } catch (err) {
        sources.warn(`${from}: ${errorMessage(err)}; its codec is ignored`);
      }
    }
  };
  const load = (ref: string, where: string, must: boolean): void => {
    let exported: unknown;
    try {
      const base = sources.from[0] ?? process.cwd();
      const file = ref.startsWith('.') || path.isAbsolute(ref) ? path.resolve(base, ref) : ref;
      exported = (require(require.resolve(file, { paths: [...sources.from] })) as { codecs?: unknown }).codecs;
    } catch (err) {
      if (must) throw new InputError(`${where}: cannot load plugin "${ref}" (${errorMessage(err)})`);
      return; // not loadable here: `nncompress plugins` reports why
    }
    if (must && !Array.isArray(exported)) throw new InputError(`${where}: plugin "${ref}" exports no codecs`);
    add(exported, ref);
  };
  const seen = new Set<string>();
  for (const from of sources.from) {
    for (const name of projectPlugins(from)) {
      if (seen.has(name)) continue;
      seen.add(name);
      load(name, name, false);
    }
  }
  for (const ref of sources.named ?? []) load(ref, '--plugin', true);
  for (const plugin of sources.plugins ?? []) add((plugin as { codecs?: unknown }).codecs, plugin.id);
  return registry;
}

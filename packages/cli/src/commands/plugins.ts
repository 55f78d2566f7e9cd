/**
 * Lists the plugins of the project in the working directory (its dependencies and workspaces
 * named `@nncompress/plugin-*` or `nncompress-plugin-*`, or carrying the `nncompress-plugin`
 * keyword), with each plugin's options from its schema; or describes the plugins named on
 * the command line (package names or paths, e.g. a plugin file of your own).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DatasetRegistry, DatasetSource, errorMessage, JsonSchema, Plugin, resolvePlugin } from '@nncompress/core';

/** Core's dataset sources, in registration order. */
function builtinDatasetSources(): DatasetSource<never>[] {
  const registry = new DatasetRegistry();
  return registry.ids().map((id) => registry.get(id)!);
}

/** Plugin packages by name or by the `nncompress-plugin` keyword. */
function isPluginPackage(dir: string, name: string): boolean {
  if (/^@nncompress\/plugin-|^nncompress-plugin-/.test(name)) return true;
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { keywords?: string[] };
    return pkg.keywords?.includes('nncompress-plugin') ?? false;
  } catch {
    return false;
  }
}

/** The nearest package.json at or above `from`, with its folder. */
function nearestPackage(from: string): { dir: string; json: Record<string, unknown> } | undefined {
  for (let dir = path.resolve(from); ; dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file)) {
      try {
        return { dir, json: JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown> };
      } catch {
        return undefined;
      }
    }
    if (path.dirname(dir) === dir) return undefined;
  }
}

/**
 * The plugin packages of the project `from` is in: the dependencies (of every kind) and the
 * workspaces of the nearest package.json, where they are named or tagged as nncompress
 * plugins. A package merely lying in some node_modules folder (a parent folder's, say) is
 * never loaded: loading a plugin runs its code.
 */
export function projectPlugins(from: string): string[] {
  const project = nearestPackage(from);
  if (!project) return [];
  const names = new Set<string>();
  for (const key of ['dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies']) {
    for (const name of Object.keys((project.json[key] as Record<string, string> | undefined) ?? {})) {
      let dir: string;
      try {
        dir = path.dirname(require.resolve(`${name}/package.json`, { paths: [project.dir] }));
      } catch {
        continue; // declared but not installed
      }
      if (isPluginPackage(dir, name)) names.add(name);
    }
  }
  const workspaces = Array.isArray(project.json.workspaces) ? (project.json.workspaces as string[]) : [];
  for (const pattern of workspaces) {
    const dirs = pattern.endsWith('/*') ? fs.readdirSync(path.join(project.dir, pattern.slice(0, -2))).map((d) => path.join(project.dir, pattern.slice(0, -2), d)) : [path.join(project.dir, pattern)];
    for (const dir of dirs) {
      try {
        const name = (JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string }).name;
        if (name && isPluginPackage(dir, name)) names.add(name);
      } catch {
        // not a package
      }
    }
  }
  return [...names].sort();
}

/** Lines of output stay within this width (descriptions wrap, long enums move under the option). */
const WIDTH = 100;

function wrap(text: string, indent: string): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && indent.length + line.length + 1 + word.length > WIDTH) {
      lines.push(indent + line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(indent + line);
  return lines;
}

/** A schema's options, each with type and default, its description wrapped below; indented by `indent`. */
function describeOptions(schema: JsonSchema | undefined, indent: string): string[] {
  const props = (schema?.properties ?? {}) as Record<string, { type?: string; enum?: unknown[]; default?: unknown; description?: string; anyOf?: unknown[] }>;
  const rows = Object.entries(props).map(([name, p]) => {
    const choices = p.enum ? p.enum.map((v) => JSON.stringify(v)).join('|') : undefined;
    const long = choices !== undefined && choices.length > 30;
    return {
      cells: [`${indent}${name}`, long ? 'enum' : (choices ?? p.type ?? (p.anyOf ? 'any of' : '')), p.default === undefined ? '' : JSON.stringify(p.default)],
      text: `${long ? `One of ${choices!.split('|').join(', ')}. ` : ''}${p.description ?? ''}`,
    };
  });
  if (rows.length === 0) return [`${indent}(no options)`];
  const widths = [0, 1, 2].map((c) => Math.max(...rows.map((r) => r.cells[c].length), [`${indent}option`, 'type', 'default'][c].length));
  const cell = (cells: string[]): string => cells.map((v, c) => v.padEnd(widths[c])).join('  ').trimEnd();
  const out = [cell([`${indent}option`, 'type', 'default'])];
  for (const r of rows) out.push(cell(r.cells), ...wrap(r.text, `${indent}    `));
  return out;
}

/** The dataset sources a plugin (or core) provides, each with its description and options. */
function describeSources(sources: readonly DatasetSource<never>[], indent: string): string[] {
  return sources.flatMap((source) => [`${indent}data.source: ${source.id}`, ...wrap(source.description, `${indent}  `), ...describeOptions(source.optionsSchema, `${indent}  `)]);
}

/** One plugin: its id and where it came from, then each option with type and default, its description wrapped below, then the dataset sources it declares. */
export function describePlugin(plugin: Plugin, from: string): string {
  const out = [`${plugin.id} (${from})`, ...describeOptions(plugin.optionsSchema, '  ')];
  if (plugin.datasetSources?.length) out.push('  dataset sources:', ...describeSources(plugin.datasetSources, '    '));
  return `${out.join('\n')}\n`;
}

/** Describes the plugins named (package names or paths, resolved from the working directory), or every installed one. */
export function pluginsCommand(refs: readonly string[] = []): void {
  if (refs.length > 0) {
    // A plugin named here must load: an error names it.
    for (const ref of refs) process.stdout.write(`${describePlugin(resolvePlugin(ref, process.cwd(), ref).plugin, ref)}\n`);
    return;
  }
  // Core's own dataset sources come first: a config can use them without any plugin.
  process.stdout.write(`dataset sources in @nncompress/core (data.source)\n${describeSources(builtinDatasetSources(), '  ').join('\n')}\n\n`);
  const names = projectPlugins(process.cwd());
  if (names.length === 0) {
    process.stdout.write("no nncompress plugins among this project's dependencies (nncompress plugins <name or path> describes one)\n");
    return;
  }
  for (const name of names) {
    try {
      process.stdout.write(`${describePlugin(resolvePlugin(name, process.cwd(), name).plugin, name)}\n`);
    } catch (err) {
      process.stdout.write(`${name}: cannot load (${errorMessage(err)})\n\n`);
    }
  }
}

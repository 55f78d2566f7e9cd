/**
 * Lists the plugins of the project in the working directory (its dependencies and workspaces
 * named `@nncompress/plugin-*` or `nncompress-plugin-*`, or carrying the `nncompress-plugin`
 * keyword), with each plugin's options from its schema; or describes the plugins named on
 * the command line (package names or paths, e.g. a plugin file of your own).
 */
import { DatasetSource, JsonSchema, Plugin } from '@nncompress/core';
import { DatasetRegistry } from '@nncompress/core/data';
import { errorMessage, projectPlugins, resolvePlugin } from '@nncompress/core/internal';

/** Core's dataset sources, in registration order. */
function builtinDatasetSources(): DatasetSource<never>[] {
  const registry = new DatasetRegistry();
  return registry.ids().map((id) => registry.get(id)!);
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

/** One plugin: its id and where it came from, then each option with type and default, its description wrapped below, then the dataset sources, codecs, importance measures and target kinds it declares. */
export function describePlugin(plugin: Plugin, from: string): string {
  const out = [`${plugin.id} (${from})`, ...describeOptions(plugin.optionsSchema, '  ')];
  if (plugin.datasetSources?.length) out.push('  dataset sources:', ...describeSources(plugin.datasetSources, '    '));
  if (plugin.codecs?.length) out.push(`  codecs (encode.codec): ${plugin.codecs.map((c) => `${c.id}${c.lossless ? ' (lossless)' : ''}`).join(', ')}`);
  if (plugin.importanceMeasures?.length) out.push(`  importance measures (criterion): ${plugin.importanceMeasures.map((m) => `${m.id} (${m.granularity})`).join(', ')}`);
  if (plugin.targetKinds?.length) out.push(`  target kinds (stages[i].target): ${plugin.targetKinds.map((k) => k.key).join(', ')}`);
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

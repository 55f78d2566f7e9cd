/**
 * Lists the plugins resolvable from the working directory: installed packages named
 * `@nncompress/plugin-*` or `nncompress-plugin-*`, or carrying the `nncompress-plugin`
 * keyword, with each plugin's options from its schema; or describes the plugins named on
 * the command line (package names or paths, e.g. a plugin file of your own).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Plugin, resolvePlugin } from '@nncompress/core';

export function candidatePackages(from: string): string[] {
  const found = new Set<string>();
  for (let dir = path.resolve(from); ; dir = path.dirname(dir)) {
    const nm = path.join(dir, 'node_modules');
    if (fs.existsSync(nm)) {
      for (const entry of fs.readdirSync(nm)) {
        const names = entry.startsWith('@') ? fs.readdirSync(path.join(nm, entry)).map((n) => `${entry}/${n}`) : [entry];
        for (const name of names) {
          if (/^@nncompress\/plugin-|^nncompress-plugin-/.test(name)) {
            found.add(name);
            continue;
          }
          try {
            const pkg = JSON.parse(fs.readFileSync(path.join(nm, name, 'package.json'), 'utf8')) as { keywords?: string[] };
            if (pkg.keywords?.includes('nncompress-plugin')) found.add(name);
          } catch {
            // not a package
          }
        }
      }
    }
    if (path.dirname(dir) === dir) break;
  }
  return [...found].sort();
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

/** One plugin: its id and where it came from, then each option with type and default, its description wrapped below. */
export function describePlugin(plugin: Plugin, from: string): string {
  const props = (plugin.optionsSchema?.properties ?? {}) as Record<string, { type?: string; enum?: unknown[]; default?: unknown; description?: string }>;
  const out = [`${plugin.id} (${from})`];
  const rows = Object.entries(props).map(([name, p]) => {
    const choices = p.enum ? p.enum.map((v) => JSON.stringify(v)).join('|') : undefined;
    const long = choices !== undefined && choices.length > 30;
    return {
      cells: [`  ${name}`, long ? 'enum' : (choices ?? p.type ?? ''), p.default === undefined ? '' : JSON.stringify(p.default)],
      text: `${long ? `One of ${choices!.split('|').join(', ')}. ` : ''}${p.description ?? ''}`,
    };
  });
  if (rows.length === 0) return `${out[0]}\n  (no options)\n`;
  const widths = [0, 1, 2].map((c) => Math.max(...rows.map((r) => r.cells[c].length), ['  option', 'type', 'default'][c].length));
  const cell = (cells: string[]): string => cells.map((v, c) => v.padEnd(widths[c])).join('  ').trimEnd();
  out.push(cell(['  option', 'type', 'default']));
  for (const r of rows) out.push(cell(r.cells), ...wrap(r.text, '      '));
  return `${out.join('\n')}\n`;
}

/** Describes the plugins named (package names or paths, resolved from the working directory), or every installed one. */
export function pluginsCommand(refs: readonly string[] = []): void {
  if (refs.length > 0) {
    // A plugin named here must load: an error names it.
    for (const ref of refs) process.stdout.write(`${describePlugin(resolvePlugin(ref, process.cwd(), ref).plugin, ref)}\n`);
    return;
  }
  const names = candidatePackages(process.cwd());
  if (names.length === 0) {
    process.stdout.write('no nncompress plugins installed here\n');
    return;
  }
  for (const name of names) {
    try {
      process.stdout.write(`${describePlugin(resolvePlugin(name, process.cwd(), name).plugin, name)}\n`);
    } catch (err) {
      process.stdout.write(`${name}: cannot load (${(err as Error).message})\n\n`);
    }
  }
}

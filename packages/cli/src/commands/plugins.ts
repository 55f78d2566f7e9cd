/**
 * Lists the plugins resolvable from the working directory: installed packages named
 * `@nncompress/plugin-*` or `nncompress-plugin-*`, or carrying the `nncompress-plugin`
 * keyword, with each plugin's options from its schema.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { JsonSchema, resolvePlugin } from '@nncompress/core';
import { formatTable } from '../table';

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

function optionRows(schema: JsonSchema | undefined): string[][] {
  const props = (schema?.properties ?? {}) as Record<string, { type?: string; enum?: unknown[]; default?: unknown; description?: string }>;
  return Object.entries(props).map(([name, p]) => [
    `  ${name}`,
    p.enum ? p.enum.map((v) => JSON.stringify(v)).join('|') : (p.type ?? ''),
    p.default === undefined ? '' : JSON.stringify(p.default),
    p.description ?? '',
  ]);
}

export function pluginsCommand(): void {
  const names = candidatePackages(process.cwd());
  if (names.length === 0) {
    process.stdout.write('no nncompress plugins installed here\n');
    return;
  }
  for (const name of names) {
    try {
      const { plugin } = resolvePlugin(name, process.cwd(), name);
      process.stdout.write(`${plugin.id} (${name})\n`);
      const rows = optionRows(plugin.optionsSchema);
      if (rows.length) process.stdout.write(`${formatTable(['  option', 'type', 'default', 'description'], rows)}\n\n`);
      else process.stdout.write('  (no options)\n\n');
    } catch (err) {
      process.stdout.write(`${name}: cannot load (${(err as Error).message})\n\n`);
    }
  }
}

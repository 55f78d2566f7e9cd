/**
 * Every code block in the READMEs and docs/ is checked as a reader would use it:
 *  - js/ts: parses as a CommonJS script as pasted (no top-level await), and every name it
 *    takes from an nncompress package or tfjs exists there (not as a moved, deprecated
 *    name); the blocks of README.md and
 *    docs/ are run, in a folder holding a real model.json;
 *  - yaml: plugins resolve and their options validate; with stages, the config validates;
 *  - sh: every `nncompress` command exists, and the repository files it names exist and load.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ts from 'typescript';
import { parse } from 'yaml';
import { checkConfig, createHooks, loadConfig } from '@nncompress/core';
import { builtinImportanceMeasures } from '@nncompress/core/importance';
import { DatasetRegistry } from '@nncompress/core/data';
import { configMarkdownTable, importanceMarkdownTable } from '@nncompress/core/report';
import { loadSweep } from '@nncompress/core/jobs';
import { pipelineConfigSchema, resolvePlugin, validateAgainst } from '@nncompress/core/internal';
import { LENET300, REPO } from './helpers';

interface Block {
  readonly file: string;
  readonly line: number;
  readonly lang: string;
  readonly code: string;
}

const DOCS = [
  'README.md',
  ...fs.readdirSync(path.join(REPO, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`),
  ...['packages', 'plugins', 'examples'].flatMap((top) =>
    fs
      .readdirSync(path.join(REPO, top))
      .map((d) => `${top}/${d}/README.md`)
      .filter((f) => fs.existsSync(path.join(REPO, f))),
  ),
];

function blocksOf(file: string): Block[] {
  const lines = fs.readFileSync(path.join(REPO, file), 'utf8').split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\w*)\s*$/.exec(lines[i]);
    if (!open) continue;
    const end = lines.findIndex((l, j) => j > i && l.startsWith('```'));
    blocks.push({ file, line: i + 1, lang: open[1], code: lines.slice(i + 1, end).join('\n') });
    i = end;
  }
  return blocks;
}

const blocks = DOCS.flatMap(blocksOf);
const label = (b: Block): string => `${b.file}:${b.line}`;
/** Blocks that are run, not only checked: the top-level README and docs/ are complete programs. */
const runnable = (b: Block): boolean => b.file === 'README.md' || b.file.startsWith('docs/');

/** The block as a CommonJS script: ts is transpiled (decorators on) the way a user's build would. */
function asScript(b: Block): string {
  if (b.lang !== 'ts') return b.code;
  return ts.transpileModule(b.code, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, experimentalDecorators: true, emitDecoratorMetadata: false } }).outputText;
}

/** Names a block takes from packages: `const { a, b } = require('pkg')` and `import { a, b } from 'pkg'`. */
function importedNames(code: string): { pkg: string; names: string[] }[] {
  const found: { pkg: string; names: string[] }[] = [];
  for (const m of code.matchAll(/const\s*\{([^}]+)\}\s*=\s*require\('([^']+)'\)/g)) found.push({ pkg: m[2], names: m[1].split(',').map((n) => n.trim().split(':')[0].trim()).filter(Boolean) });
  for (const m of code.matchAll(/import\s*\{([^}]+)\}\s*from\s*'([^']+)'/g)) found.push({ pkg: m[2], names: m[1].split(',').map((n) => n.trim().split(/\s+as\s+/)[0].trim()).filter(Boolean) });
  return found;
}

/** Types only exist at compile time: names a ts block imports that are interfaces. */
const TYPE_ONLY = new Set(['Logger', 'PipelineHooks', 'PluginContext', 'JsonSchema', 'OptionsOf']);

let runDir: string;
let commands: string[];
let workspaces: string[];

beforeAll(() => {
  const help = spawnSync(process.execPath, [path.join(REPO, 'packages/cli/bin/nncompress.js'), '--help'], { encoding: 'utf8' }).stdout;
  commands = [...help.matchAll(/^ {2}(\w+)\b/gm)].map((m) => m[1]);
  workspaces = (JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')).workspaces as string[]).map((w) => JSON.parse(fs.readFileSync(path.join(REPO, w, 'package.json'), 'utf8')).name as string);
  runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nnc-docs-'));
  // A real model where the snippets expect one: model.json in the folder they run in.
  for (const f of fs.readdirSync(path.dirname(LENET300))) fs.copyFileSync(path.join(path.dirname(LENET300), f), path.join(runDir, f));
});

describe('code blocks in the READMEs and docs', () => {
  it('finds the blocks (js, ts, yaml, sh) in every README and docs page', () => {
    const langs = new Set(blocks.map((b) => b.lang));
    for (const l of ['js', 'ts', 'yaml', 'sh']) expect(langs.has(l)).toBe(true);
    expect(blocks.length).toBeGreaterThan(30);
    // Every block says its language, so none goes unchecked (the hooks diagram is text).
    expect(blocks.filter((b) => !['js', 'ts', 'yaml', 'sh', 'text'].includes(b.lang)).map(label)).toEqual([]);
  });

  it.each(blocks.filter((b) => b.lang === 'js' || b.lang === 'ts').map((b) => [label(b), b] as const))('%s parses as pasted and imports names that exist', (_where, b) => {
    const script = asScript(b);
    const check = spawnSync(process.execPath, ['--check', '-'], { input: script, encoding: 'utf8' });
    expect(check.stderr).toBe('');
    for (const { pkg, names } of importedNames(b.code)) {
      if (!pkg.startsWith('@nncompress/') && pkg !== '@tensorflow/tfjs') continue;
      const exports = require(require.resolve(pkg, { paths: [REPO] })) as Record<string, unknown>;
      // Enumerable exports only: a name that moved to a subpath still resolves from the root, with a deprecation warning, and a snippet must not teach it.
      const missing = names.filter((n) => !TYPE_ONLY.has(n) && !Object.keys(exports).includes(n));
      expect([pkg, missing]).toEqual([pkg, []]);
    }
  });

  it.each(blocks.filter((b) => (b.lang === 'js' || b.lang === 'ts') && runnable(b)).map((b) => [label(b), b] as const))('%s runs', (_where, b) => {
    const file = path.join(runDir, `block-${b.line}.js`);
    fs.writeFileSync(file, asScript(b));
    const r = spawnSync(process.execPath, [file], { cwd: runDir, encoding: 'utf8', env: { ...process.env, NODE_PATH: path.join(REPO, 'node_modules') }, timeout: 120_000 });
    expect(r.stderr.split('\n').filter((l) => /Error|error:/.test(l))).toEqual([]);
    expect(r.status).toBe(0);
  });

  it.each(blocks.filter((b) => b.lang === 'yaml').map((b) => [label(b), b] as const))('%s: its plugins resolve with valid options, and its stages validate', (_where, b) => {
    const doc = parse(b.code) as { plugins?: Record<string, { use: string; options?: Record<string, unknown> }>; stages?: unknown[]; model?: unknown };
    const docDir = path.dirname(path.join(REPO, b.file));
    for (const [name, spec] of Object.entries(doc.plugins ?? {})) {
      // A relative path names a file beside the doc, or one of the examples the doc shows.
      const base = [docDir, ...fs.readdirSync(path.join(REPO, 'examples')).map((d) => path.join(REPO, 'examples', d))].find((d) => !spec.use.startsWith('.') || fs.existsSync(path.resolve(d, spec.use)));
      const { plugin } = resolvePlugin(spec.use, base ?? docDir, `plugins.${name}.use`);
      const options = structuredClone(spec.options ?? {});
      expect(plugin.optionsSchema ? validateAgainst(plugin.optionsSchema, options, `plugins.${name}.options`) : undefined).toBeUndefined();
    }
    if (doc.stages) checkConfig({ model: 'model.json', data: { source: 'mnist' }, ...doc }, label(b));
    // A data section naming one of core's sources: its options fit that source's schema.
    const data = (doc as { data?: Record<string, unknown> }).data;
    const source = typeof data?.source === 'string' ? new DatasetRegistry().get(data.source) : undefined;
    if (data && source) {
      const options = Object.fromEntries(Object.entries(data).filter(([k]) => !['source', 'train', 'test', 'seed'].includes(k)));
      expect(validateAgainst(source.optionsSchema, options, 'data')).toBeUndefined();
    }
  });

  it.each(blocks.filter((b) => b.lang === 'sh').map((b) => [label(b), b] as const))('%s: its commands exist and the files they name load', (_where, b) => {
    for (const raw of b.code.split('\n')) {
      const words = raw.replace(/#.*$/, '').trim().split(/\s+/).filter(Boolean);
      if (words[0] === 'npx' && words[1] === 'nncompress') {
        const [command, ...args] = words.slice(2);
        expect([raw, commands.includes(command)]).toEqual([raw, true]);
        // Files inside the repository that the command reads (not outputs) must be there and load.
        const inputs = args.filter((a, i) => !a.startsWith('-') && !['-o', '--out'].includes(args[i - 1] ?? '') && /\.(ya?ml|json|nnc)$/.test(a) && fs.existsSync(path.join(REPO, a.split('/')[0])));
        for (const a of inputs) {
          expect([raw, fs.existsSync(path.join(REPO, a))]).toEqual([raw, true]);
          if (/\.ya?ml$/.test(a)) (command === 'sweep' ? loadSweep : loadConfig)(path.join(REPO, a));
        }
      } else if (words[0] === 'node' && words[1]) {
        expect([raw, fs.existsSync(path.join(REPO, words[1]))]).toEqual([raw, true]);
      } else if (words[0] === 'npm' && words[1] === 'install') {
        for (const pkg of words.slice(2).filter((w) => w.startsWith('@nncompress/'))) expect([raw, workspaces.includes(pkg)]).toEqual([raw, true]);
      }
    }
  });
});

describe('generated reference tables', () => {
  it('docs/hooks.md has a row for every hook createHooks() declares, and names none it does not', () => {
    const text = fs.readFileSync(path.join(REPO, 'docs/hooks.md'), 'utf8');
    const rows = [...text.matchAll(/^\| `(\w+)` \| (?:Async|Sync)\w*Hook \|/gm)].map((m) => m[1]);
    expect(rows.sort()).toEqual(Object.keys(createHooks()).sort());
  });

  it('docs/config.md holds the key table of the schema configs are checked against, one row per key', () => {
    const table = configMarkdownTable(pipelineConfigSchema);
    expect(fs.readFileSync(path.join(REPO, 'docs/config.md'), 'utf8')).toContain(`<!-- config:start -->\n${table}\n<!-- config:end -->`);
    // Every key a config may hold has its row, nested ones by their config path.
    for (const key of ['model', 'seed', 'backend', 'data.source', 'data.seed', 'task.kind', 'latency.repeats', 'plugins.<name>.use', 'stages[i].target.sparsity', 'stages[i].schedule.initial']) expect(table).toContain(`| \`${key}\` |`);
  });

  it('docs/importance.md holds the table of core\'s importance measures, one row per measure', () => {
    const text = fs.readFileSync(path.join(REPO, 'docs/importance.md'), 'utf8');
    expect(text).toContain(`<!-- importance:start -->\n${importanceMarkdownTable()}\n<!-- importance:end -->`);
    const rows = [...text.matchAll(/^\| `([\w-]+)` \| (weight|channel|unit) \|/gm)].map((m) => m[1]);
    expect(rows).toEqual(builtinImportanceMeasures.map((m) => m.id));
  });
});

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expectOneLineError, LENET300, nncompress, REPO } from './helpers';

let dir: string;

function config(name: string, text: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

const GOOD = (model = LENET300): string => `model: ${model}
data: { source: mnist, train: 400, test: 300 }
plugins:
  prune: { use: '@nncompress/plugin-magnitude', options: { scope: layer } }
  tune: { use: '@nncompress/plugin-finetune', options: { epochs: 1 } }
stages:
  - name: half
    target: { sparsity: 0.5 }
`;

/** The error is one line naming the problem, there is no stack trace, and nothing was written. */
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nnc-cli-'));
});

describe('nncompress run: bad input', () => {
  it('missing model file', () => {
    const out = path.join(dir, 'o-missing');
    const r = nncompress(['run', config('missing.yaml', GOOD(path.join(dir, 'nope/model.json'))), '--out', out]);
    expectOneLineError(r, /missing\.yaml: model: file not found: .*nope\/model\.json$/, out);
  });

  it('malformed YAML', () => {
    const out = path.join(dir, 'o-yaml');
    const r = nncompress(['run', config('bad.yaml', 'model: x\nstages: [\n  - name: a\n'), '--out', out]);
    expectOneLineError(r, /bad\.yaml:\d+:\d+: invalid YAML: /, out);
  });

  it('unknown plugin', () => {
    const out = path.join(dir, 'o-plugin');
    const r = nncompress(['run', config('unknown.yaml', GOOD().replace("'@nncompress/plugin-magnitude'", 'nncompress-plugin-nonexistent')), '--out', out]);
    expectOneLineError(r, /unknown\.yaml: plugins\.prune\.use: cannot find plugin "nncompress-plugin-nonexistent"/, out);
  });

  it('wrong option type', () => {
    const out = path.join(dir, 'o-type');
    const r = nncompress(['run', config('type.yaml', GOOD().replace('epochs: 1', 'epochs: one')), '--out', out]);
    expectOneLineError(r, /type\.yaml: plugins\.tune\.options\.epochs: must be integer \(plugin @nncompress\/plugin-finetune\)$/, out);
  });

  it('--out equal to the model folder leaves the model untouched', () => {
    const modelDir = path.join(dir, 'model');
    fs.mkdirSync(modelDir);
    for (const f of fs.readdirSync(path.dirname(LENET300))) fs.copyFileSync(path.join(path.dirname(LENET300), f), path.join(modelDir, f));
    const before = fs.readdirSync(modelDir).map((f) => [f, fs.readFileSync(path.join(modelDir, f))] as const);
    const r = nncompress(['run', config('self.yaml', GOOD('./model/model.json')), '--out', modelDir]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/nncompress: error: --out .*model: would overwrite the input/);
    for (const [f, bytes] of before) expect(fs.readFileSync(path.join(modelDir, f)).equals(bytes)).toBe(true);
    expect(fs.readdirSync(modelDir).sort()).toEqual(before.map(([f]) => f).sort());
  });

  it('a bad --seed is rejected by the argument parser', () => {
    const r = nncompress(['run', 'x.yaml', '--seed', '-3']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/option '--seed <n>' argument '-3' is invalid\. must be an integer/);
  });
});

describe('nncompress run / inspect / plugins', () => {
  it('runs a pipeline, prints the summary table and writes the report', () => {
    const out = path.join(dir, 'o-good');
    const r = nncompress(['run', config('good.yaml', GOOD()), '--out', out, '--seed', '9']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^final\s+\d+\.\d\d%\s+266,610\s+/m);
    expect(r.stderr).toMatch(/^backend: wasm/m);
    const report = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8')) as { seed: number; final: { sparsity: number } };
    expect(report.seed).toBe(9);
    expect(report.final.sparsity).toBeCloseTo(0.5, 3);
    // A second run replaces the previous output folder atomically.
    const again = nncompress(['run', path.join(dir, 'good.yaml'), '--out', out, '--seed', '9']);
    expect(again.code).toBe(0);
    expect(fs.readdirSync(out).sort()).toEqual(['model', 'report.html', 'report.json']);
  });

  it('runs a typed .ts config (transpiled on load)', () => {
    const out = path.join(dir, 'o-ts');
    const r = nncompress(['run', 'examples/mnist-lenet/quick.ts', '--out', out]);
    expect(r.stderr).not.toMatch(/error/);
    expect(r.code).toBe(0);
    const report = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8')) as { config: string; final: { sparsity: number } };
    expect(report.config).toBe('quick.ts');
    expect(report.final.sparsity).toBeGreaterThanOrEqual(0.5);
    expect(report.final.sparsity).toBeLessThan(0.501);
  });

  it('inspect prints every layer with params and FLOPs', () => {
    const r = nncompress(['inspect', path.join(REPO, 'examples/mnist-lenet/models/lenet-5/model.json')]);
    expect(r.code).toBe(0);
    const rows = r.stdout.split('\n');
    const row = (name: string): string[] => rows.find((l) => l.startsWith(`${name} `))!.trim().split(/\s+/);
    // conv1: 5·5·1·20 + 20 params; 2·(5·5·1·20)·24·24 FLOPs.
    expect(row('conv1')).toEqual(['conv1', 'Conv2D', '[?,24,24,20]', '520', '0.00%', '576,000']);
    // Channel groups follow the layer table: conv1 is pruned along conv2, fc2 is the output.
    const groupLine = (producer: string): string => rows.find((l) => new RegExp(`^\\s*\\d+\\s+\\d+\\s+${producer}\\s`).test(l))!;
    expect(groupLine('conv1')).toMatch(/^\s*0\s+20\s+conv1\s+conv2\s+prunable$/);
    expect(groupLine('conv2')).toMatch(/\s50\s+conv2\s+fc1\s+prunable$/);
    expect(groupLine('fc2')).toMatch(/blocked: model output fc2$/);
    // Layer units: only fc1 (the valid convolutions change the spatial size). Dropping it saves
    // its 400,500 params, minus fc2's growth from 500 to 800 inputs (300·10 weights).
    const unitLine = rows.find((l) => /^fc1\s+block\s/.test(l))!;
    expect(unitLine.trim().split(/\s{2,}/)).toEqual(['fc1', 'block', 'fc1', 'repair fc2', '397,500']);
    expect(rows.filter((l) => /^(conv\d|fc\d)\s+(block|residual)\s/.test(l))).toHaveLength(1);
    const total = row('total');
    const sum = ['conv1', 'conv2', 'fc1', 'fc2'].reduce((n, l) => n + Number(row(l)[3].replace(/,/g, '')), 0);
    expect(Number(total[1].replace(/,/g, ''))).toBe(sum);
  });

  it('inspect of a missing file is one error line', () => {
    const r = nncompress(['inspect', path.join(dir, 'none.json')]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toMatch(/^nncompress: error: model file not found: .*none\.json$/);
  });

  it('plugins lists the installed plugins with their options', () => {
    const r = nncompress(['plugins']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^@nncompress\/plugin-magnitude \(@nncompress\/plugin-magnitude\)$/m);
    expect(r.stdout).toMatch(/^\s+scope\s+"layer"\|"global"\s+"global"\s+/m);
    expect(r.stdout).toMatch(/^@nncompress\/plugin-finetune /m);
    expect(r.stdout).toMatch(/^nncompress-plugin-stage-csv /m);
    // Descriptions wrap: no line is wider than 100 characters (they were 300–500).
    expect(Math.max(...r.stdout.split('\n').map((l) => l.length))).toBeLessThanOrEqual(100);
  });

  it('the package README documents every command --help lists', () => {
    const help = nncompress(['--help']).stdout;
    const commands = [...help.matchAll(/^ {2}(\w+)\b/gm)].map((m) => m[1]).filter((c) => c !== 'help');
    expect(commands.length).toBeGreaterThanOrEqual(6);
    const readme = fs.readFileSync(path.join(REPO, 'packages/cli/README.md'), 'utf8');
    for (const c of commands) expect([c, readme.includes(`| \`${c}`)]).toEqual([c, true]);
  });

  it('plugins describes a plugin given by path, and names one that cannot be found', () => {
    const r = nncompress(['plugins', './examples/protect-plugin/protect-plugin.js']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('nncompress-plugin-protect (./examples/protect-plugin/protect-plugin.js)\n  option  type    default\n  layer   string\n\n');
    const missing = nncompress(['plugins', './no-such-plugin.js']);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim()).toBe(`nncompress: error: ./no-such-plugin.js: cannot find plugin "./no-such-plugin.js" (no such file or folder: ${path.join(REPO, 'no-such-plugin.js')})`);
  });
});

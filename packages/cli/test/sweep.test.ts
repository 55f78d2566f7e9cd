import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expectOneLineError, LENET300, nncompress } from './helpers';

let dir: string;
let pipeline: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nnc-sweep-'));
  pipeline = path.join(dir, 'pipeline.yaml');
  fs.writeFileSync(
    pipeline,
    `model: ${LENET300}\nseed: 1\ndata: { source: mnist, train: 200, test: 300 }\nplugins:\n  prune: { use: '@nncompress/plugin-magnitude', options: { scope: global } }\n  tune: { use: '@nncompress/plugin-finetune', options: { epochs: 1 } }\nstages:\n  - name: cut\n    target: { sparsity: 0.8 }\nencode: { codec: huffman }\n`,
  );
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const writeSweep = (name: string, text: string): string => {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
};

describe('nncompress sweep', () => {
  it('runs every combination on two processes, each into its own folder, and tabulates them', () => {
    // `set` applies to every configuration: here, measuring on 50 of the 200 training digits, held out from fine-tuning.
    const sweep = writeSweep('grid.yaml', `pipeline: ./pipeline.yaml\nset:\n  data.holdOut: 50\nvary:\n  stages.cut.target.sparsity: [0.5, 0.9]\n  plugins.prune.options.scope: [global, layer]\nprocesses: 2\n`);
    const out = path.join(dir, 'out');
    const r = nncompress(['sweep', sweep, '-o', out]);
    expect(r.stderr).toContain('sweep: 4 configuration(s) of pipeline.yaml on 2 process(es)');
    expect(r.stderr).toMatch(/sweep: 4\/4 sparsity=\S+ scope=\S+: accuracy/);
    expect(r.code).toBe(0);
    const summary = JSON.parse(fs.readFileSync(path.join(out, 'sweep.json'), 'utf8'));
    expect(summary.configurations.map((c: { label: string }) => c.label)).toEqual(['sparsity=0.5 scope=global', 'sparsity=0.5 scope=layer', 'sparsity=0.9 scope=global', 'sparsity=0.9 scope=layer']);
    const sparsities = summary.configurations.map((c: { final: { sparsity: number } }) => c.final.sparsity);
    for (const [i, target] of [0.5, 0.5, 0.9, 0.9].entries()) expect(Math.abs(sparsities[i] - target)).toBeLessThan(0.02);
    // Sparser files are smaller; each folder holds its own run.
    const bytes = summary.configurations.map((c: { final: { encodedBytes: number } }) => c.final.encodedBytes);
    expect(bytes[2]).toBeLessThan(bytes[0]);
    for (const c of summary.configurations) {
      const report = JSON.parse(fs.readFileSync(path.join(out, c.folder, 'report.json'), 'utf8'));
      expect(report.final.encodedBytes).toBe(c.final.encodedBytes);
      expect([report.data.trainExamples, report.data.testExamples, report.data.heldOut]).toEqual([150, 50, true]);
      expect(fs.statSync(path.join(out, c.folder, 'model.nnc')).size).toBe(c.final.encodedBytes);
    }
    const rows = r.stdout.split('\n').filter((l) => /^\s*\d+\s+0\.[59]\s+(global|layer)\s/.test(l));
    expect(rows).toHaveLength(4);

    // One process gives the same files.
    const one = path.join(dir, 'one');
    const again = nncompress(['sweep', sweep, '-o', one, '--processes', '1']);
    expect(again.code).toBe(0);
    for (const c of summary.configurations) expect(fs.readFileSync(path.join(one, c.folder, 'model.nnc')).equals(fs.readFileSync(path.join(out, c.folder, 'model.nnc')))).toBe(true);
  });

  it('names the problem of a bad sweep file in one line, before running anything', () => {
    const cases: [string, RegExp][] = [
      [`pipeline: ./pipeline.yaml\nvary:\n  stages.trim.target.sparsity: [0.5]\n`, /vary\.stages\.trim\.target\.sparsity: stages has no entry "trim" \(it has cut\)/],
      [`pipeline: ./pipeline.yaml\nvary:\n  seed: 3\n`, /vary\.seed: must be a non-empty list of values/],
      [`pipeline: ./missing.yaml\nvary:\n  seed: [1]\n`, /pipeline: file not found: .*missing\.yaml/],
      [`pipeline: ./pipeline.yaml\nvary:\n  stages.cut.target.sparsity: [1.5]\n`, /configuration 1: sparsity=1\.5\)/],
      [`pipeline: ./pipeline.yaml\nvary:\n  seed: [1]\nworkers: 2\n`, /workers: unknown key \(a sweep file has pipeline, set, vary and processes\)/],
      [`pipeline: ./pipeline.yaml\nvary:\n  model.path: [1]\n`, /vary\.model\.path: model is ".*", not a mapping or a list/],
      [`pipeline: ./pipeline.yaml\nset:\n  stages.9.target.sparsity: 0.5\nvary:\n  seed: [1]\n`, /set\.stages\.9\.target\.sparsity: stages has no entry "9" \(it has cut\)/],
    ];
    for (const [i, [text, message]] of cases.entries()) {
      const out = path.join(dir, `bad-${i}`);
      const r = nncompress(['sweep', writeSweep(`bad-${i}.yaml`, text), '-o', out]);
      expectOneLineError(r, message, out);
      // Nothing else on stderr either: a sweep file is refused before any configuration starts.
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });
});

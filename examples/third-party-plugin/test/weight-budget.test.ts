import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { checkConfig, chooseBackend, loadModel, Pipeline, prunableWeights, silentLogger } from '@nncompress/core';

const LENET300 = path.resolve(__dirname, '../../mnist-lenet/models/lenet-300-100/model.json');
const BUDGET = path.resolve(__dirname, '../dist/weight-budget.js');

describe('the weightsRemoved target kind (a target kind declared by a plugin)', () => {
  let work: string;
  beforeAll(async () => {
    await chooseBackend('wasm');
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'nnc-budget-'));
  });
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  const run = (name: string, stage: Record<string, unknown>, plugins: Record<string, unknown>) => {
    const config = checkConfig({ model: LENET300, seed: 3, data: { source: 'mnist', train: 200, test: 200 }, plugins, stages: [{ name: 's', ...stage }] });
    return new Pipeline({ file: path.join(work, `${name}.yaml`), dir: work, config }, { outDir: path.join(work, name), logger: silentLogger }).run();
  };

  it('zeroes the lowest-scored weights to the count over a schedule, measured and reported by core', async () => {
    const report = await run('budget', { target: { weightsRemoved: 100000 }, schedule: { kind: 'iterative', rounds: 2 } }, { scores: { use: '@nncompress/plugin-magnitude' }, budget: { use: BUDGET } });
    expect(report.stages[0].reached?.weightsRemoved).toBe(100000);
    expect(report.stages[0].selectedBy?.weightsRemoved).toMatch(/^budget \(nncompress-plugin-weight-budget\)$/);
    const model = await loadModel(path.join(work, 'budget', 'model', 'model.json'));
    let zeros = 0;
    for (const w of prunableWeights(model)) for (const v of w.variable.read().dataSync()) if (v === 0) zeros++;
    model.dispose();
    expect(zeros).toBe(100000);
    // The smallest weights went: every zeroed weight of the baseline was no larger than every kept one.
    const baseline = await loadModel(LENET300);
    const pruned = await loadModel(path.join(work, 'budget', 'model', 'model.json'));
    let largestRemoved = 0;
    let smallestKept = Infinity;
    // The same layers in the same order (variable names differ between two loads).
    const kept = prunableWeights(pruned).map((w) => w.variable.read().dataSync());
    for (const [k, w] of prunableWeights(baseline).entries()) {
      const after = kept[k];
      w.variable.read().dataSync().forEach((v, i) => {
        if (after[i] === 0) largestRemoved = Math.max(largestRemoved, Math.abs(v));
        else smallestKept = Math.min(smallestKept, Math.abs(v));
      });
    }
    baseline.dispose();
    pruned.dispose();
    expect(largestRemoved).toBeLessThanOrEqual(smallestKept);
  });

  it('is an unknown target kind without the plugin, and its value is checked against its schema', async () => {
    await expect(run('unknown', { target: { weightsRemoved: 1000 } }, { scores: { use: '@nncompress/plugin-magnitude' } })).rejects.toThrow(
      /unknown\.yaml: stages\[0\]\.target\.weightsRemoved: unknown target kind "weightsRemoved" \(known: sparsity, filterRatio, layers; a plugin adds more through its targetKinds\)$/,
    );
    await expect(run('fraction', { target: { weightsRemoved: 0.5 } }, { budget: { use: BUDGET } })).rejects.toThrow(/fraction\.yaml: stages\[0\]\.target\.weightsRemoved: must be integer$/);
    expect(fs.existsSync(path.join(work, 'unknown'))).toBe(false);
  });
});

import * as fs from 'node:fs';
import * as path from 'node:path';
import { chooseBackend, ConfigError, loadConfig, Logger, Pipeline, PluginError, Report, Rng, saveModel, silentLogger, train } from '../src';
import { loadMnist } from '../src/entries/data';
import { smallMlp, tmpDir, writeConfig } from './helpers';

let dir: string;

const header = `
model: ./model/model.json
seed: 5
data: { source: mnist, train: 300, test: 200 }
`;

async function run(name: string, yaml: string, logger: Logger = silentLogger): Promise<Report> {
  const file = writeConfig(dir, yaml, name);
  return new Pipeline(loadConfig(file), { outDir: path.join(dir, `out-${name}`), logger }).run();
}

/** A third-party selector that keeps a random mask at the round's sparsity, ignoring earlier masks. */
const randomSelector = `
module.exports = {
  id: 'random-selector',
  apply(hooks, options, ctx) {
    hooks.select.tapPromise({ name: 'Random', targets: ['sparsity'] }, async (scores, round) => {
      const masks = new Map();
      for (const layer of round.state.model.layers) for (const w of layer.weights) {
        if (!/kernel/.test(w.name)) continue;
        const mask = new Uint8Array(w.shape.reduce((a, b) => a * b, 1)).fill(1);
        for (let i = 0; i < mask.length; i++) if (ctx.rng.next() < round.targetSparsity) mask[i] = 0;
        masks.set(w.name, mask);
      }
      return { kind: 'weights', masks, selectedBy: 'random-selector' };
    });
  },
};
`;

beforeAll(async () => {
  await chooseBackend('wasm');
  dir = tmpDir('nnc-targets-');
  const model = smallMlp(4);
  train(model, loadMnist({ train: 300 }).train, { epochs: 1, batchSize: 32, learningRate: 0.003, rng: new Rng(1) });
  await saveModel(model, path.join(dir, 'model'));
  fs.writeFileSync(path.join(dir, 'random-selector.js'), randomSelector);
  // A selector that prunes only the output layer's kernel (320 of 25,408 kernel weights).
  fs.writeFileSync(
    path.join(dir, 'last-only.js'),
    `module.exports = { id: 'last-only', apply(h) { h.select.tapPromise({ name: 'Last', targets: ['sparsity'] }, async (s, round) => {
      const kernels = round.state.model.layers.flatMap((l) => l.weights).filter((w) => /kernel/.test(w.name));
      const last = kernels[kernels.length - 1];
      const n = last.shape.reduce((a, b) => a * b, 1);
      const mask = new Uint8Array(n).fill(1).fill(0, 0, Math.round(n * round.targetSparsity));
      return { kind: 'weights', masks: new Map([[last.name, mask]]), selectedBy: 'last-only' };
    }); } };`,
  );
  // A selector whose masks hold 2 where they mean "keep".
  fs.writeFileSync(
    path.join(dir, 'twos.js'),
    `module.exports = { id: 'twos', apply(h) { h.select.tapPromise({ name: 'Twos', targets: ['sparsity'] }, async (s, round) => {
      const masks = new Map();
      for (const l of round.state.model.layers) for (const w of l.weights) if (/kernel/.test(w.name)) masks.set(w.name, new Uint8Array(w.shape.reduce((a, b) => a * b, 1)).fill(2));
      return { kind: 'weights', masks, selectedBy: 'twos' };
    }); } };`,
  );
  fs.writeFileSync(path.join(dir, 'undeclared.js'), `module.exports = { id: 'undeclared', apply(h) { h.select.tap('Old', () => undefined); } };`);
});

describe('targets: each key is served by the one selector that declares it', () => {
  it('a filterRatio stage is served by filter pruning even when magnitude is declared first, and the report says who selected', async () => {
    const report = await run('filters.yaml', `${header}
plugins:
  prune: { use: '@nncompress/plugin-magnitude' }
  filters: { use: '@nncompress/plugin-filter-pruning', options: { criterion: average-weight } }
stages:
  - name: narrow
    target: { filterRatio: 0.25 }
`);
    const [stage] = report.stages;
    expect(stage.target).toEqual({ filterRatio: 0.25 });
    expect(stage.selectedBy).toEqual({ filterRatio: 'filters (@nncompress/plugin-filter-pruning)' });
    // 8 of the hidden layer's 32 channels went: physically fewer parameters, no zeros from magnitude.
    expect(stage.reached.filterRatio).toBeCloseTo(8 / 32, 6);
    expect(report.final.params).toBeLessThan(report.baseline.params);
    expect(report.final.sparsity).toBeLessThan(0.01);
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'out-filters.yaml', 'report.json'), 'utf8')).stages[0].selectedBy.filterRatio).toMatch(/filter-pruning/);
  });

  it('two active selectors for one key is a config error naming both; none is one naming the key', async () => {
    const both = run('both.yaml', `${header}
plugins:
  prune: { use: '@nncompress/plugin-magnitude' }
  keep: { use: '@nncompress/plugin-small-weight-retention' }
stages:
  - name: s
    target: { sparsity: 0.5 }
`);
    await expect(both).rejects.toThrow(ConfigError);
    await expect(both).rejects.toThrow(/both\.yaml: stages\[0\]\.target\.sparsity: prune \(@nncompress\/plugin-magnitude\) and keep \(@nncompress\/plugin-small-weight-retention\) both select for target "sparsity"; list one of them in stages\[0\]\.use$/);
    await expect(
      run('none.yaml', `${header}
plugins:
  prune: { use: '@nncompress/plugin-magnitude' }
stages:
  - name: s
    target: { filterRatio: 0.5 }
`),
    ).rejects.toThrow(/none\.yaml: stages\[0\]\.target\.filterRatio: no active plugin selects for target "filterRatio"; add a plugin that does$/);
    // Nothing was written for either.
    expect(fs.existsSync(path.join(dir, 'out-both.yaml'))).toBe(false);
  });

  it('a selector that overshoots its target fails with the stage, round, target and reached value', async () => {
    const err = await run('random.yaml', `${header}
plugins:
  random: { use: ./random-selector.js }
stages:
  - name: shrink
    target: { sparsity: 0.8 }
    schedule: { kind: iterative, rounds: 2 }
`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PluginError);
    // Round 2 prunes a fresh 80% at random; with round 1's zeros still there, that is ~88%.
    expect((err as Error).message).toMatch(/random\.yaml: stages\[0\] \(shrink\), round 2: target 80\.0% kernel sparsity but the plan from random-selector reached 8[5-9]\.\d% kernel sparsity/);
    expect((err as Error).message).toMatch(/a scorer must give already-pruned \(zero\) weights the lowest scores/);
  });

  it('refuses a select tap that does not say which targets it serves', async () => {
    await expect(
      run('undeclared.yaml', `${header}
plugins:
  old: { use: ./undeclared.js }
stages:
  - name: s
    target: { sparsity: 0.5 }
`),
    ).rejects.toThrow(/plugin old \(undeclared\): its "select" tap "Old" must declare the target kinds it serves/);
  });

  it('says in the log and the report when a stage ends far short of its filter ratio', async () => {
    const warnings: string[] = [];
    const report = await run('short.yaml', `${header}
plugins:
  filters: { use: '@nncompress/plugin-filter-pruning', options: { minChannels: 64 } }
stages:
  - name: narrow
    target: { filterRatio: 0.5 }
`, { ...silentLogger, warn: (m) => void warnings.push(m) });
    const note = 'target filter ratio 50.0% reached only filter ratio 0.0% of the prunable channels (protected layers, minChannels, layer ratios or blocked groups kept the rest)';
    expect(report.stages[0].notes).toEqual([note]);
    expect(warnings).toContain(`stage narrow: ${note}`);
    expect(report.final.params).toBe(report.baseline.params);
  });

  it('says when a high ratio leaves a group a single channel', async () => {
    const report = await run('thin.yaml', `${header}
plugins:
  filters: { use: '@nncompress/plugin-filter-pruning' }
stages:
  - name: thin
    target: { filterRatio: 0.97 }
`);
    // 31 of the hidden layer's 32 channels go: within 2 points of the ratio, but one channel is left.
    expect(report.stages[0].reached.filterRatio).toBeCloseTo(31 / 32, 6);
    expect(report.stages[0].notes).toEqual(['1 channel group is down to one channel (hidden): the ratio leaves them almost nothing']);
  });

  it('refuses a mask that holds anything but 0 and 1, naming the plugin, the weight and the entry', async () => {
    await expect(
      run('twos.yaml', `${header}
plugins:
  twos: { use: ./twos.js }
stages:
  - name: s
    target: { sparsity: 0.5 }
`),
    ).rejects.toThrow(/plan from twos: mask for "[^"]*kernel[^"]*" holds 2 at entry 0; masks hold 0 \(pruned\) or 1 \(kept\)$/);
  });

  it('a selector that falls far short of its target (more than 2 points) fails too', async () => {
    await expect(
      run('short-sparsity.yaml', `${header}
plugins:
  last: { use: ./last-only.js }
stages:
  - name: s
    target: { sparsity: 0.5 }
`),
    ).rejects.toThrow(/stages\[0\] \(s\), round 1: target 50\.0% kernel sparsity but the plan from last-only reached 0\.6% kernel sparsity$/);
  });

  it('per-layer values: each layer ends on its own, each round goes the same share of the way, and the report says the model-wide value', async () => {
    const rounds: Record<string, number>[] = [];
    const file = writeConfig(dir, `${header}
plugins:
  prune: { use: '@nncompress/plugin-magnitude' }
stages:
  - name: s
    target: { sparsity: 0.69 }
    layerTargets: { sparsity: { hidden: 0.7, out: 0.6 } }
    schedule: { kind: iterative, rounds: 2 }
`, 'layer-targets.yaml');
    const pipeline = new Pipeline(loadConfig(file), { outDir: path.join(dir, 'out-layer-targets'), logger: silentLogger });
    pipeline.hooks.afterPrune.tap('record', (_plan, round) => {
      const zeros: Record<string, number> = {};
      for (const layer of round.state.model.layers) for (const w of layer.weights.filter((x) => /kernel/.test(x.name))) {
        const v = w.read().dataSync();
        zeros[layer.name] = v.filter((x) => x === 0).length / v.length;
      }
      rounds.push(zeros);
    });
    const report = await pipeline.run();
    // Round 1 of 2 goes half way (0.35 and 0.3), round 2 all of it; together 0.6987 of the kernels.
    expect(rounds.map((r) => [r.hidden, r.out].map((x) => Math.round(100 * x) / 100))).toEqual([[0.35, 0.3], [0.7, 0.6]]);
    expect(report.stages[0].reached.sparsity).toBeCloseTo((0.7 * 25088 + 0.6 * 320) / 25408, 4);
  });

  it('refuses a select tap whose per-layer kinds are not among the kinds it serves', async () => {
    fs.writeFileSync(path.join(dir, 'odd-layers.js'), `module.exports = { id: 'odd-layers', apply(h) { h.select.tapPromise({ name: 'Odd', targets: ['sparsity'], layerTargets: ['filterRatio'] }, async () => undefined); } };`);
    await expect(run('odd-layers.yaml', `${header}
plugins:
  odd: { use: ./odd-layers.js }
stages:
  - name: s
    target: { sparsity: 0.5 }
`)).rejects.toThrow('plugin odd (odd-layers): its "select" tap "Odd" declares layerTargets that are not among its targets (sparsity)');
  });

  it('refuses per-layer values a selector would not follow, or that have no model-wide value, naming the stage path', async () => {
    await expect(run('layer-targets-random.yaml', `${header}
plugins:
  random: { use: ./random-selector.js }
stages:
  - name: s
    target: { sparsity: 0.5 }
    layerTargets: { sparsity: { hidden: 0.5 } }
`)).rejects.toThrow(/stages\[0\]\.layerTargets\.sparsity: random \(random-selector\) selects for "sparsity" but takes no per-layer values/);
    expect(() => loadConfig(writeConfig(dir, `${header}
plugins:
  prune: { use: '@nncompress/plugin-magnitude' }
stages:
  - name: s
    target: { filterRatio: 0.5 }
    layerTargets: { sparsity: { hidden: 0.5 } }
`, 'layer-targets-missing.yaml'))).toThrow(/stages\[0\]\.layerTargets\.sparsity: the stage has no sparsity target; give target\.sparsity/);
    expect(() => loadConfig(writeConfig(dir, `${header}
stages:
  - name: s
    target: { layers: 1 }
    layerTargets: { layers: { hidden: 0.5 } }
`, 'layer-targets-count.yaml'))).toThrow(/stages\[0\]\.layerTargets\.layers: layers is a count/);
    await expect(run('layer-targets-unknown.yaml', `${header}
plugins:
  prune: { use: '@nncompress/plugin-magnitude' }
stages:
  - name: s
    target: { sparsity: 0.5 }
    layerTargets: { sparsity: { hiddn: 0.9, hidden: 0.5 } }
`)).rejects.toThrow(/stages\[0\]\.layerTargets\.sparsity: the model has no prunable layer "hiddn" \(it has hidden, out\)/);
  });
});

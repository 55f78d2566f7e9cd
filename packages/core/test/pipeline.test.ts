import * as fs from 'node:fs';
import * as path from 'node:path';
import { chooseBackend, ConfigError, evaluate, InputError, loadConfig, Pipeline, PluginError, prunableWeights, Report, saveModel, silentLogger, tf, train, Rng } from '../src';
import { loadMnist } from '../src/entries/data';
import { smallMlp, tmpDir, writeConfig } from './helpers';
import { RunWorkers } from '../src/pipeline/workers';

let dir: string;

const baseConfig = (extra = ''): string => `
model: ./model/model.json
seed: 3
data: { source: mnist, train: 600, test: 400 }
plugins:
  prune:
    use: '@nncompress/plugin-magnitude'
    options: { scope: global }
  tune:
    use: '@nncompress/plugin-finetune'
    options: { epochs: 1, learningRate: 0.001 }
${extra}`;

async function runConfig(file: string, out: string, seed?: number, observe?: (p: Pipeline) => void): Promise<Report> {
  const pipeline = new Pipeline(loadConfig(file), { outDir: out, seed, logger: silentLogger });
  observe?.(pipeline);
  return pipeline.run();
}

beforeAll(async () => {
  await chooseBackend('wasm');
  dir = tmpDir();
  // A small baseline trained on real digits, so pruning has real weights to act on.
  const model = smallMlp(11);
  train(model, loadMnist({ train: 600 }).train, { epochs: 3, batchSize: 32, learningRate: 0.003, rng: new Rng(1) });
  await saveModel(model, path.join(dir, 'model'));
});

describe('pipeline', () => {
  it('runs hooks in order and repeats rounds per stage schedule', async () => {
    const file = writeConfig(dir, baseConfig(`
stages:
  - name: gradual
    target: { sparsity: 0.6 }
    schedule: { kind: gradual, rounds: 3 }
  - name: polish
    use: [tune]
`), 'order.yaml');
    const calls: string[] = [];
    const report = await runConfig(file, path.join(dir, 'out-order'), undefined, (p) => {
      p.hooks.beforeRun.tap('rec', () => void calls.push('beforeRun'));
      p.hooks.beforeStage.tap('rec', (s) => void calls.push(`beforeStage:${s.stage.name}`));
      p.hooks.score.tap('rec', (scores, r) => {
        calls.push(`score:${r.stage.name}:${r.round}`);
        return scores;
      });
      p.hooks.beforeRound.tap('rec', (r) => void calls.push(`beforeRound:${r.stage.name}:${r.round}`));
      p.hooks.prune.tap('rec', (plan, r) => void calls.push(`prune:${r.stage.name}:${r.round}:${plan.selectedBy}`));
      // After core applied the plan: the model holds the round's sparsity.
      p.hooks.afterPrune.tap('rec', (_plan, r) => {
        const kernels = prunableWeights(r.state.model).map((w) => w.variable.read().dataSync() as Float32Array);
        const zeros = kernels.reduce((n, k) => n + k.filter((v) => v === 0).length, 0) / kernels.reduce((n, k) => n + k.length, 0);
        calls.push(`afterPrune:${r.stage.name}:${r.round}:${Math.abs(zeros - r.targetSparsity) < 0.02}`);
      });
      p.hooks.finetune.tap('rec', (r) => void calls.push(`finetune:${r.stage.name}:${r.round}`));
      p.hooks.afterStage.tap('rec', (s) => void calls.push(`afterStage:${s.stage.name}`));
      p.hooks.evaluate.tap('rec', (e) => void calls.push(`evaluate:${e.label}`));
      p.hooks.afterRun.tap('rec', () => void calls.push('afterRun'));
    });
    expect(calls).toEqual([
      'beforeRun',
      'evaluate:baseline',
      'beforeStage:gradual',
      'beforeRound:gradual:0', 'score:gradual:0', 'prune:gradual:0:@nncompress/plugin-magnitude', 'afterPrune:gradual:0:true', 'finetune:gradual:0',
      'beforeRound:gradual:1', 'score:gradual:1', 'prune:gradual:1:@nncompress/plugin-magnitude', 'afterPrune:gradual:1:true', 'finetune:gradual:1',
      'beforeRound:gradual:2', 'score:gradual:2', 'prune:gradual:2:@nncompress/plugin-magnitude', 'afterPrune:gradual:2:true', 'finetune:gradual:2',
      'evaluate:gradual',
      'afterStage:gradual',
      'beforeStage:polish',
      'beforeRound:polish:0',
      'finetune:polish:0',
      'evaluate:polish',
      'afterStage:polish',
      'evaluate:final',
      'afterRun',
    ]);
    expect(report.stages.map((s) => [s.name, s.rounds])).toEqual([['gradual', 3], ['polish', 1]]);
    // The polish stage only lists `tune`, so the magnitude plugin's taps were skipped there.
    expect(report.stages[1].plugin).toBe('@nncompress/plugin-finetune');
  });

  it('prunes to the target end to end, keeps pruned weights at zero, and writes loadable artifacts', async () => {
    const file = writeConfig(dir, baseConfig(`
stages:
  - name: gradual
    target: { sparsity: 0.8 }
    schedule: { kind: gradual, rounds: 2 }
`), 'e2e.yaml');
    const out = path.join(dir, 'out-e2e');
    const report = await runConfig(file, out);
    for (const key of ['backend', 'seed', 'durationMs', 'baseline', 'final', 'stages', 'layers'] as const) expect(report).toHaveProperty(key);
    for (const key of ['accuracy', 'params', 'nonzeroParams', 'flops', 'bytesFloat32']) expect(report.baseline).toHaveProperty(key);
    for (const key of ['accuracy', 'params', 'nonzeroParams', 'flops', 'sparsity', 'encodedBytes', 'compressionRatio']) expect(report.final).toHaveProperty(key);
    expect(report.backend).toBe('wasm');
    expect(report.final.sparsity).toBeGreaterThan(0.795);
    expect(report.final.sparsity).toBeLessThan(0.805);
    expect(report.baseline.accuracy).toBeGreaterThan(0.7);
    expect(report.final.accuracy).toBeGreaterThan(report.baseline.accuracy! - 0.05);
    expect(report.final.params).toBe(report.baseline.params);
    expect(report.baseline.bytesFloat32).toBe(report.baseline.params * 4);
    const onDisk = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8')) as Report;
    expect(onDisk.final.sparsity).toBe(report.final.sparsity);
    expect(fs.readFileSync(path.join(out, 'report.html'), 'utf8')).toMatch(/<svg[^>]*aria-label="Kernel sparsity per layer"/);
    // The saved model loads in plain tfjs (no nncompress code on the read path) and carries the zeros.
    const modelJson = JSON.parse(fs.readFileSync(path.join(out, 'model', 'model.json'), 'utf8')) as { modelTopology: object; weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[] };
    const shard = fs.readFileSync(path.join(out, 'model', modelJson.weightsManifest[0].paths[0]));
    const reloaded = await tf.loadLayersModel(
      tf.io.fromMemory({ modelTopology: modelJson.modelTopology, weightSpecs: modelJson.weightsManifest[0].weights, weightData: new Uint8Array(shard).buffer }),
    );
    let zeros = 0;
    let total = 0;
    for (const w of prunableWeights(reloaded)) {
      const v = w.variable.read().dataSync();
      total += v.length;
      for (const x of v) if (x === 0) zeros++;
    }
    expect(zeros / total).toBeCloseTo(report.final.sparsity, 6);
    expect(fs.readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('gives the same masks and bytes for the same seed, and different training for another seed', async () => {
    const file = writeConfig(dir, baseConfig(`
stages:
  - name: one
    target: { sparsity: 0.7 }
    schedule: { kind: iterative, rounds: 2 }
`), 'det.yaml');
    const bytes = async (out: string, seed: number): Promise<Buffer> => {
      await runConfig(file, path.join(dir, out), seed);
      return fs.readFileSync(path.join(dir, out, 'model', 'weights.bin'));
    };
    const a = await bytes('det-a', 5);
    const b = await bytes('det-b', 5);
    const c = await bytes('det-c', 6);
    expect(a.equals(b)).toBe(true);
    expect(a.equals(c)).toBe(false);
  });
});

describe('workers', () => {
  it('fine-tunes with the batch split across threads: the same bytes for the same seed and count, the count in report.json, and a bad count named', async () => {
    const file = writeConfig(dir, baseConfig(`
workers: 2
stages:
  - name: one
    target: { sparsity: 0.6 }
`), 'workers.yaml');
    const run = async (out: string, workers?: number): Promise<{ report: Report; bytes: Buffer }> => {
      const pipeline = new Pipeline(loadConfig(file), { outDir: path.join(dir, out), workers, logger: silentLogger });
      const report = await pipeline.run();
      return { report, bytes: fs.readFileSync(path.join(dir, out, 'model', 'weights.bin')) };
    };
    const a = await run('workers-a');
    const b = await run('workers-b');
    const one = await run('workers-one', 1);
    expect(a.report.workers).toEqual({ requested: 2, used: 2 });
    expect(one.report.workers).toEqual({ requested: 1, used: 1 });
    expect(a.bytes.equals(b.bytes)).toBe(true);
    expect(fs.readFileSync(path.join(dir, 'workers-a', 'report.html'), 'utf8')).toContain('backend <b>wasm</b>, 2 training threads');
    expect(fs.readFileSync(path.join(dir, 'workers-one', 'report.html'), 'utf8')).not.toContain('training thread');
    // Two threads and one reach the same accuracy within noise (the sums differ only in order).
    expect(Math.abs((a.report.final.accuracy ?? 0) - (one.report.final.accuracy ?? 0))).toBeLessThanOrEqual(0.02);
    const bad = writeConfig(dir, baseConfig('workers: 0\nstages:\n  - name: one\n'), 'workers-bad.yaml');
    expect(() => loadConfig(bad)).toThrow(/workers/);
  });

  it("passes the run's count to the evaluator too, and warns once per reason it ran on one thread", () => {
    const warnings: string[] = [];
    const workers = new RunWorkers(3, { ...silentLogger, warn: (m) => warnings.push(m) });
    const asked: (number | undefined)[] = [];
    const evaluator = workers.wrapEvaluator({
      evaluate: (_model, data, _batchSize, options) => {
        asked.push(options?.workers);
        options?.onRefused?.('the model does not serialise');
        return evaluate(smallMlp(), data);
      },
    });
    const data = loadMnist({ train: 20, test: 1 }).train;
    evaluator.evaluate(smallMlp(), data);
    evaluator.evaluate(smallMlp(), data, 10, { workers: 2 });
    expect(asked).toEqual([3, 2]);
    expect(warnings).toEqual(['running on one thread instead of 3: the model does not serialise']);
    expect(workers.report).toEqual({ requested: 3, used: 1, refused: ['the model does not serialise'] });
    // One thread asked for: the evaluator is left as it is.
    const plain = { evaluate };
    expect(new RunWorkers(1, silentLogger).wrapEvaluator(plain)).toBe(plain);
  });
});

describe('plugin loading and errors', () => {
  it('loads a plain-object plugin by relative path and runs its taps', async () => {
    fs.writeFileSync(path.join(dir, 'counter-plugin.js'), `
module.exports = {
  id: 'counter',
  optionsSchema: { type: 'object', additionalProperties: false, properties: { label: { type: 'string', default: 'n' } } },
  apply(hooks, options, ctx) {
    let n = 0;
    hooks.finetune.tap('counter', () => { n++; });
    hooks.afterRun.tap('counter', () => ctx.emitFile('count.txt', options.label + '=' + n));
  },
};`);
    const file = writeConfig(dir, `
model: ./model/model.json
data: { source: mnist, train: 100, test: 100 }
plugins:
  count: { use: ./counter-plugin.js, options: { label: rounds } }
stages:
  - name: a
  - name: b
`, 'relative.yaml');
    const out = path.join(dir, 'out-relative');
    await runConfig(file, out);
    expect(fs.readFileSync(path.join(out, 'count.txt'), 'utf8')).toBe('rounds=2');
  });

  it('names an unknown plugin, a bad option, and a failing tap', async () => {
    const bad = (name: string, text: string): string => writeConfig(dir, text, name);
    const stages = 'stages:\n  - name: s\n    target: { sparsity: 0.5 }\n';
    await expect(runConfig(bad('unknown.yaml', `model: ./model/model.json\ndata: { source: mnist }\nplugins:\n  x: { use: nncompress-plugin-does-not-exist }\n${stages}`), path.join(dir, 'o1'))).rejects.toThrow(
      /plugins\.x\.use: cannot find plugin "nncompress-plugin-does-not-exist"/,
    );
    await expect(runConfig(bad('badopt.yaml', `model: ./model/model.json\ndata: { source: mnist }\nplugins:\n  prune: { use: '@nncompress/plugin-magnitude', options: { scope: everywhere } }\n${stages}`), path.join(dir, 'o2'))).rejects.toThrow(
      /plugins\.prune\.options\.scope: must be one of "layer", "global" \(plugin @nncompress\/plugin-magnitude\)/,
    );
    fs.writeFileSync(path.join(dir, 'throwing.js'), `module.exports = { id: 'thrower', apply(h) { h.score.tap('t', () => { throw new Error('boom'); }); } };`);
    const err = await runConfig(bad('throw.yaml', `model: ./model/model.json\ndata: { source: mnist, train: 50, test: 50 }\nplugins:\n  t: { use: ./throwing.js }\n  p: { use: '@nncompress/plugin-magnitude' }\n${stages}`), path.join(dir, 'o3')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PluginError);
    expect((err as Error).message).toBe('plugin t (thrower) failed in hook "score": boom');
    // Nothing was written for any failed run.
    for (const o of ['o1', 'o2', 'o3']) expect(fs.existsSync(path.join(dir, o))).toBe(false);
    expect(fs.readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('tells the failed hook why the run stopped (a tap that throws there too is only a warning), and hooks nobody tapped are unused', async () => {
    fs.writeFileSync(
      path.join(dir, 'failing-finetune.js'),
      `module.exports = { id: 'failing', apply(h) {
  h.finetune.tapPromise('f', async () => { throw new Error('out of memory'); });
  h.failed.tapPromise('f', async ({ error, stage }) => { globalThis.failedSeen = stage + ': ' + error.message; });
} };`,
    );
    fs.writeFileSync(path.join(dir, 'failing-cleanup.js'), `module.exports = { id: 'cleanup', apply(h) { h.failed.tap('c', () => { throw new Error('cleanup broke'); }); } };`);
    const file = writeConfig(dir, `model: ./model/model.json\ndata: { source: mnist, train: 50, test: 50 }\nplugins:\n  f: { use: ./failing-finetune.js }\n  c: { use: ./failing-cleanup.js }\nstages:\n  - name: tune\n`, 'failing.yaml');
    const warnings: string[] = [];
    const logger = { ...silentLogger, warn: (m: string) => void warnings.push(m) };
    let pipeline: Pipeline | undefined;
    const err = await new Promise<unknown>((resolve) => {
      pipeline = new Pipeline(loadConfig(file), { outDir: path.join(dir, 'o-failed'), logger });
      pipeline.run().then(() => resolve(undefined), resolve);
    });
    expect((err as Error).message).toBe('plugin f (failing) failed in hook "finetune": out of memory');
    expect((globalThis as { failedSeen?: string }).failedSeen).toBe('tune: plugin f (failing) failed in hook "finetune": out of memory');
    expect(warnings).toEqual(['while the run stopped: plugin c (cleanup) failed in hook "failed": cleanup broke']);
    expect(fs.existsSync(path.join(dir, 'o-failed'))).toBe(false);
    // No interceptor makes a hook look tapped: what no plugin tapped says so.
    expect([pipeline!.hooks.finetune.isUsed(), pipeline!.hooks.encodeTensor.isUsed(), pipeline!.hooks.score.isUsed()]).toEqual([true, false, false]);
  });

  it('writes the report and tells the run\'s story through built-in plugins on lifecycle hooks', async () => {
    const file = writeConfig(dir, `model: ./model/model.json\ndata: { source: mnist, train: 100, test: 100 }\nplugins:\n  p: { use: '@nncompress/plugin-magnitude' }\nstages:\n  - { name: prune, target: { sparsity: 0.5 } }\n`, 'builtins.yaml');
    const lines: string[] = [];
    const pipeline = new Pipeline(loadConfig(file), { outDir: path.join(dir, 'o-builtins'), logger: { ...silentLogger, info: (m: string) => void lines.push(m) } });
    let seen: unknown;
    pipeline.hooks.afterRun.tap('test', (_run, summary) => void (seen = summary.report));
    const report = await pipeline.run();
    // A caller's afterRun tap sees the report that was written; the built-ins are not among the run's plugins.
    expect(seen).toEqual(report);
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'o-builtins', 'report.json'), 'utf8'))).toEqual(JSON.parse(JSON.stringify(report)));
    expect(fs.readFileSync(path.join(dir, 'o-builtins', 'report.html'), 'utf8')).toContain('50.0% kernel sparsity');
    expect(report.plugins.map((p) => p.instance)).toEqual(['p']);
    const story = lines.filter((l) => /^(baseline|stage|final):? /.test(l));
    expect(story).toHaveLength(3);
    expect(story[0]).toMatch(/^baseline: accuracy \d+\.\d\d% on 100 test examples \(classification\), \d+ params$/);
    expect(story[1]).toMatch(/^stage prune: accuracy \d+\.\d\d% → \d+\.\d\d%, sparsity 50\.\d\d%$/);
    expect(story[2]).toBe(`final: accuracy ${(100 * report.final.metric.value).toFixed(2)}%, ${report.final.params} params, ${report.final.encodedBytes} bytes (${report.final.compressionRatio.toFixed(2)}x smaller than float32) in ${(report.durationMs / 1000).toFixed(1)} s`);
  });

  it('runs with the services it is given: an evaluator from the caller, a trainer a plugin provides (same bytes as core\'s), and refuses two providers', async () => {
    fs.writeFileSync(
      path.join(dir, 'counting-trainer.js'),
      `module.exports = { id: 'counting-trainer', provides: { trainer: ({ defaults, logger }) => ({ train(model, data, options) { globalThis.trainCalls = (globalThis.trainCalls || 0) + 1; logger.info('training ' + data.size); return defaults.trainer.train(model, data, options); } }) }, apply() {} };`,
    );
    const stages = 'stages:\n  - name: s\n    target: { sparsity: 0.5 }\n    schedule: { kind: iterative, rounds: 2 }\n';
    const plain = writeConfig(dir, baseConfig(stages), 'services-plain.yaml');
    const counted = writeConfig(dir, baseConfig(`  count: { use: ./counting-trainer.js }\n${stages}`), 'services-counted.yaml');
    const labels: string[] = [];
    const evaluator = { evaluate: (model: tf.LayersModel, data: Parameters<typeof evaluate>[1], batchSize?: number) => (labels.push(data.name), evaluate(model, data, batchSize)) };
    const lines: string[] = [];
    const logger = { ...silentLogger, info: (m: string) => void lines.push(m) };
    await new Pipeline(loadConfig(plain), { outDir: path.join(dir, 'o-plain'), logger: silentLogger }).run();
    await new Pipeline(loadConfig(counted), { outDir: path.join(dir, 'o-counted'), logger, services: { evaluator } }).run();
    // The caller's evaluator measured the baseline and the stage; the plugin's trainer ran once per round, under its instance's name.
    expect(labels).toEqual(['mnist-test', 'mnist-test']);
    expect((globalThis as { trainCalls?: number }).trainCalls).toBe(2);
    expect(lines.filter((l) => l.startsWith('count: '))).toEqual(['count: provides the trainer', 'count: training 600', 'count: training 600']);
    const weights = (o: string): Buffer => fs.readFileSync(path.join(dir, o, 'model', 'weights.bin'));
    expect(weights('o-counted').equals(weights('o-plain'))).toBe(true);
    const twice = writeConfig(dir, baseConfig(`  a: { use: ./counting-trainer.js }\n  b: { use: ./counting-trainer.js }\n${stages}`), 'services-twice.yaml');
    await expect(runConfig(twice, path.join(dir, 'o-twice'))).rejects.toThrow(/services-twice\.yaml: plugins\.a and plugins\.b both provide the trainer; keep one$/);
  });

  it('fails when a stage has a sparsity target but no plugin selects', async () => {
    const file = writeConfig(dir, `model: ./model/model.json\ndata: { source: mnist, train: 50, test: 50 }\nstages:\n  - name: lonely\n    target: { sparsity: 0.5 }\n`, 'noselect.yaml');
    await expect(runConfig(file, path.join(dir, 'o4'))).rejects.toThrow(/noselect\.yaml: stages\[0\]\.target\.sparsity: no active plugin selects for target "sparsity"; add a plugin that does$/);
  });
});

describe('config validation', () => {
  const check = (text: string, name = 'c.yaml'): Error => {
    const file = writeConfig(dir, text, name);
    try {
      loadConfig(file);
    } catch (err) {
      return err as Error;
    }
    throw new Error('expected a config error');
  };

  it('names the path of an out-of-range value', () => {
    const err = check('model: m.json\ndata: { source: mnist }\nstages:\n  - name: a\n  - name: b\n    target: { sparsity: 1.5 }\n');
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toMatch(/c\.yaml: stages\[1\]\.target\.sparsity: must be < 1$/);
  });

  it('names unknown properties, missing keys, wrong types and bad references', () => {
    expect(check('model: m.json\ndata: { source: mnist }\nstages: [{ name: a, sparsity: 0.5 }]\n').message).toMatch(/stages\[0\]: unknown property "sparsity"/);
    expect(check('data: { source: mnist }\nstages: [{ name: a }]\n').message).toMatch(/\(root\): missing required property "model"/);
    expect(check('model: m.json\nseed: many\ndata: { source: mnist }\nstages: [{ name: a }]\n').message).toMatch(/seed: must be integer/);
    expect(check('model: m.json\ndata: { source: mnist }\nstages: [{ name: a, use: [ghost] }]\n').message).toMatch(/stages\[0\]\.use\[0\]: no plugin instance named "ghost" \(declared: none\)/);
    expect(check('model: m.json\ndata: { source: mnist }\nstages: [{ name: a, schedule: { kind: gradual } }]\n').message).toMatch(/stages\[0\]\.target: a gradual schedule needs a target \(sparsity, filterRatio, layers\)/);
  });

  it('reports malformed YAML with its line', () => {
    const err = check('model: m.json\nstages: [\n  - name: a\n', 'broken.yaml');
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toMatch(/broken\.yaml:\d+:\d+: invalid YAML: /);
  });

  it('loads JSON and typed .ts configs to the same result as YAML', () => {
    const yamlFile = writeConfig(dir, 'model: m.json\ndata: { source: mnist, train: 10 }\nstages: [{ name: a }]\n', 'same.yaml');
    const jsonFile = writeConfig(dir, JSON.stringify({ model: 'm.json', data: { source: 'mnist', train: 10 }, stages: [{ name: 'a' }] }), 'same.json');
    const tsFile = writeConfig(dir, "const config = { model: 'm.json', data: { source: 'mnist', train: 10 }, stages: [{ name: 'a' }] };\nexport default config;\n", 'same.ts');
    const a = loadConfig(yamlFile).config;
    expect(loadConfig(jsonFile).config).toEqual(a);
    expect(loadConfig(tsFile).config).toEqual(a);
  });

  it('refuses an output folder that holds the input model, before writing anything', async () => {
    const file = writeConfig(dir, baseConfig('stages: [{ name: a }]\n'), 'outcheck.yaml');
    const before = fs.readdirSync(path.join(dir, 'model')).sort();
    const err = await new Pipeline(loadConfig(file), { outDir: path.join(dir, 'model'), logger: silentLogger }).run().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toMatch(/would overwrite the input/);
    expect(fs.readdirSync(path.join(dir, 'model')).sort()).toEqual(before);
  });
});

describe('the README plugin (examples/protect-plugin)', () => {
  const pluginFile = path.resolve(__dirname, '../../../examples/protect-plugin/protect-plugin.js');

  it('is shown verbatim in the README', () => {
    const readme = fs.readFileSync(path.resolve(__dirname, '../../../README.md'), 'utf8');
    expect(readme).toContain(`\`\`\`js\n${fs.readFileSync(pluginFile, 'utf8')}\`\`\``);
  });

  it('keeps the protected layer dense while the rest reaches the target', async () => {
    const file = writeConfig(dir, `
model: ./model/model.json
data: { source: mnist, train: 100, test: 100 }
plugins:
  keep: { use: ${pluginFile}, options: { layer: out } }
  prune: { use: '@nncompress/plugin-magnitude', options: { scope: global } }
stages:
  - name: cut
    target: { sparsity: 0.5 }
`, 'protect.yaml');
    const report = await runConfig(file, path.join(dir, 'out-protect'));
    const out = report.layers.find((l) => l.name === 'out')!;
    const hidden = report.layers.find((l) => l.name === 'hidden')!;
    expect(out.sparsity).toBe(0);
    expect(report.final.sparsity).toBeCloseTo(0.5, 3);
    expect(hidden.sparsity).toBeGreaterThan(0.5);
  });
});

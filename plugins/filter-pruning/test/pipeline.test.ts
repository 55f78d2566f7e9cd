import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chooseBackend, loadConfig, loadModel, Pipeline, Rng, saveModel, silentLogger, tf, train } from '@nncompress/core';
import { loadMnist } from '@nncompress/core/data';

/**
 * conv(8)-BN-relu-pool-conv(16)-BN-relu-pool-flatten-fc(32)-fc(classes): a small VGG-style net.
 * BN momentum 0.9: with tfjs's default 0.99 the moving statistics lag far behind after the
 * ~100 steps this test trains, and inference accuracy with them.
 */
function cnn(classes: number): tf.LayersModel {
  const rng = new Rng(21);
  const init = (): ReturnType<typeof tf.initializers.glorotUniform> => tf.initializers.glorotUniform({ seed: rng.childSeed() });
  return tf.sequential({
    layers: [
      tf.layers.conv2d({ name: 'conv1', inputShape: [28, 28, 1], filters: 8, kernelSize: 3, kernelInitializer: init() }),
      tf.layers.batchNormalization({ name: 'bn1', momentum: 0.9 }),
      tf.layers.reLU({ name: 'relu1' }),
      tf.layers.maxPooling2d({ name: 'pool1', poolSize: 2 }),
      tf.layers.conv2d({ name: 'conv2', filters: 16, kernelSize: 3, kernelInitializer: init() }),
      tf.layers.batchNormalization({ name: 'bn2', momentum: 0.9 }),
      tf.layers.reLU({ name: 'relu2' }),
      tf.layers.maxPooling2d({ name: 'pool2', poolSize: 2 }),
      tf.layers.flatten({ name: 'flatten' }),
      tf.layers.dense({ name: 'fc1', units: 32, activation: 'relu', kernelInitializer: init() }),
      tf.layers.dense({ name: 'fc2', units: classes, activation: 'softmax', kernelInitializer: init() }),
    ],
  });
}

let dir: string;

const config = (options: string, extra = ''): string => `
model: ./model/model.json
seed: 4
data: { source: mnist, train: 1500, test: 500 }
plugins:
  filters: { use: '@nncompress/plugin-filter-pruning', options: ${options} }
  tune: { use: '@nncompress/plugin-finetune', options: { epochs: 2, learningRate: 0.002 } }
stages:
  - name: prune
    target: { filterRatio: 0.5 }
    schedule: { kind: iterative, rounds: 2 }
${extra}`;

async function run(name: string, text: string, logger = silentLogger): Promise<{ report: Awaited<ReturnType<Pipeline['run']>>; out: string }> {
  fs.writeFileSync(path.join(dir, name), text);
  const out = path.join(dir, `out-${name}`);
  const report = await new Pipeline(loadConfig(path.join(dir, name)), { outDir: out, logger }).run();
  return { report, out };
}

beforeAll(async () => {
  await chooseBackend('wasm');
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nnc-filters-'));
  const model = cnn(10);
  train(model, loadMnist({ train: 1500 }).train, { epochs: 2, batchSize: 32, learningRate: 0.003, rng: new Rng(2) });
  await saveModel(model, path.join(dir, 'model'));
  const five = cnn(5);
  await saveModel(five, path.join(dir, 'five'));
});

describe('filter pruning in a pipeline', () => {
  it('removes half the channels physically, shrinking params and FLOPs, and fine-tunes back', async () => {
    const { report, out } = await run('half.yaml', `${config('{ criterion: average-weight, scope: global }')}latency: { repeats: 3 }\n`);
    // Latency is measured when asked: positive, finite medians for both batch sizes, baseline
    // and final. How they compare is a timing, and timings belong to the bench, not to tests.
    for (const l of [report.baseline.latencyMs!, report.final.latencyMs!]) {
      for (const ms of [l.batch1, l.batch32]) {
        expect(ms).toBeGreaterThan(0);
        expect(Number.isFinite(ms)).toBe(true);
      }
    }
    expect(report.final.params).toBeLessThan(0.6 * report.baseline.params);
    expect(report.final.flops).toBeLessThan(0.6 * report.baseline.flops);
    expect(report.final.accuracy).toBeGreaterThan(report.baseline.accuracy! - 0.08);
    const conv1 = report.layers.find((l) => l.name === 'conv1')!;
    expect(conv1.paramsAfter).toBeLessThan(conv1.paramsBefore);
    // The smaller model loads in plain tfjs with its new shapes; fc2 keeps 10 classes.
    const json = JSON.parse(fs.readFileSync(path.join(out, 'model', 'model.json'), 'utf8')) as { weightsManifest: { weights: { name: string; shape: number[] }[] }[] };
    const shapes = Object.fromEntries(json.weightsManifest[0].weights.map((w) => [w.name, w.shape]));
    const kept = (name: string): number => shapes[name].slice(-1)[0];
    // 56 prunable channels (8 + 16 + 32): 50% = 28 removed in all.
    expect(kept('conv1/kernel') + kept('conv2/kernel') + kept('fc1/kernel')).toBe(28);
    expect(kept('fc2/kernel')).toBe(10);
    expect(shapes['bn2/gamma']).toEqual([kept('conv2/kernel')]);
    expect(shapes['fc1/kernel'][0]).toBe(5 * 5 * kept('conv2/kernel'));
  });

  it('APoZ and per-layer ratios work end to end, and the same seed gives the same model bytes', async () => {
    const text = config('{ criterion: apoz, scope: layer, batches: 2, batchSize: 32 }');
    const a = await run('apoz-a.yaml', text);
    const b = await run('apoz-b.yaml', text);
    expect(fs.readFileSync(path.join(a.out, 'model', 'weights.bin')).equals(fs.readFileSync(path.join(b.out, 'model', 'weights.bin')))).toBe(true);
    const conv2 = a.report.layers.find((l) => l.name === 'conv2')!;
    // Layer scope: conv2 (16 filters) keeps 8, and its input lost half of conv1's 8 channels.
    expect(conv2.paramsAfter).toBe(3 * 3 * 4 * 8 + 8);
  });


  it('compensate moves removed channels\' means into the next layer\'s bias and changes nothing else', async () => {
    const text = (compensate: boolean): string => `
model: ./model/model.json
seed: 4
data: { source: mnist, train: 300, test: 100 }
plugins:
  filters: { use: '@nncompress/plugin-filter-pruning', options: { criterion: l2-weight, scope: layer, compensate: ${compensate} } }
stages:
  - name: prune
    target: { filterRatio: 0.5 }
`;
    const plain = await run('comp-off.yaml', text(false));
    const comp = await run('comp-on.yaml', text(true));
    const a = await loadModel(path.join(plain.out, 'model', 'model.json'));
    const b = await loadModel(path.join(comp.out, 'model', 'model.json'));
    const differs = (layer: string, i: number): boolean => {
      const x = a.getLayer(layer).getWeights()[i].dataSync();
      const y = b.getLayer(layer).getWeights()[i].dataSync();
      return x.some((v, j) => v !== y[j]);
    };
    // conv2 and fc1 consume pruned channels and have biases: only the biases move.
    expect(differs('conv2', 0)).toBe(false);
    expect(differs('conv2', 1)).toBe(true);
    expect(differs('fc1', 0)).toBe(false);
    expect(differs('fc1', 1)).toBe(true);
    expect(differs('conv1', 1)).toBe(false);
  });
  it('replaces the head when the dataset has another number of classes', async () => {
    const { report } = await run('head.yaml', config('{ criterion: l2-weight }').replace('./model/model.json', './five/model.json'));
    const head = report.layers.find((l) => l.name === 'fc2')!;
    expect(head.paramsBefore).toBe(32 * 10 + 10);
    expect(report.final.accuracy).toBeGreaterThan(0.5);
  });

  it('asks for headOn when the images do not fit the model, and refuses a new channel count', async () => {
    const rgb = (options: string): string => config(options).replace('source: mnist,', 'source: mnist-rgb, size: 20,');
    await expect(run('rgb.yaml', rgb('{ criterion: l2-weight }'))).rejects.toThrow(/failed in hook "beforeRun": the data are 20×20×3 but the model takes 28×28×1; set headOn/);
    // A new head can change the spatial size, not the channels (the first kernels depend on them).
    await expect(run('rgb-head.yaml', rgb('{ criterion: l2-weight, headOn: relu2 }'))).rejects.toThrow(/head: the new input 20×20×3 must keep the model's rank and 1 channels \(it takes 28×28×1\)/);
  });

  it('protect with a wildcard keeps the channels of every matching layer', async () => {
    const { report } = await run('protect-glob.yaml', config("{ criterion: l2-weight, scope: layer, protect: ['conv*'] }"));
    const layer = (name: string): { paramsBefore: number; paramsAfter: number } => report.layers.find((l) => l.name === name)!;
    expect(layer('conv1').paramsAfter).toBe(layer('conv1').paramsBefore);
    expect(layer('conv2').paramsAfter).toBe(layer('conv2').paramsBefore);
    expect(layer('fc1').paramsAfter).toBeLessThan(layer('fc1').paramsBefore);
    await expect(run('protect-none.yaml', config("{ protect: ['conv*_x'] }"))).rejects.toThrow(/protect: no layer name matches "conv\*_x"/);
  });

  it("protect keeps output channels only: the layer's inputs still shrink; a layer without prunable outputs gets a warning", async () => {
    const warnings: string[] = [];
    const logger = { ...silentLogger, warn: (m: string) => warnings.push(m) };
    // relu2 passes conv2's channels through: protecting it keeps them; conv2's inputs (conv1's outputs) still go.
    const { report } = await run('protect-out.yaml', config('{ criterion: l2-weight, scope: layer, protect: [relu2, flatten] }'), logger);
    const layer = (name: string): { paramsBefore: number; paramsAfter: number } => report.layers.find((l) => l.name === name)!;
    const conv1Kept = layer('conv1').paramsAfter / (3 * 3 + 1);
    expect(conv1Kept).toBeLessThan(8);
    expect(layer('conv2').paramsAfter).toBe(3 * 3 * conv1Kept * 16 + 16);
    // conv2's 16 protected channels count among the prunable ones, so the stage says it fell short.
    expect(warnings).toEqual([
      'filters: protect: layer "flatten" has no prunable output channels; it protects nothing',
      expect.stringMatching(/^stage prune: target filter ratio 50\.0% reached only filter ratio \d+\.\d% of the prunable channels \(protected layers, minChannels/),
    ]);
  });

  it('names a protected layer that does not exist', async () => {
    await expect(run('protect.yaml', config('{ protect: [conv9] }'))).rejects.toThrow(/plugin filters \(@nncompress\/plugin-filter-pruning\) failed in hook "select": protect: the model has no layer named "conv9"/);
  });

  it("follows a stage's per-group ratios by producer, leaves unnamed groups whole, and refuses what it cannot follow", async () => {
    const staged = (options: string, ratios: string): string => config(options).replace('    target: { filterRatio: 0.5 }\n', `    target: { filterRatio: 0.1 }\n    layerTargets: { filterRatio: ${ratios} }\n`);
    const { report } = await run('staged.yaml', staged('{ scope: layer }', '{ conv2: 0.5 }'));
    const channels = (name: string): [number, number] => {
      const row = report.layers.find((l) => l.name === name)!;
      return [row.channelsBefore, row.channelsAfter];
    };
    // conv2's group (with bn2) halves; conv1 and fc1, not named, keep theirs.
    expect(channels('conv2')).toEqual([16, 8]);
    expect(channels('bn2')).toEqual([16, 8]);
    expect(channels('conv1')).toEqual([8, 8]);
    expect(channels('fc1')).toEqual([32, 32]);
    await expect(run('staged-global.yaml', staged('{ scope: global }', '{ conv2: 0.5 }'))).rejects.toThrow(/stages\[0\]\.layerTargets\.filterRatio: per-layer ratios need this plugin's scope: layer \(it is global\)/);
    await expect(run('staged-bn.yaml', staged('{ scope: layer }', '{ bn2: 0.5 }'))).rejects.toThrow(/stages\[0\]\.layerTargets\.filterRatio\.bn2: not a layer whose output channels this plugin prunes/);
  });
});


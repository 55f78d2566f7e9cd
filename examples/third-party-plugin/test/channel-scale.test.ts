import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { analyzeChannels, chooseBackend, loadConfig, Pipeline, Rng, saveModel, silentLogger, tf, train } from '@nncompress/core';
import { builtinLayerKinds, LayerKindRegistry } from '@nncompress/core/graph';
import { loadMnist } from '@nncompress/core/data';
import { ChannelScale } from '../src/channel-scale';

let dir: string;

/** conv1(8) → ChannelScale → ReLU → conv2(8) → ReLU → flatten → dense(10): the custom layer sits inside a prunable group. */
function scaledCnn(): tf.LayersModel {
  const init = (seed: number): ReturnType<typeof tf.initializers.glorotUniform> => tf.initializers.glorotUniform({ seed });
  const input = tf.input({ shape: [28, 28, 1] });
  let x = tf.layers.conv2d({ name: 'conv1', filters: 8, kernelSize: 5, strides: 2, kernelInitializer: init(1) }).apply(input) as tf.SymbolicTensor;
  x = new ChannelScale({ name: 'scale' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.reLU({ name: 'relu1' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.conv2d({ name: 'conv2', filters: 8, kernelSize: 3, strides: 2, activation: 'relu', kernelInitializer: init(2) }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.flatten({ name: 'flatten' }).apply(x) as tf.SymbolicTensor;
  const out = tf.layers.dense({ name: 'out', units: 10, activation: 'softmax', kernelInitializer: init(3) }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

beforeAll(async () => {
  await chooseBackend('wasm');
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nnc-scale-'));
  const model = scaledCnn();
  train(model, loadMnist({ train: 800 }).train, { epochs: 2, batchSize: 32, learningRate: 0.003, rng: new Rng(2) });
  // Factors that differ per channel, so slicing the wrong entries would show.
  const scale = model.getLayer('scale');
  scale.setWeights([tf.tensor1d([0.5, 1, 1.5, 2, 0.75, 1.25, 1.75, 0.25])]);
  await saveModel(model, path.join(dir, 'model'));
});

describe('a custom layer class pruned through its registered layer kind', () => {
  it('without the kind, the channels around the custom layer are left alone, with the reason', () => {
    const plain = new LayerKindRegistry(builtinLayerKinds);
    const analysis = analyzeChannels(scaledCnn(), plain);
    const conv1 = analysis.groups.find((g) => g.producers.includes('conv1'))!;
    expect(conv1.blocked).toBe('ChannelScale layer scale');
    expect(analysis.unsupported).toEqual([{ layer: 'scale', className: 'ChannelScale', reason: 'ChannelScale layer scale' }]);
  });

  it('with the plugin, filter pruning removes conv1 channels and their factors; the model loads in plain tfjs', async () => {
    const pluginPath = path.resolve(__dirname, '../src/channel-scale.ts');
    const config = path.join(dir, 'pipeline.yaml');
    fs.writeFileSync(config, `model: ./model/model.json
seed: 3
data: { source: mnist, train: 400, test: 300 }
plugins:
  scale: { use: ${path.relative(dir, pluginPath)} }
  filters: { use: '@nncompress/plugin-filter-pruning', options: { criterion: average-weight, scope: layer, protect: [conv2] } }
stages:
  - name: narrow
    target: { filterRatio: 0.5 }
`);
    const out = path.join(dir, 'out');
    const report = await new Pipeline(loadConfig(config), { outDir: out, logger: silentLogger }).run();
    expect(report.stages[0].reached.filterRatio).toBeGreaterThan(0);
    const json = JSON.parse(fs.readFileSync(path.join(out, 'model', 'model.json'), 'utf8'));
    const weights = fs.readFileSync(path.join(out, 'model', 'weights.bin'));
    const specs = json.weightsManifest[0].weights as { name: string; shape: number[] }[];
    expect(specs.find((w) => w.name === 'scale/scale')!.shape).toEqual([4]);
    const loaded = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: specs as tf.io.WeightsManifestEntry[], weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength) }));
    // The kept factors are the original ones of the kept channels (each channel's own factor moved with it).
    const kept = Array.from(loaded.getLayer('scale').getWeights()[0].dataSync());
    for (const f of kept) expect([0.5, 1, 1.5, 2, 0.75, 1.25, 1.75, 0.25]).toContain(f);
    // Its accuracy is the report's: the same model came back.
    const test = loadMnist({ train: 400, test: 300 }).test;
    const { x, y } = test.batch(0, test.size, [28, 28, 1]);
    const predicted = Array.from((loaded.predict(x) as tf.Tensor).argMax(-1).dataSync());
    const labels = Array.from(y.argMax(-1).dataSync());
    const accuracy = predicted.filter((p, i) => p === labels[i]).length / labels.length;
    expect(accuracy).toBeCloseTo(report.final.accuracy!, 6);
  });
});

/**
 * Models unlike the examples, through `inspect` and `run` as a user would: a channel-mixing
 * activation between layers, channels-first convolutions, and a BatchNormalization without
 * scale. Each gives a correct, smaller model or has its channels left alone with the reason
 * in the output, the log and the report; none gives a wrong model.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chooseBackend, Report, Rng, saveModel, tf, train } from '@nncompress/core';
import { loadMnist } from '@nncompress/core/data';
import { nncompress } from './helpers';

let dir: string;
const init = (seed: number): ReturnType<typeof tf.initializers.glorotUniform> => tf.initializers.glorotUniform({ seed });

const models: Record<string, () => tf.LayersModel> = {
  // A softmax between two hidden layers (attention- or gating-like): it normalises across channels.
  mixing: () =>
    tf.sequential({
      layers: [
        tf.layers.flatten({ name: 'flat', inputShape: [28, 28, 1] }),
        tf.layers.dense({ name: 'd1', units: 32, kernelInitializer: init(1) }),
        tf.layers.activation({ name: 'mix', activation: 'softmax' }),
        tf.layers.dense({ name: 'd2', units: 16, activation: 'relu', kernelInitializer: init(2) }),
        tf.layers.dense({ name: 'out', units: 10, activation: 'softmax', kernelInitializer: init(3) }),
      ],
    }),
  // Channels-first convolutions (the layout of models converted from PyTorch-style code).
  'channels-first': () =>
    tf.sequential({
      layers: [
        tf.layers.conv2d({ name: 'c1', inputShape: [1, 28, 28], filters: 6, kernelSize: 5, strides: 2, dataFormat: 'channelsFirst', activation: 'relu', kernelInitializer: init(4) }),
        tf.layers.conv2d({ name: 'c2', filters: 8, kernelSize: 3, strides: 2, dataFormat: 'channelsFirst', activation: 'relu', kernelInitializer: init(5) }),
        tf.layers.flatten({ name: 'flat' }),
        tf.layers.dense({ name: 'd', units: 16, activation: 'relu', kernelInitializer: init(6) }),
        tf.layers.dense({ name: 'out', units: 10, activation: 'softmax', kernelInitializer: init(7) }),
      ],
    }),
  // BatchNormalization without scale: tfjs cannot train it as it is.
  'bn-no-scale': () =>
    tf.sequential({
      layers: [
        tf.layers.conv2d({ name: 'conv', inputShape: [28, 28, 1], filters: 8, kernelSize: 5, strides: 2, kernelInitializer: init(8) }),
        tf.layers.batchNormalization({ name: 'bn', scale: false }),
        tf.layers.reLU({ name: 'relu' }),
        tf.layers.globalAveragePooling2d({ name: 'gap' }),
        tf.layers.dense({ name: 'out', units: 10, activation: 'softmax', kernelInitializer: init(9) }),
      ],
    }),
};

beforeAll(async () => {
  await chooseBackend('wasm');
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nnc-held-out-'));
  const digits = loadMnist({ train: 300 }).train;
  for (const [name, build] of Object.entries(models)) {
    const model = build();
    // The channels-first model is trained on the same digits, read as [1, 28, 28] (one
    // channel: the same memory order), and keeps its head (the data's shape differs in form).
    if (name !== 'bn-no-scale') train(model, digits, { epochs: 1, batchSize: 32, learningRate: 0.003, rng: new Rng(1) });
    await saveModel(model, path.join(dir, name));
    fs.writeFileSync(path.join(dir, `${name}.yaml`), `model: ./${name}/model.json
seed: 2
data: { source: mnist, train: 300, test: 200 }
plugins:
  filters: { use: '@nncompress/plugin-filter-pruning', options: { criterion: average-weight${name === 'channels-first' ? ', head: keep' : ''} } }
  tune: { use: '@nncompress/plugin-finetune', options: { epochs: 1 } }
stages:
  - name: narrow
    target: { filterRatio: 0.5 }
`);
  }
});

/** Runs the config; the report, the log, and the saved model loaded by plain tfjs with its test accuracy. */
async function runHeldOut(name: string): Promise<{ report: Report; log: string; accuracy: number }> {
  const out = path.join(dir, `out-${name}`);
  const r = nncompress(['run', path.join(dir, `${name}.yaml`), '--out', out]);
  expect(r.stderr).not.toMatch(/error/i);
  expect(r.code).toBe(0);
  const report = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8')) as Report;
  const json = JSON.parse(fs.readFileSync(path.join(out, 'model', 'model.json'), 'utf8'));
  const bytes = fs.readFileSync(path.join(out, 'model', json.weightsManifest[0].paths[0]));
  const model = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) }));
  const test = loadMnist({ train: 300, test: 200 }).test;
  const { x, y } = test.batch(0, test.size, model.inputs[0].shape.slice(1) as number[]);
  const predicted = Array.from((model.predict(x) as tf.Tensor).argMax(-1).dataSync());
  const labels = Array.from(y.argMax(-1).dataSync());
  return { report, log: r.stderr, accuracy: predicted.filter((p, i) => p === labels[i]).length / labels.length };
}

const layerOf = (report: Report) => (name: string): Report['layers'][number] => report.layers.find((l) => l.name === name)!;

describe('held-out models through inspect and run', () => {
  it('a softmax between layers: its channels are left alone with the reason; the rest is pruned', async () => {
    const inspect = nncompress(['inspect', path.join(dir, 'mixing', 'model.json')]);
    expect(inspect.code).toBe(0);
    expect(inspect.stdout).toContain('note: Activation layer mix is left alone: activation softmax of mix mixes channels (it normalises across them); channels through it are kept');
    const { report, log, accuracy } = await runHeldOut('mixing');
    expect(log).toContain('warning: left alone: Activation layer mix: activation softmax of mix mixes channels');
    expect(report.structure.unsupportedLayers).toEqual([{ layer: 'mix', className: 'Activation', reason: 'activation softmax of mix mixes channels (it normalises across them)' }]);
    expect(report.structure.blockedGroups.map((g) => g.producers[0])).toEqual(['d1', 'out']);
    const layer = layerOf(report);
    expect(layer('d1').paramsAfter).toBe(layer('d1').paramsBefore);
    expect(layer('d2').paramsAfter).toBeLessThan(layer('d2').paramsBefore);
    expect(accuracy).toBeCloseTo(report.final.accuracy!, 6);
  });

  it('channels-first convolutions: left alone with the reason, FLOPs counted per position; the dense part is pruned', async () => {
    const inspect = nncompress(['inspect', path.join(dir, 'channels-first', 'model.json')]);
    expect(inspect.code).toBe(0);
    expect(inspect.stdout).toContain('note: Conv2D layer c1 is left alone: Conv2D layer c1 has data format channelsFirst: nncompress follows channels on the last axis only');
    const { report, log, accuracy } = await runHeldOut('channels-first');
    expect(log).toContain('warning: left alone: Conv2D layer c2: Conv2D layer c2 has data format channelsFirst');
    expect(report.structure.unsupportedLayers.map((u) => u.layer)).toEqual(['c1', 'c2']);
    const layer = layerOf(report);
    // c1: 6 filters of 5·5·1 at 12·12 positions.
    expect(layer('c1').flopsBefore).toBe(2 * 5 * 5 * 6 * 12 * 12);
    expect(layer('c2').paramsAfter).toBe(layer('c2').paramsBefore);
    expect(layer('d').paramsAfter).toBeLessThan(layer('d').paramsBefore);
    expect(accuracy).toBeCloseTo(report.final.accuracy!, 6);
  });

  it('BatchNormalization without scale: rewritten (same function), pruned and fine-tuned into a smaller model', async () => {
    const inspect = nncompress(['inspect', path.join(dir, 'bn-no-scale', 'model.json')]);
    expect(inspect.code).toBe(0);
    expect(inspect.stdout).toMatch(/conv +bn, out +prunable/);
    const { report, log, accuracy } = await runHeldOut('bn-no-scale');
    expect(log).toContain('BatchNormalization bn: scale/center turned on with gamma 1 and beta 0');
    expect(report.final.params).toBeLessThan(report.baseline.params);
    expect(report.stages[0].reached.filterRatio).toBeCloseTo(0.5, 6);
    expect(accuracy).toBeCloseTo(report.final.accuracy!, 6);
  });
});

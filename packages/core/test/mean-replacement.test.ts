import { analyzeChannels, chooseBackend, tf } from '../src';
import { affectedConsumers, consumerInputMeans, removeChannels } from '../src/entries/graph';
import { maxAbsDiff } from './helpers';

const init = (seed: number): ReturnType<typeof tf.initializers.glorotUniform> => tf.initializers.glorotUniform({ seed });

/**
 * a(4, 3×3 same) → relu → b → [BN] → output, where b is a 3×3 valid conv (bias or not), a
 * 1×1 conv, or Flatten→Dense.
 */
function net(consumer: 'conv-bias' | 'conv-bn' | 'conv1x1' | 'dense'): tf.LayersModel {
  const input = tf.input({ shape: [6, 6, 2] });
  const a = tf.layers.conv2d({ name: 'a', filters: 4, kernelSize: 3, padding: 'same', kernelInitializer: init(1), biasInitializer: tf.initializers.randomNormal({ seed: 2 }) }).apply(input);
  const relu = tf.layers.reLU({ name: 'relu' }).apply(a) as tf.SymbolicTensor;
  let out: tf.SymbolicTensor;
  if (consumer === 'dense') {
    const flat = tf.layers.flatten({ name: 'flat' }).apply(relu);
    out = tf.layers.dense({ name: 'b', units: 3, kernelInitializer: init(3), biasInitializer: 'ones' }).apply(flat) as tf.SymbolicTensor;
  } else {
    const b = tf.layers.conv2d({ name: 'b', filters: 3, kernelSize: consumer === 'conv1x1' ? 1 : 3, useBias: consumer !== 'conv-bn', kernelInitializer: init(3) }).apply(relu) as tf.SymbolicTensor;
    out = consumer === 'conv-bn' ? (tf.layers.batchNormalization({ name: 'bn', movingMeanInitializer: tf.initializers.randomNormal({ seed: 4 }) }).apply(b) as tf.SymbolicTensor) : b;
  }
  return tf.model({ inputs: input, outputs: out });
}

/** Makes channel `c` of `a` constant: zero kernel, positive bias, so relu(a)_c = bias everywhere. */
function constantChannel(model: tf.LayersModel, c: number, value: number): void {
  const layer = model.getLayer('a');
  const [kernel, bias] = layer.getWeights();
  const k = kernel.bufferSync();
  for (let i = 0; i < kernel.size; i++) if (k.indexToLoc(i)[3] === c) k.values[i] = 0;
  const b = bias.bufferSync();
  b.set(value, c);
  layer.setWeights([k.toTensor(), b.toTensor()]);
}

async function prune(model: tf.LayersModel, channel: number, x: tf.Tensor, compensate: boolean): Promise<tf.LayersModel> {
  const analysis = analyzeChannels(model);
  const group = analysis.groups.find((g) => g.producers.includes('a'))!;
  const removals = new Map([[group.id, [channel]]]);
  const inputMeans = compensate ? consumerInputMeans(model, analysis, affectedConsumers(analysis, removals), x, 16) : undefined;
  return removeChannels(model, analysis, removals, { inputMeans });
}

beforeAll(async () => {
  await chooseBackend('wasm');
});

describe('mean-replacement when removing channels', () => {
  const x = tf.randomUniform([40, 6, 6, 2], -1, 1, 'float32', 7);

  it.each(['conv-bias', 'conv-bn', 'conv1x1', 'dense'] as const)('removing a constant channel is exact with compensation, not without (%s consumer)', async (consumer) => {
    const model = net(consumer);
    constantChannel(model, 2, 0.8);
    const before = model.predict(x) as tf.Tensor;
    const plain = await prune(model, 2, x, false);
    const compensated = await prune(model, 2, x, true);
    expect(maxAbsDiff(before, plain.predict(x) as tf.Tensor)).toBeGreaterThan(1e-2);
    expect(maxAbsDiff(before, compensated.predict(x) as tf.Tensor)).toBeLessThan(1e-5);
  });

  it('for any channel, a 1×1 consumer keeps its mean output over the calibration data', async () => {
    const model = net('conv1x1');
    const meanOut = (m: tf.LayersModel): tf.Tensor => tf.mean(m.predict(x) as tf.Tensor, [0, 1, 2]);
    for (const channel of [0, 1, 3]) {
      const compensated = await prune(model, channel, x, true);
      expect(maxAbsDiff(meanOut(model), meanOut(compensated))).toBeLessThan(1e-5);
    }
  });

  it('measures the mean of each input entry, per consumer', () => {
    const model = net('dense');
    const analysis = analyzeChannels(model);
    const means = consumerInputMeans(model, analysis, ['b'], x, 7);
    const flat = tf.tidy(() => tf.mean(tf.reshape(tf.relu(model.getLayer('a').apply(x) as tf.Tensor), [40, -1]), 0));
    expect(means.get('b')!.length).toBe(6 * 6 * 4);
    expect(maxAbsDiff(tf.tensor(means.get('b')!), flat)).toBeLessThan(1e-5);
  });
});

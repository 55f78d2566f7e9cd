import { analyzeChannels, chooseBackend, MaskSet, prunableWeights, Rng, tf, WeightTies } from '../src';
import { compactMasked, deadChannels, sliceKernelMasks } from '../src/entries/graph';
import { compactState } from '../src/entries/internal';
import { maxAbsDiff, plainTfjsRoundTrip } from './helpers';

const init = (seed: number): ReturnType<typeof tf.initializers.glorotUniform> => tf.initializers.glorotUniform({ seed });
const bias = (seed: number): ReturnType<typeof tf.initializers.randomNormal> => tf.initializers.randomNormal({ seed, mean: 0.5, stddev: 0.2 });

/** conv1(6, 3×3 valid)-BN-relu-conv2(5, 3×3 `padding`)-relu-flatten-fc(7)-out(3). */
function net(padding: 'valid' | 'same'): tf.LayersModel {
  return tf.sequential({
    layers: [
      tf.layers.conv2d({ name: 'conv1', inputShape: [8, 8, 2], filters: 6, kernelSize: 3, kernelInitializer: init(1), biasInitializer: bias(2) }),
      tf.layers.batchNormalization({ name: 'bn1', betaInitializer: bias(3), movingMeanInitializer: bias(4) }),
      tf.layers.reLU({ name: 'relu1' }),
      tf.layers.conv2d({ name: 'conv2', filters: 5, kernelSize: 3, padding, activation: 'relu', kernelInitializer: init(5), biasInitializer: bias(6) }),
      tf.layers.flatten({ name: 'flat' }),
      tf.layers.dense({ name: 'fc', units: 7, activation: 'relu', kernelInitializer: init(7), biasInitializer: bias(8) }),
      tf.layers.dense({ name: 'out', units: 3, kernelInitializer: init(9) }),
    ],
  });
}

/** All-ones masks for every kernel, keyed by layer name. */
function fullMasks(model: tf.LayersModel): Map<string, Uint8Array> {
  return new Map(['conv1', 'conv2', 'fc', 'out'].map((n) => [n, new Uint8Array(model.getLayer(n).getWeights()[0].size).fill(1)] as const));
}

/** Zeroes mask entries (tfjs kernel layout [..., in, out]) where `where(in, out)` holds. */
function maskWhere(model: tf.LayersModel, masks: Map<string, Uint8Array>, layer: string, where: (input: number, output: number) => boolean): void {
  const shape = model.getLayer(layer).getWeights()[0].shape;
  const [inputs, outputs] = shape.slice(-2);
  const mask = masks.get(layer)!;
  for (let q = 0; q < mask.length; q++) if (where(Math.floor(q / outputs) % inputs, q % outputs)) mask[q] = 0;
}

function applyMasks(model: tf.LayersModel, masks: Map<string, Uint8Array>): void {
  for (const [name, mask] of masks) {
    const layer = model.getLayer(name);
    const [kernel, ...rest] = layer.getWeights();
    const values = kernel.dataSync().map((v, i) => (mask[i] ? v : 0));
    layer.setWeights([tf.tensor(values, kernel.shape), ...rest]);
  }
}

const inputs = (n: number, seed: number): tf.Tensor => {
  const rng = new Rng(seed);
  return tf.tensor(Float32Array.from({ length: n * 8 * 8 * 2 }, () => rng.next() * 2 - 1), [n, 8, 8, 2]);
};

beforeAll(async () => {
  await chooseBackend('wasm');
});

describe('compacting masked channels', () => {
  it('removes unread channels and constant ones (rows masked, bias folded into a valid consumer), with the same outputs', async () => {
    const model = net('valid');
    const masks = fullMasks(model);
    // conv1 channel 4: conv2 reads it nowhere (unread). conv1 channels 1 and 3: their filters are masked (constant).
    maskWhere(model, masks, 'conv2', (i) => i === 4);
    maskWhere(model, masks, 'conv1', (_, o) => o === 1 || o === 3);
    // conv2 channel 2: fc reads it at no position (flattened input p·5 + 2). fc unit 6: masked row, constant into `out`.
    maskWhere(model, masks, 'fc', (i, o) => i % 5 === 2 || o === 6);
    applyMasks(model, masks);
    const analysis = analyzeChannels(model);
    const group = (producer: string): number => analysis.groups.find((g) => g.producers.includes(producer))!.id;

    const withoutData = deadChannels(model, analysis, masks);
    expect(withoutData.removals.get(group('conv1'))).toEqual([4]);
    expect(withoutData.removals.get(group('conv2'))).toEqual([2]);
    expect(withoutData.removals.has(group('fc'))).toBe(false);
    expect([withoutData.unread, withoutData.constant]).toEqual([2, 0]);

    const x = inputs(16, 1);
    const calibration = inputs(32, 2);
    const dead = deadChannels(model, analysis, masks, calibration);
    expect(dead.removals.get(group('conv1'))).toEqual([1, 3, 4]);
    expect(dead.removals.get(group('fc'))).toEqual([6]);
    expect([dead.unread, dead.constant]).toEqual([2, 3]);

    const compact = await compactMasked(model, analysis, masks, calibration);
    expect(compact.model.getLayer('conv1').getWeights()[0].shape).toEqual([3, 3, 2, 3]);
    expect(compact.model.getLayer('conv2').getWeights()[0].shape).toEqual([3, 3, 3, 4]);
    expect(compact.model.getLayer('fc').getWeights()[0].shape).toEqual([4 * 4 * 4, 6]);
    expect(compact.model.getLayer('out').getWeights()[0].shape).toEqual([6, 3]);
    expect(maxAbsDiff(model.predict(x) as tf.Tensor, compact.model.predict(x) as tf.Tensor)).toBeLessThan(1e-4);
    // The masks follow the kernels: same shapes, and every kept entry of the new kernel is a kept entry of the old one.
    for (const name of ['conv1', 'conv2', 'fc', 'out']) {
      const kernel = compact.model.getLayer(name).getWeights()[0];
      const mask = compact.masks.get(name)!;
      expect(mask.length).toBe(kernel.size);
      const values = kernel.dataSync();
      for (let i = 0; i < mask.length; i++) if (!mask[i]) expect(values[i]).toBe(0);
    }
    // fc: 3 of the 4 kept conv2 channels still have every position, one unit fewer; nothing else masked.
    expect(compact.masks.get('fc')!.reduce((s, v) => s + v, 0)).toBe(4 * 4 * 4 * 6);
    const reloaded = await plainTfjsRoundTrip(compact.model);
    expect(maxAbsDiff(model.predict(x) as tf.Tensor, reloaded.predict(x) as tf.Tensor)).toBeLessThan(1e-4);
  });

  it('compactState leaves the model alone when nothing is dead, and swaps in the smaller one with re-keyed masks when something is', async () => {
    const stateOf = (model: tf.LayersModel, masks: Map<string, Uint8Array>) => {
      const set = new MaskSet();
      for (const w of prunableWeights(model)) set.set(w.name, masks.get(w.layerName)!);
      return { model, masks: set, ties: new WeightTies() };
    };
    const whole = net('valid');
    const wholeMasks = fullMasks(whole);
    maskWhere(whole, wholeMasks, 'fc', (i, o) => (i + o) % 3 === 0); // scattered zeros: no channel dead
    applyMasks(whole, wholeMasks);
    const untouched = stateOf(whole, wholeMasks);
    const nothing = await compactState(untouched);
    expect(nothing.removals.size).toBe(0);
    expect(untouched.model).toBe(whole); // the same instance: not rebuilt, not disposed
    expect(whole.getLayer('conv1').getWeights()[0].shape).toEqual([3, 3, 2, 6]);

    const model = net('valid');
    const masks = fullMasks(model);
    maskWhere(model, masks, 'conv2', (i) => i === 4); // conv1 channel 4 unread
    applyMasks(model, masks);
    const x = inputs(8, 4);
    const before = (model.predict(x) as tf.Tensor).dataSync().slice();
    const state = stateOf(model, masks);
    const dead = await compactState(state);
    expect(dead.unread).toBe(1);
    expect(state.model).not.toBe(model);
    expect(state.model.getLayer('conv1').getWeights()[0].shape).toEqual([3, 3, 2, 5]);
    const after = (state.model.predict(x) as tf.Tensor).dataSync();
    expect(Math.max(...Array.from(after, (v, i) => Math.abs(v - before[i])))).toBeLessThan(1e-4);
    for (const w of prunableWeights(state.model)) expect(state.masks.get(w.name)?.length).toBe(w.size);
  });

  it("keeps a constant channel whose consumer is 'same'-padded (the border sees zeros, not the constant)", () => {
    const model = net('same');
    const masks = fullMasks(model);
    maskWhere(model, masks, 'conv1', (_, o) => o === 1);
    applyMasks(model, masks);
    const dead = deadChannels(model, analyzeChannels(model), masks, inputs(8, 3));
    expect(dead.removals.size).toBe(0);
    expect(dead.constant).toBe(0);
  });

  it('keeps one channel of a group whose every channel is unread', () => {
    const model = net('valid');
    const masks = fullMasks(model);
    maskWhere(model, masks, 'conv2', () => true);
    applyMasks(model, masks);
    const analysis = analyzeChannels(model);
    const dead = deadChannels(model, analysis, masks);
    const conv1 = analysis.groups.find((g) => g.producers.includes('conv1'))!.id;
    expect(dead.removals.get(conv1)).toEqual([1, 2, 3, 4, 5]);
  });

  it('slices masks exactly like removeChannels slices kernels', () => {
    const model = net('valid');
    const analysis = analyzeChannels(model);
    const rng = new Rng(4);
    const masks = new Map([...fullMasks(model)].map(([n, m]) => [n, m.map(() => (rng.next() < 0.5 ? 1 : 0))] as const));
    const conv1 = analysis.groups.find((g) => g.producers.includes('conv1'))!.id;
    const sliced = sliceKernelMasks(analysis, new Map([[conv1, [0, 5]]]), masks);
    const before = masks.get('conv2')!;
    const after = sliced.get('conv2')!;
    // conv2 kernel [3,3,6,5] → [3,3,4,5]: input rows 1..4 of every tap.
    expect(after.length).toBe(3 * 3 * 4 * 5);
    for (let t = 0; t < 9; t++) for (let i = 0; i < 4; i++) for (let o = 0; o < 5; o++) expect(after[(t * 4 + i) * 5 + o]).toBe(before[(t * 6 + i + 1) * 5 + o]);
    expect(sliced.get('fc')).toBe(masks.get('fc'));
  });
});

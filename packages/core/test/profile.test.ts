import { chooseBackend, MaskSet, prunableWeights, tf } from '../src';
import { ArrayDataset } from '../src/entries/data';
import { profileTraining, train } from '../src/entries/training';
import { Rng } from '../src';

/** A two-layer perceptron on random data: hand-countable kernels. */
function mlp(): { model: tf.LayersModel; data: ArrayDataset } {
  const model = tf.sequential({ layers: [tf.layers.dense({ units: 8, inputShape: [6], activation: 'relu', name: 'h' }), tf.layers.dense({ units: 3, activation: 'softmax', name: 'out' })] });
  const rng = new Rng(3);
  const features = Float32Array.from({ length: 40 * 6 }, () => rng.next() * 2 - 1);
  const labels = Int32Array.from({ length: 40 }, (_, i) => i % 3);
  return { model, data: new ArrayDataset('random', features, labels, [6], 3) };
}

describe('profileTraining', () => {
  beforeAll(async () => {
    await chooseBackend('wasm');
  });

  it('attributes each kernel of a training step to its phase: two matmuls forward, three backward (no input gradient for the first layer)', async () => {
    const { model, data } = mlp();
    const profile = await profileTraining(model, data, { batchSize: 10, steps: 3, warmup: 1 });
    const calls = (phase: string, name: RegExp): number => profile.kernels.filter((k) => k.phase === phase && name.test(k.kernel)).reduce((n, k) => n + k.calls, 0);
    expect(calls('forward', /MatMul/)).toBe(2);
    expect(calls('backward', /MatMul/)).toBe(3);
    expect(calls('optimizer', /./)).toBeGreaterThan(0);
    // Without masks, nothing runs in the mask phases.
    expect(calls('mask gradients', /./) + calls('mask weights', /./)).toBe(0);
    for (const p of profile.phases) expect(p.ms).toBeGreaterThanOrEqual(p.phase === 'other' ? -Infinity : 0);
    expect(profile.examplesPerSecond).toBeCloseTo((1000 * 10) / profile.stepMs, 6);
    expect(profile.forwardFlopsPerExample).toBe(2 * (6 * 8 + 8 * 3));
    expect(profile.kernels.find((k) => k.phase === 'forward' && /MatMul/.test(k.kernel))!.slowestInputs).toMatch(/^\[10,6\] \[6,8\]|^\[10,8\] \[8,3\]/);
    // The engine's profiling is off again: a later tf.profile starts clean.
    const after = await tf.profile(() => tf.tidy(() => tf.add(tf.scalar(1), tf.scalar(2))));
    expect(after.kernels.map((k) => k.name)).toEqual(['Add']);
    model.dispose();
  });

  it('profiles the masked step train runs: one mask per masked weight in each mask phase, and the same weights as train', async () => {
    const profiled = mlp();
    const trained = mlp();
    trained.model.setWeights(profiled.model.getWeights());
    const masks = (model: tf.LayersModel): MaskSet => {
      const set = new MaskSet();
      for (const w of prunableWeights(model)) set.set(w.name, Uint8Array.from({ length: w.size }, (_, i) => i % 2));
      return set;
    };
    const profile = await profileTraining(profiled.model, profiled.data, { batchSize: 40, steps: 2, warmup: 1, masks: masks(profiled.model) });
    // A mask is applied as where(keep, value, 0): one Select per masked weight.
    const calls = (phase: string): number => profile.kernels.filter((k) => k.phase === phase && k.kernel === 'Select').reduce((n, k) => n + k.calls, 0);
    expect(calls('mask gradients')).toBe(2);
    expect(calls('mask weights')).toBe(2);
    // 1 warm-up + 2 timed + 2 profiled steps on the one full batch: five steps of train.
    train(trained.model, trained.data, { epochs: 5, batchSize: 40, learningRate: 1e-4, rng: new Rng(1), masks: masks(trained.model) });
    const a = profiled.model.getWeights().map((t) => Array.from(t.dataSync()));
    const b = trained.model.getWeights().map((t) => Array.from(t.dataSync()));
    expect(a).toEqual(b);
    profiled.model.dispose();
    trained.model.dispose();
  });
});

import { chooseBackend, modelStats, prunableWeights, pruneCount, Rng, tf, train, evaluate } from '@nncompress/core';
import { loadMnist } from '@nncompress/core/data';
import { magnitudePrune, scoreWeights } from '../src';

function mlp(seed: number): tf.LayersModel {
  const rng = new Rng(seed);
  const init = (): ReturnType<typeof tf.initializers.glorotUniform> => tf.initializers.glorotUniform({ seed: rng.childSeed() });
  return tf.sequential({
    layers: [
      tf.layers.flatten({ inputShape: [28, 28, 1] }),
      tf.layers.dense({ units: 48, activation: 'relu', kernelInitializer: init(), name: 'h' }),
      tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: init(), name: 'o' }),
    ],
  });
}

describe('magnitudePrune on a model trained on MNIST', () => {
  const data = loadMnist({ train: 800, test: 400 });
  let model: tf.LayersModel;

  beforeAll(async () => {
    await chooseBackend('wasm');
    model = mlp(2);
    train(model, data.train, { epochs: 3, batchSize: 32, learningRate: 0.003, rng: new Rng(2) });
  });

  it('reaches the sparsity exactly, zeroes the smallest weights, and spares excluded layers', () => {
    const copy = mlp(2);
    copy.setWeights(model.getWeights());
    const before = new Map(prunableWeights(copy).map((w) => [w.name, w.variable.read().dataSync().slice()] as const));
    const masks = magnitudePrune(copy, { sparsity: 0.6, scope: 'layer', exclude: ['o'] });
    const stats = modelStats(copy);
    const total = prunableWeights(copy).reduce((n, w) => n + w.size, 0);
    expect(stats.sparsity).toBeCloseTo(pruneCount(0.6, total) / total, 6);
    const out = prunableWeights(copy).find((w) => w.layerName === 'o')!;
    expect(Array.from(out.variable.read().dataSync())).toEqual(Array.from(before.get(out.name)!));
    const hidden = prunableWeights(copy).find((w) => w.layerName === 'h')!;
    const orig = before.get(hidden.name)!;
    const mask = masks.get(hidden.name)!;
    let maxPruned = 0;
    let minKept = Infinity;
    mask.forEach((m, i) => (m ? (minKept = Math.min(minKept, Math.abs(orig[i]))) : (maxPruned = Math.max(maxPruned, Math.abs(orig[i])))));
    expect(maxPruned).toBeLessThanOrEqual(minKept);
  });

  it('Taylor scores are |w·g|: zero where the weight is zero, and not proportional to |w|', () => {
    const scores = scoreWeights(model, 'taylor', { data: data.train, batches: 4, batchSize: 64, rng: new Rng(0) });
    const magnitude = scoreWeights(model, 'magnitude');
    const name = prunableWeights(model)[0].name;
    const t = scores.get(name)!;
    const m = magnitude.get(name)!;
    expect(t.length).toBe(m.length);
    let ratioMin = Infinity;
    let ratioMax = 0;
    t.forEach((v, i) => {
      expect(v).toBeGreaterThanOrEqual(0);
      if (m[i] === 0) expect(v).toBe(0);
      else if (v > 0) {
        ratioMin = Math.min(ratioMin, v / m[i]);
        ratioMax = Math.max(ratioMax, v / m[i]);
      }
    });
    expect(ratioMax / ratioMin).toBeGreaterThan(10);
    expect(() => scoreWeights(model, 'taylor')).toThrow(/needs training data/);
  });

  it('one-shot 50% magnitude pruning costs less accuracy than pruning the largest weights', () => {
    const base = evaluate(model, data.test).accuracy;
    const small = mlp(2);
    small.setWeights(model.getWeights());
    magnitudePrune(small, { sparsity: 0.5 });
    const large = mlp(2);
    large.setWeights(model.getWeights());
    // Inverted criterion: prune the largest half instead.
    for (const w of prunableWeights(large)) {
      const v = w.variable.read().dataSync() as Float32Array;
      const sorted = Float32Array.from(v, Math.abs).sort();
      const threshold = sorted[Math.floor(sorted.length / 2)];
      w.variable.write(tf.tensor(v.map((x) => (Math.abs(x) >= threshold ? 0 : x)), w.shape as number[]));
    }
    const accSmall = evaluate(small, data.test).accuracy;
    const accLarge = evaluate(large, data.test).accuracy;
    expect(accSmall).toBeGreaterThan(base! - 0.05);
    expect(accSmall).toBeGreaterThan(accLarge! + 0.2);
  });
});

import { chooseBackend, MaskSet, PINNED_ZERO, Rng, tf, train, WeightTies } from '../src';
import { nearestFloat16, projectToMeans, tiedGradient } from '../src/entries/model';
import { loadMnist } from '../src/datasets/mnist';

function mlp(): tf.LayersModel {
  const rng = new Rng(3);
  const init = (): ReturnType<typeof tf.initializers.glorotUniform> => tf.initializers.glorotUniform({ seed: rng.childSeed() });
  return tf.sequential({
    layers: [tf.layers.flatten({ inputShape: [28, 28, 1] }), tf.layers.dense({ units: 24, activation: 'relu', kernelInitializer: init() }), tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: init() })],
  });
}

/** Ties every entry of `name` to one of `count` clusters by index, every `pinEvery`-th to zero. */
function tieAll(model: tf.LayersModel, name: string, count: number, pinEvery: number): Int32Array {
  const w = model.weights.find((v) => v.name === name)!;
  const size = w.shape.reduce<number>((n, d) => n * (d ?? 0), 1);
  return Int32Array.from({ length: size }, (_, i) => (i % pinEvery === 0 ? PINNED_ZERO : i % count));
}

describe('weight ties', () => {
  beforeAll(async () => {
    await chooseBackend('wasm');
  });

  it('sums gradients per cluster and projects to means (hand-checked)', () => {
    const tie = { clusters: Int32Array.of(0, 1, 0, PINNED_ZERO, 1), count: 2 };
    expect([...tiedGradient(Float32Array.of(1, 2, 3, 4, 5), tie)]).toEqual([4, 7, 4, 0, 7]);
    expect([...projectToMeans(Float32Array.of(1, 2, 3, 4, 6), tie)]).toEqual([2, 4, 2, 0, 4]);
  });

  it('training keeps every cluster one value to the bit and pinned entries +0, while the clusters move and the loss falls', () => {
    const model = mlp();
    const data = loadMnist({ train: 500, test: 100 });
    const name = model.layers[1].weights[0].name;
    const ties = new WeightTies();
    const clusters = tieAll(model, name, 8, 5);
    ties.set(name, clusters, 8);
    const before = model.layers[1].weights[0].read().dataSync().slice();
    const result = train(model, data.train, { epochs: 3, batchSize: 32, learningRate: 0.01, rng: new Rng(1), ties });
    expect(result.epochs[2].loss).toBeLessThan(result.epochs[0].loss);
    const after = model.layers[1].weights[0].read().dataSync() as Float32Array;
    const valueOf = new Map<number, number>();
    after.forEach((v, i) => {
      const c = clusters[i];
      if (c === PINNED_ZERO) return expect(Object.is(v, 0)).toBe(true);
      if (!valueOf.has(c)) valueOf.set(c, v);
      expect(v).toBe(valueOf.get(c));
    });
    // The clusters trained: their values are not the starting means.
    const start = projectToMeans(before as Float32Array, { clusters, count: 8 });
    expect([...valueOf.entries()].some(([c, v]) => v !== start[clusters.indexOf(c)])).toBe(true);
    model.dispose();
  });

  it('keeps a float16 tie\'s clusters on float16\'s grid while training (hand-checked rounding; beyond its range a value stays exact)', () => {
    // 0.1 is not a float16: its nearest is 0.0999755859375 (1638 / 16384).
    expect(nearestFloat16(0.1)).toBe(1638 / 16384);
    expect(nearestFloat16(1e6)).toBe(1e6);
    expect([...projectToMeans(Float32Array.of(0.05, 0.15, 2), { clusters: Int32Array.of(0, 0, PINNED_ZERO), count: 1, float16: true })]).toEqual([1638 / 16384, 1638 / 16384, 0]);
    const model = mlp();
    const data = loadMnist({ train: 300, test: 10 });
    const name = model.layers[1].weights[0].name;
    const ties = new WeightTies();
    ties.set(name, tieAll(model, name, 8, 5), 8, { float16: true });
    train(model, data.train, { epochs: 1, batchSize: 32, learningRate: 0.01, rng: new Rng(1), ties });
    const after = model.layers[1].weights[0].read().dataSync() as Float32Array;
    expect(new Set(after).size).toBeGreaterThan(2);
    for (const v of after) expect(nearestFloat16(v)).toBe(v);
    model.dispose();
  });

  it('refuses ties that no longer fit the model, and a weight pruned after it was shared, naming the weight', () => {
    const model = mlp();
    const data = loadMnist({ train: 64, test: 10 });
    const name = model.layers[1].weights[0].name;
    const wrong = new WeightTies();
    wrong.set(name, new Int32Array(10), 1);
    expect(() => train(model, data.train, { epochs: 1, batchSize: 32, learningRate: 0.01, rng: new Rng(1), ties: wrong })).toThrow(`weight ties of "${name}" cover 10 entries, and the model has 18816: share weights after the last structural change`);
    const ties = new WeightTies();
    const clusters = tieAll(model, name, 4, 1000);
    ties.set(name, clusters, 4);
    const masks = new MaskSet();
    const mask = new Uint8Array(clusters.length).fill(1);
    mask[3] = 0;
    masks.set(name, mask);
    expect(() => train(model, data.train, { epochs: 1, batchSize: 32, learningRate: 0.01, rng: new Rng(1), ties, masks })).toThrow(`weight "${name}" was pruned after its weights were shared (entry 3): share weights after the last pruning stage`);
    expect(() => ties.set(name, Int32Array.of(0, 5), 4)).toThrow(/entry 1 is in cluster 5, outside 0..3/);
    model.dispose();
  });
});

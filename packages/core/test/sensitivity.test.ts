import fc from 'fast-check';
import { chooseBackend, evaluate, prunableWeights, pruneCount, Rng, train } from '../src';
import { LayerSensitivity, layerSensitivity, sensitivityMap } from '../src/entries/training';
import { loadMnist } from '../src/entries/data';
import { smallMlp } from './helpers';

describe('layerSensitivity', () => {
  beforeAll(async () => {
    await chooseBackend('wasm');
  });

  it('measures the unpruned model first, loses accuracy when a layer is pruned hard, and restores the kernel bit for bit', () => {
    const data = loadMnist({ train: 1000, test: 300 });
    const model = smallMlp(4, 32);
    train(model, data.train, { epochs: 2, batchSize: 32, learningRate: 0.003, rng: new Rng(1) });
    const before = prunableWeights(model).map((w) => Buffer.from((w.variable.read().dataSync() as Float32Array).slice().buffer));
    const curve = layerSensitivity(model, 'hidden', [0.5, 0.99], data.test);
    expect(curve.points.map((p) => p.sparsity)).toEqual([0, 0.5, 0.99]);
    expect(curve.points[0].accuracy).toBe(evaluate(model, data.test).accuracy);
    expect(curve.points[0].accuracy).toBeGreaterThan(0.6);
    expect(curve.points[2].accuracy).toBeLessThan(curve.points[0].accuracy! - 0.1);
    expect(curve.points.map((p) => p.score)).toEqual(curve.points.map((p) => p.accuracy));
    expect(curve.size).toBe(784 * 32);
    prunableWeights(model).forEach((w, i) => expect(Buffer.from((w.variable.read().dataSync() as Float32Array).slice().buffer).equals(before[i])).toBe(true));
    expect(() => layerSensitivity(model, 'flat', [0.5], data.test)).toThrow('layer "flat" has no prunable kernel (known: hidden, out)');
    expect(() => layerSensitivity(model, 'hidden', [1], data.test)).toThrow('sparsities must be in [0, 1), got 1');
  });
});

const curve = (layer: string, size: number, accuracies: number[], sparsities = [0, 0.5, 0.9]): LayerSensitivity => ({
  layer,
  size,
  points: sparsities.map((sparsity, i) => ({ sparsity, metric: accuracies[i], score: accuracies[i], accuracy: accuracies[i], loss: 0 })),
});

describe('sensitivityMap', () => {
  it('prunes the insensitive layer first, and reaches the target exactly', () => {
    // a: 100 weights, accuracy falls fast; b: 900 weights, barely moves.
    const map = sensitivityMap([curve('a', 100, [0.9, 0.6, 0.1]), curve('b', 900, [0.9, 0.89, 0.85])], 0.5, 1000);
    expect(map.layerSparsity.a).toBe(0);
    expect(pruneCount(map.layerSparsity.b, 900)).toBe(500);
    expect(map.sparsity).toBe(0.5);
  });

  it('counts unlisted weights as kept, reads curves as monotone, and names an unreachable target', () => {
    // A curve that "improves" at 0.9 is read as no better than at 0.5.
    const map = sensitivityMap([curve('a', 100, [0.9, 0.5, 0.9]), curve('b', 100, [0.9, 0.85, 0.8])], 0.4, 250);
    expect(pruneCount(map.layerSparsity.a, 100) + pruneCount(map.layerSparsity.b, 100)).toBe(100);
    expect(map.layerSparsity.b).toBeGreaterThan(map.layerSparsity.a);
    expect(() => sensitivityMap([curve('a', 100, [0.9, 0.8, 0.7])], 0.95, 100)).toThrow(/^target sparsity 0.95 is out of reach: every layer is at its highest measured sparsity/);
  });

  it('on any curves: reaches the target, by less than one weight too many per layer, within the measured range', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ size: fc.integer({ min: 1, max: 5000 }), accs: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 3, maxLength: 3 }) }), { minLength: 1, maxLength: 5 }),
        fc.double({ min: 0, max: 0.85, noNaN: true }),
        (layers, target) => {
          const curves = layers.map((l, i) => curve(`l${i}`, l.size, l.accs));
          const total = layers.reduce((n, l) => n + l.size, 0);
          const map = sensitivityMap(curves, target, total);
          const pruned = curves.reduce((n, c) => n + pruneCount(map.layerSparsity[c.layer], c.size), 0);
          expect(pruned).toBeGreaterThanOrEqual(pruneCount(target, total));
          expect(pruned - pruneCount(target, total)).toBeLessThanOrEqual(layers.length);
          for (const c of curves) expect(map.layerSparsity[c.layer]).toBeLessThanOrEqual(0.9);
        },
      ),
      { numRuns: 200 },
    );
  });
});

import fc from 'fast-check';
import { ArrayDataset, evaluate, MaskSet, prunableWeights, pruneCount, Rng, tf, train, chooseBackend } from '../src';
import { loadMnist, loadMnistRgb } from '../src/entries/data';
import { roundTargets } from '../src/entries/internal';
import { toConfigPath } from '../src/config/validate';

beforeAll(async () => {
  await chooseBackend('wasm');
});

describe('Rng', () => {
  it('gives the same sequence for the same seed and a different one for another seed', () => {
    const a = Array.from({ length: 8 }, ((r) => () => r.nextUint32())(new Rng(5)));
    const b = Array.from({ length: 8 }, ((r) => () => r.nextUint32())(new Rng(5)));
    const c = Array.from({ length: 8 }, ((r) => () => r.nextUint32())(new Rng(6)));
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });

  it('shuffle returns a permutation and next() stays in [0, 1)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.integer({ min: 0, max: 200 }), (seed, n) => {
        const rng = new Rng(seed);
        const items = Array.from({ length: n }, (_, i) => i);
        const shuffled = rng.shuffle(items.slice());
        expect(shuffled.slice().sort((x, y) => x - y)).toEqual(items);
        const v = rng.next();
        expect(v).toBeGreaterThanOrEqual(0);
        expect(v).toBeLessThan(1);
      }),
    );
  });
});

describe('roundTargets', () => {
  it('one-shot is a single round at the target', () => {
    expect(roundTargets(0.9, { kind: 'one-shot' })).toEqual([0.9]);
  });

  it('iterative takes equal steps', () => {
    const t = roundTargets(0.8, { kind: 'iterative', rounds: 4 });
    expect(t.map((x) => +x.toFixed(10))).toEqual([0.2, 0.4, 0.6, 0.8]);
  });

  it('gradual follows s_f + (s_i - s_f)(1 - k/n)^3 (hand-checked for n = 2)', () => {
    // k=1: 0.9 + (0.5-0.9)*(1/2)^3 = 0.9 - 0.05 = 0.85; k=2: 0.9
    const t = roundTargets(0.9, { kind: 'gradual', rounds: 2, initial: 0.5 });
    expect(t[0]).toBeCloseTo(0.85, 12);
    expect(t[1]).toBeCloseTo(0.9, 12);
  });

  it('gradual targets increase and end at the target', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 0.99, noNaN: true }), fc.integer({ min: 1, max: 50 }), (target, rounds) => {
        const t = roundTargets(target, { kind: 'gradual', rounds });
        for (let i = 1; i < t.length; i++) expect(t[i]).toBeGreaterThanOrEqual(t[i - 1]);
        expect(t[t.length - 1]).toBeCloseTo(target, 12);
      }),
    );
  });
});

describe('pruneCount', () => {
  it('is the least count reaching the ratio', () => {
    expect(pruneCount(0.92, 430500)).toBe(396060); // 0.92·430500 is 396060.00000000006 in floats
    expect(pruneCount(0.5, 3)).toBe(2);
    fc.assert(
      fc.property(fc.double({ min: 0, max: 0.999, noNaN: true }), fc.integer({ min: 1, max: 10 ** 7 }), (s, n) => {
        const k = pruneCount(s, n);
        expect(k / n).toBeGreaterThanOrEqual(s - 1e-9);
        expect((k - 1) / n).toBeLessThan(s);
      }),
    );
  });

});

describe('toConfigPath', () => {
  it('turns JSON pointers into config paths', () => {
    expect(toConfigPath('', '/stages/1/target/sparsity')).toBe('stages[1].target.sparsity');
    expect(toConfigPath('plugins.prune.options', '/scope')).toBe('plugins.prune.options.scope');
    expect(toConfigPath('', '')).toBe('(root)');
  });
});

describe('mnist source', () => {
  it('splits the package digits into fixed train and test pools with every class present', () => {
    const { train, test } = loadMnist();
    expect(train.size).toBeGreaterThan(7900);
    expect(test.size).toBeGreaterThan(1900);
    expect(train.size + test.size).toBeGreaterThanOrEqual(10000);
    const classes = new Set(test.labels);
    expect(classes.size).toBe(10);
    for (const v of test.features.subarray(0, 784 * 5)) {
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThanOrEqual(1);
    }
    // Limits take a prefix of the fixed order: the same digits every time.
    const again = loadMnist({ test: 100 });
    expect(Array.from(again.test.labels)).toEqual(Array.from(test.labels.subarray(0, 100)));
  });
});

describe('mnist-rgb source', () => {
  it('resizes the same digits to RGB at the chosen size, grey in all three channels', () => {
    const grey = loadMnist({ train: 3, test: 2 });
    const rgb = loadMnistRgb({ train: 3, test: 2, size: 32 });
    expect(rgb.train.featureShape).toEqual([32, 32, 3]);
    expect(Array.from(rgb.train.labels)).toEqual(Array.from(grey.train.labels));
    const img = rgb.train.features.subarray(0, 32 * 32 * 3);
    let ink = 0;
    for (let p = 0; p < 32 * 32; p++) {
      expect(img[3 * p]).toBe(img[3 * p + 1]);
      expect(img[3 * p]).toBe(img[3 * p + 2]);
      expect(img[3 * p]).toBeGreaterThanOrEqual(0);
      expect(img[3 * p]).toBeLessThanOrEqual(1);
      ink += img[3 * p];
    }
    // Resizing keeps the mean intensity close to the 28×28 original's.
    const mean = Array.from(grey.train.features.subarray(0, 784)).reduce((a, b) => a + b, 0) / 784;
    expect(ink / 1024).toBeCloseTo(mean, 1);
    expect(() => loadMnistRgb({ size: 4 })).toThrow(/size must be an integer from 8 to 512, got 4/);
  });
});

describe('ArrayDataset', () => {
  it('batches cover every example once with one-hot labels', () => {
    const ds = new ArrayDataset('t', Float32Array.from({ length: 10 * 2 }, (_, i) => i), Uint8Array.from([0, 1, 2, 0, 1, 2, 0, 1, 2, 0]), [2], 3);
    let seen = 0;
    const firsts: number[] = [];
    for (const b of ds.batches(4, [2], new Rng(1))) {
      seen += b.size;
      const x = b.x.arraySync() as number[][];
      const y = b.y.arraySync() as number[][];
      x.forEach((row, i) => {
        firsts.push(row[0]);
        expect(y[i].reduce((s, v) => s + v, 0)).toBe(1);
        expect(y[i][ds.labels[row[0] / 2]]).toBe(1);
      });
      tf.dispose([b.x, b.y]);
    }
    expect(seen).toBe(10);
    expect(firsts.sort((a, b) => a - b)).toEqual([0, 2, 4, 6, 8, 10, 12, 14, 16, 18]);
  });
});

describe('MaskSet', () => {
  it('writes exact zeros where the mask is 0 and leaves other weights alone', () => {
    const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [3], units: 2, name: 'd' })] });
    const kernel = model.weights.find((w) => w.name.endsWith('kernel'))!;
    kernel.write(tf.tensor2d([-1, 2, -3, 4, -5, 6], [3, 2]));
    const masks = new MaskSet();
    masks.set(kernel.name, Uint8Array.from([1, 0, 0, 1, 1, 0]));
    masks.apply(model);
    // +0, not -0, where a negative weight was pruned (toEqual tells them apart).
    expect(Array.from(kernel.read().dataSync())).toEqual([-1, 0, 0, 4, -5, 0]);
    expect(masks.prunedFraction()).toBeCloseTo(0.5, 12);
    masks.dispose();
  });
});

describe('train', () => {
  it('leaves no tensors behind (conv model, masks, wasm kernel in the loop)', () => {
    const rng = new Rng(3);
    const model = tf.sequential({
      layers: [
        tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 4, kernelSize: 5, strides: 2, kernelInitializer: tf.initializers.glorotUniform({ seed: rng.childSeed() }) }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: rng.childSeed() }) }),
      ],
    });
    const data = loadMnist({ train: 128 }).train;
    const masks = new MaskSet();
    for (const w of prunableWeights(model)) masks.set(w.name, Uint8Array.from({ length: w.size }, (_, i) => i % 2));
    masks.apply(model); // caches the mask tensors
    const before = tf.memory().numTensors;
    train(model, data, { epochs: 2, batchSize: 32, learningRate: 0.001, rng, masks });
    expect(tf.memory().numTensors).toBe(before);
    masks.dispose();
  });
});

describe('train with early stopping', () => {
  it('stops once validation accuracy stops improving and keeps the best weights', () => {
    const rng = new Rng(8);
    const model = tf.sequential({
      layers: [
        tf.layers.flatten({ inputShape: [28, 28, 1] }),
        tf.layers.dense({ units: 32, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: rng.childSeed() }) }),
        tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: rng.childSeed() }) }),
      ],
    });
    // Validating on the training digits: accuracy saturates, so improvement must stop.
    const data = loadMnist({ train: 64 }).train;
    const seen: number[] = [];
    const result = train(model, data, {
      epochs: 60,
      batchSize: 16,
      learningRate: 0.01,
      rng,
      validation: data,
      earlyStopping: { patience: 2 },
      onEpoch: (_, r) => seen.push(r.validation!.accuracy!),
    });
    expect(result.stoppedEarly).toBe(true);
    expect(result.epochs.length).toBeLessThan(60);
    const best = Math.max(...seen);
    const bestEpoch = seen.indexOf(best);
    // Stopped `patience` epochs after the best one, and the restored weights score the best.
    expect(result.epochs.length).toBe(bestEpoch + 1 + 2);
    expect(evaluate(model, data).accuracy).toBe(best);
  });
});

describe('train with batchNorm freeze', () => {
  it('keeps BatchNorm moving statistics while gamma and beta still train; update mode changes them', () => {
    const build = (): tf.LayersModel =>
      tf.sequential({
        layers: [
          tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 4, kernelSize: 3, kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }),
          tf.layers.batchNormalization({ name: 'bn' }),
          tf.layers.flatten(),
          tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
        ],
      });
    const data = loadMnist({ train: 64 }).train;
    const bnWeights = (m: tf.LayersModel): number[][] => m.getLayer('bn').getWeights().map((w) => Array.from(w.dataSync()));
    const frozen = build();
    const [gamma0, beta0, mean0, var0] = bnWeights(frozen);
    train(frozen, data, { epochs: 1, batchSize: 16, learningRate: 0.01, rng: new Rng(1), batchNorm: 'freeze' });
    const [gamma1, beta1, mean1, var1] = bnWeights(frozen);
    expect(mean1).toEqual(mean0);
    expect(var1).toEqual(var0);
    expect(gamma1).not.toEqual(gamma0);
    expect(beta1).not.toEqual(beta0);
    const updated = build();
    train(updated, data, { epochs: 1, batchSize: 16, learningRate: 0.01, rng: new Rng(1) });
    expect(bnWeights(updated)[2]).not.toEqual(mean0);
  });
});

import fc from 'fast-check';
import { chooseBackend, modelStats, tf } from '../src';
import { findRemovableUnits, linearCka, removeUnits } from '../src/entries/graph';
import { solveRidge } from '../src/graph/layer-surgery';
import { maxAbsDiff, plainTfjsRoundTrip } from './helpers';

const init = (seed: number): ReturnType<typeof tf.initializers.glorotUniform> => tf.initializers.glorotUniform({ seed });


/**
 * stem(8)-BN-relu; residual branch conv b(8)-relu added to it; widen(4, linear 1×1, no bias)
 * → flatten → head(3). Units: the residual block, b's block (shape-preserving), widen's block
 * (4 channels from 8, repaired at head through the flatten).
 */
function residualNet(): tf.LayersModel {
  const input = tf.input({ shape: [6, 6, 3], name: 'image' });
  let x = tf.layers.conv2d({ name: 'stem', filters: 8, kernelSize: 3, padding: 'same', kernelInitializer: init(1) }).apply(input) as tf.SymbolicTensor;
  x = tf.layers.batchNormalization({ name: 'stem_bn' }).apply(x) as tf.SymbolicTensor;
  const skip = tf.layers.reLU({ name: 'stem_relu' }).apply(x) as tf.SymbolicTensor;
  let branch = tf.layers.conv2d({ name: 'b', filters: 8, kernelSize: 3, padding: 'same', kernelInitializer: init(2) }).apply(skip) as tf.SymbolicTensor;
  branch = tf.layers.reLU({ name: 'b_relu' }).apply(branch) as tf.SymbolicTensor;
  const sum = tf.layers.add({ name: 'add' }).apply([skip, branch]) as tf.SymbolicTensor;
  const widen = tf.layers.conv2d({ name: 'widen', filters: 4, kernelSize: 1, useBias: false, kernelInitializer: init(3) }).apply(sum) as tf.SymbolicTensor;
  const flat = tf.layers.flatten({ name: 'flatten' }).apply(widen) as tf.SymbolicTensor;
  const out = tf.layers.dense({ name: 'head', units: 3, activation: 'softmax', kernelInitializer: init(4) }).apply(flat) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

/** A Sequential chain: linear 1×1 conv `mix` (no bias) → 3×3 conv `spread` → pool → dense head. */
function chain(): tf.LayersModel {
  return tf.sequential({
    layers: [
      tf.layers.conv2d({ name: 'mix', inputShape: [8, 8, 2], filters: 5, kernelSize: 1, useBias: false, kernelInitializer: init(5) }),
      tf.layers.conv2d({ name: 'spread', filters: 6, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: init(6), biasInitializer: tf.initializers.randomNormal({ seed: 7 }) }),
      tf.layers.maxPooling2d({ name: 'pool', poolSize: 2 }),
      tf.layers.flatten({ name: 'flatten' }),
      tf.layers.dense({ name: 'head', units: 4, kernelInitializer: init(8) }),
    ],
  });
}

beforeAll(async () => {
  await chooseBackend('wasm');
});

describe('removable layer units', () => {
  it('finds residual blocks, shape-preserving blocks and repairable blocks, and nothing else', () => {
    const model = residualNet();
    const units = findRemovableUnits(model);
    const byId = new Map(units.map((u) => [u.id, u]));
    expect([...byId.keys()].sort()).toEqual(['add', 'b', 'widen']);
    expect(byId.get('add')).toMatchObject({ kind: 'residual', layers: ['b', 'b_relu', 'add'], input: 'stem_relu', output: 'add', shapePreserving: true });
    expect(byId.get('b')).toMatchObject({ kind: 'block', layers: ['b', 'b_relu'], input: 'stem_relu', shapePreserving: true });
    // widen: 8 → 4 channels, so the head is refitted through the flatten; the head grows by
    // 6·6·(8 − 4)·3 weights, more than widen's 32 — dropping it would not save parameters.
    expect(byId.get('widen')).toMatchObject({ kind: 'block', shapePreserving: false, repairLayer: 'head', params: 32, paramsSaved: 32 - 6 * 6 * 4 * 3 });
    // stem feeds both the branch and the Add (no single consumer to repair): not listed.
    // head is the model output: not listed.
    model.dispose();
  });

  it('bypassing a residual block whose branch outputs zero leaves the outputs unchanged', async () => {
    const model = residualNet();
    const [kernel, bias] = model.getLayer('b').getWeights();
    model.getLayer('b').setWeights([tf.zerosLike(kernel), tf.fill(bias.shape, -1)]); // relu(−1) = 0
    const x = tf.randomUniform([4, 6, 6, 3], 0, 1, 'float32', 11);
    const smaller = await removeUnits(model, ['add'], { repair: 'never' });
    expect(smaller.layers.map((l) => l.name)).not.toContain('add');
    expect(maxAbsDiff(model.predict(x) as tf.Tensor, smaller.predict(x) as tf.Tensor)).toBeLessThanOrEqual(1e-5);
    expect(modelStats(smaller).params).toBe(modelStats(model).params - 8 * 8 * 9 - 8);
    // The input model is untouched and still runs.
    expect(model.getLayer('add')).toBeDefined();
    expect((model.predict(x) as tf.Tensor).shape).toEqual([4, 3]);
  });

  it('repairs exactly when the removed layer is linear: mix∘spread is one 3×3 convolution', async () => {
    const model = chain();
    const calibration = tf.randomNormal([40, 8, 8, 2], 0, 1, 'float32', 12);
    const fresh = tf.randomNormal([10, 8, 8, 2], 0, 1, 'float32', 13);
    const [unit] = findRemovableUnits(model).filter((u) => u.id === 'mix');
    expect(unit).toMatchObject({ shapePreserving: false, repairLayer: 'spread', input: 'mix_input' });
    const smaller = await removeUnits(model, ['mix'], { calibration, batchSize: 16 });
    expect(smaller.getLayer('spread').getWeights()[0].shape).toEqual([3, 3, 2, 6]);
    // The repaired model reproduces the original on examples it was not fitted on, too.
    const scale = tf.tidy(() => tf.max(tf.abs(model.predict(fresh) as tf.Tensor)).dataSync()[0]);
    expect(maxAbsDiff(model.predict(fresh) as tf.Tensor, smaller.predict(fresh) as tf.Tensor)).toBeLessThanOrEqual(1e-3 * scale);
    // Without the repair the removal is refused: the channel count changes.
    await expect(removeUnits(model, ['mix'], { repair: 'never' })).rejects.toThrow('layer unit "mix" changes the channel count and needs a repair, but repair is "never"');
    await expect(removeUnits(model, ['mix'], {})).rejects.toThrow('layer unit "mix": repairing spread needs calibration inputs');
  });

  it('repairs a Dense layer through a Flatten, and the result saves and loads in plain tfjs', async () => {
    const model = residualNet();
    // Make the head linear so that widen∘flatten∘head is linear in the Add's output.
    const config = model.toJSON(null, false) as unknown as { config: { layers: { config: { name: string; activation?: string } }[] } };
    config.config.layers.find((l) => l.config.name === 'head')!.config.activation = 'linear';
    const linear = await tf.models.modelFromJSON({ modelTopology: config } as unknown as tf.io.ModelJSON);
    linear.setWeights(model.getWeights());
    const calibration = tf.randomUniform([1000, 6, 6, 3], 0, 1, 'float32', 14);
    const smaller = await removeUnits(linear, ['widen'], { calibration, batchSize: 64 });
    expect(smaller.getLayer('head').getWeights()[0].shape).toEqual([6 * 6 * 8, 3]);
    const x = tf.randomUniform([5, 6, 6, 3], 0, 1, 'float32', 15);
    const scale = tf.tidy(() => tf.max(tf.abs(linear.predict(x) as tf.Tensor)).dataSync()[0]);
    expect(maxAbsDiff(linear.predict(x) as tf.Tensor, smaller.predict(x) as tf.Tensor)).toBeLessThanOrEqual(1e-3 * scale);
    const reloaded = await plainTfjsRoundTrip(smaller);
    expect(maxAbsDiff(reloaded.predict(x) as tf.Tensor, smaller.predict(x) as tf.Tensor)).toBe(0);
  });

  it('removes the first layer of a Sequential model (its input shape moves to the next layer)', async () => {
    const model = tf.sequential({
      layers: [
        tf.layers.dense({ name: 'd1', inputShape: [6], units: 6, kernelInitializer: 'identity', activation: 'linear' }),
        tf.layers.dense({ name: 'd2', units: 3, kernelInitializer: init(9) }),
      ],
    });
    const smaller = await removeUnits(model, ['d1'], { repair: 'auto' });
    expect(smaller.layers.map((l) => l.name)).toEqual(['d2']);
    const x = tf.randomNormal([3, 6], 0, 1, 'float32', 16);
    expect(maxAbsDiff(model.predict(x) as tf.Tensor, smaller.predict(x) as tf.Tensor)).toBeLessThanOrEqual(1e-6);
  });

  it('names the unit and what is removable when asked for something else', async () => {
    const model = residualNet();
    await expect(removeUnits(model, ['head'])).rejects.toThrow('layer unit "head" is not removable in this model (removable: add, b, widen)');
    // Units are looked up again after each removal: once the residual block is gone, b is too, and stem (now feeding only widen) becomes removable.
    await expect(removeUnits(model, ['add', 'b'], { repair: 'never' })).rejects.toThrow('layer unit "b" is not removable in this model (removable: stem, widen)');
  });
});

describe('linear CKA', () => {
  const matrix = (rows: number, cols: number) => fc.array(fc.float({ min: -5, max: 5, noNaN: true, noDefaultInfinity: true }), { minLength: rows * cols, maxLength: rows * cols });

  it('is 1 for a representation and any scaled permutation of its features, and within [0, 1] otherwise', () => {
    fc.assert(
      fc.property(matrix(8, 5), matrix(8, 3), fc.float({ min: Math.fround(0.1), max: 10, noNaN: true }), (a, b, s) => {
        const x = tf.tensor2d(a, [8, 5]);
        const y = tf.tensor2d(b, [8, 3]);
        const permuted = tf.tidy(() => tf.mul(tf.gather(x, [4, 2, 0, 3, 1], 1), s));
        const centredNorm = tf.tidy(() => tf.sum(tf.square(tf.sub(x, tf.mean(x, 0)))).dataSync()[0]);
        if (centredNorm > 1e-3) expect(linearCka(x, permuted)).toBeCloseTo(1, 3);
        const c = linearCka(x, y);
        expect(c).toBeGreaterThanOrEqual(-1e-6);
        expect(c).toBeLessThanOrEqual(1 + 1e-6);
        expect(c).toBeCloseTo(linearCka(y, x), 5);
        tf.dispose([x, y, permuted]);
      }),
      { numRuns: 60, seed: 4 },
    );
  });
});

describe('ridge solver', () => {
  it('solves symmetric positive-definite systems: G·x = b to 1e-6 relative', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 1e6 }), (k, m, seed) => {
        // G = AᵀA + I from a seeded A, so it is positive-definite.
        let state = seed + 1;
        const rand = (): number => ((state = (state * 48271) % 2147483647) / 2147483647) * 2 - 1;
        const a = Array.from({ length: (k + 2) * k }, rand);
        const g = new Float64Array(k * k);
        for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) {
          let s = i === j ? 1 : 0;
          for (let r = 0; r < k + 2; r++) s += a[r * k + i] * a[r * k + j];
          g[i * k + j] = s;
        }
        const b = Float64Array.from({ length: k * m }, rand);
        const x = solveRidge(g, b, k, m, 0);
        for (let i = 0; i < k; i++) for (let c = 0; c < m; c++) {
          let s = 0;
          for (let j = 0; j < k; j++) s += g[i * k + j] * x[j * m + c];
          expect(Math.abs(s - b[i * m + c])).toBeLessThanOrEqual(1e-6 * (1 + Math.abs(b[i * m + c])));
        }
      }),
      { numRuns: 100, seed: 5 },
    );
  });

  it('refuses a singular system with a message naming the pivot', () => {
    expect(() => solveRidge(new Float64Array([1, 1, 1, 1]), new Float64Array([1, 1]), 2, 1, 0)).toThrow(/calibration activations are degenerate \(pivot 1/);
  });
});

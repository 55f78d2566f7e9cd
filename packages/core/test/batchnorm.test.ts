import { ArrayDataset, Rng, tf } from '../src';
import { recalibrateBatchNorm } from '../src/entries/training';

/** Dense(4) → BatchNorm → Dropout → Dense(3): small enough to check the statistics by hand. */
function bnNet(): tf.LayersModel {
  const input = tf.input({ shape: [5] });
  const dense = tf.layers.dense({ units: 4, name: 'dense', kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }), biasInitializer: 'ones' });
  const bn = tf.layers.batchNormalization({ name: 'bn', momentum: 0.99 });
  const drop = tf.layers.dropout({ rate: 0.5, name: 'drop' });
  const out = tf.layers.dense({ units: 3, activation: 'softmax', name: 'out', kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }) });
  return tf.model({ inputs: input, outputs: out.apply(drop.apply(bn.apply(dense.apply(input)))) as tf.SymbolicTensor });
}

function dataset(n: number, seed: number): ArrayDataset {
  const rng = new Rng(seed);
  const features = Float32Array.from({ length: n * 5 }, () => rng.next() * 4 - 1);
  const labels = Uint8Array.from({ length: n }, (_, i) => i % 3);
  return new ArrayDataset('toy', features, labels, [5], 3);
}

describe('recalibrateBatchNorm', () => {
  it('sets moving mean to the mean of batch means and moving variance to the mean of batch variances', () => {
    const model = bnNet();
    const bn = model.getLayer('bn');
    const [gamma, beta] = bn.getWeights();
    bn.setWeights([gamma, beta, tf.fill([4], 7), tf.fill([4], 0.01)]); // stale statistics
    const data = dataset(48, 1);
    const batchSize = 16;
    const result = recalibrateBatchNorm(model, data, { batches: 3, batchSize });
    expect(result).toEqual({ layers: ['bn'], examples: 48 });

    const denseOut = tf.tidy(() => model.getLayer('dense').apply(tf.tensor2d(data.features, [48, 5])) as tf.Tensor2D);
    const expectedMean = new Float32Array(4);
    const expectedVar = new Float32Array(4);
    for (let b = 0; b < 3; b++) {
      const { mean, variance } = tf.moments(denseOut.slice([b * batchSize, 0], [batchSize, 4]), 0);
      const m = mean.dataSync();
      const v = variance.dataSync();
      for (let c = 0; c < 4; c++) {
        expectedMean[c] += m[c] / 3;
        expectedVar[c] += v[c] / 3;
      }
    }
    const [, , movingMean, movingVar] = bn.getWeights();
    const mm = movingMean.dataSync();
    const mv = movingVar.dataSync();
    for (let c = 0; c < 4; c++) {
      expect(Math.abs(mm[c] - expectedMean[c])).toBeLessThan(1e-4);
      expect(Math.abs(mv[c] - expectedVar[c])).toBeLessThan(1e-4);
    }
  });

  it('changes no trainable weight and restores momentum and dropout rate', () => {
    const model = bnNet();
    const before = model.trainableWeights.map((w) => w.read().dataSync().slice());
    recalibrateBatchNorm(model, dataset(40, 2), { batches: 10, batchSize: 8, rng: new Rng(5) });
    model.trainableWeights.forEach((w, i) => expect(Array.from(w.read().dataSync())).toEqual(Array.from(before[i])));
    expect((model.getLayer('bn') as unknown as { momentum: number }).momentum).toBe(0.99);
    expect((model.getLayer('drop') as unknown as { rate: number }).rate).toBe(0.5);
  });

  it('restores inference-mode calibration after the input distribution shifts', () => {
    // Mimics surgery upstream of a BatchNorm: its input moves, its statistics do not.
    const model = bnNet();
    const data = dataset(64, 3);
    recalibrateBatchNorm(model, data, { batches: 4, batchSize: 16 });
    const dense = model.getLayer('dense');
    const [kernel, bias] = dense.getWeights();
    dense.setWeights([tf.mul(kernel, 3), tf.add(bias, 5)]);
    const x = tf.tensor2d(data.features, [64, 5]);
    const bnOut = (): Float32Array => tf.tidy(() => tf.moments(model.getLayer('bn').apply(dense.apply(x)) as tf.Tensor, 0).mean.dataSync() as Float32Array);
    const stale = Math.max(...Array.from(bnOut(), Math.abs));
    recalibrateBatchNorm(model, data, { batches: 4, batchSize: 16 });
    const fresh = Math.max(...Array.from(bnOut(), Math.abs));
    // beta is zero, so a calibrated BatchNorm's output has mean ≈ 0 over the same data.
    expect(stale).toBeGreaterThan(1);
    expect(fresh).toBeLessThan(1e-3);
  });

  it('refuses an empty dataset', () => {
    expect(() => recalibrateBatchNorm(bnNet(), dataset(0, 1), { batches: 1, batchSize: 4 })).toThrow('cannot recalibrate BatchNorm on an empty dataset (toy)');
  });
});

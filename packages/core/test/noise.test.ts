/**
 * Dropout and noise layers draw random numbers in training; tfjs draws them unseeded. A seed
 * must still fix the weights a run trains to, and every step must draw afresh.
 */
import { chooseBackend, Rng, tf, train } from '../src';
import { prepareTraining, recalibrateBatchNorm } from '../src/entries/training';
import { loadMnist } from '../src/datasets/mnist';
import type { ArrayDataset } from '../src';

/** A small network with each kind of noise layer tfjs has for this input. */
function noisy(): tf.LayersModel {
  const rng = new Rng(5);
  const init = (): ReturnType<typeof tf.initializers.glorotUniform> => tf.initializers.glorotUniform({ seed: rng.childSeed() });
  return tf.sequential({
    layers: [
      tf.layers.flatten({ inputShape: [28, 28, 1] }),
      tf.layers.gaussianNoise({ stddev: 0.1, name: 'noise' }),
      tf.layers.dense({ units: 32, activation: 'selu', kernelInitializer: init() }),
      tf.layers.alphaDropout({ rate: 0.1, name: 'alpha' }),
      tf.layers.dense({ units: 32, activation: 'relu', kernelInitializer: init() }),
      tf.layers.dropout({ rate: 0.5, name: 'drop' }),
      tf.layers.gaussianDropout({ rate: 0.2, name: 'gdrop' }),
      tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: init() }),
    ],
  });
}

const weightsOf = (model: tf.LayersModel): number[] => model.getWeights().flatMap((t) => Array.from(t.dataSync()));

let data: ArrayDataset;
beforeAll(async () => {
  await chooseBackend('wasm');
  data = loadMnist({ train: 320, test: 10 }).train;
});

describe('noise layers in training', () => {
  it('train the same weights from the same seed, and other weights from another', () => {
    const run = (seed: number): number[] => {
      const model = noisy();
      train(model, data, { epochs: 1, batchSize: 32, learningRate: 0.01, rng: new Rng(seed) });
      const out = weightsOf(model);
      model.dispose();
      return out;
    };
    const first = run(1);
    expect(run(1)).toEqual(first);
    expect(run(2)).not.toEqual(first);
  });

  it('draw afresh at every step (with the weights held still, one batch gives a new loss each step, the same sequence again from the seed), and leave the layers as they came', () => {
    const model = noisy();
    const batch = data.batches(32, [28, 28, 1]).next().value as { x: tf.Tensor; y: tf.Tensor };
    const losses = (seed: number): number[] => {
      const setup = prepareTraining(model, data, { epochs: 1, batchSize: 32, learningRate: 0, optimizer: 'sgd', rng: new Rng(seed) });
      try {
        return [setup.step(batch), setup.step(batch), setup.step(batch)];
      } finally {
        setup.dispose();
      }
    };
    const a = losses(7);
    expect(new Set(a).size).toBe(3);
    expect(losses(7)).toEqual(a);
    // Restored: inference draws nothing, and the classes' own methods are back.
    expect(Object.prototype.hasOwnProperty.call(model.getLayer('noise'), 'call')).toBe(false);
    expect((model.getLayer('drop') as unknown as { seed?: number }).seed).toBeUndefined();
    const p1 = (model.predict(batch.x) as tf.Tensor).dataSync();
    const p2 = (model.predict(batch.x) as tf.Tensor).dataSync();
    expect(Array.from(p2)).toEqual(Array.from(p1));
    tf.dispose([batch.x, batch.y]);
    model.dispose();
  });

  it('keep training on the calling thread, and say why, when several threads are asked for', () => {
    const model = noisy();
    const result = train(model, data, { epochs: 1, batchSize: 64, learningRate: 0.01, rng: new Rng(3), workers: 2 });
    expect(result.workers).toBe(1);
    expect(result.workersRefused).toMatch(/layers draw random numbers in training \(noise, alpha, drop, gdrop\)/);
    model.dispose();
  });

  it('are off while BatchNorm is recalibrated: noise of variance 100 before a BatchNorm leaves its statistics alone, the same on every run', () => {
    const statistics = (): { variances: number[]; restored: boolean } => {
      const model = tf.sequential({
        layers: [
          tf.layers.flatten({ inputShape: [28, 28, 1] }),
          tf.layers.dense({ units: 8, kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }) }),
          tf.layers.gaussianNoise({ stddev: 10, name: 'noise' }),
          tf.layers.batchNormalization({ name: 'bn' }),
          tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 6 }) }),
        ],
      });
      recalibrateBatchNorm(model, data, { batches: 4, batchSize: 32, rng: new Rng(1) });
      const variances = Array.from(model.getLayer('bn').getWeights()[3].dataSync());
      const restored = !Object.prototype.hasOwnProperty.call(model.getLayer('noise'), 'call');
      model.dispose();
      return { variances, restored };
    };
    const first = statistics();
    expect(Math.max(...first.variances)).toBeLessThan(50);
    expect(first.restored).toBe(true);
    expect(statistics().variances).toEqual(first.variances);
  });
});


import { ArrayDataset, chooseBackend, prunableWeights, Rng, tf } from '../src';
import { crossEntropy } from '../src/entries/training';
import { taylorImportance } from '../src/entries/importance';
import { smallMlp } from './helpers';

/** 16 random "digits" with random labels: enough for one batch of gradients. */
function randomDigits(seed: number, n = 16): ArrayDataset {
  const rng = new Rng(seed);
  const features = Float32Array.from({ length: n * 784 }, () => rng.next());
  const labels = Uint8Array.from({ length: n }, () => rng.int(10));
  return new ArrayDataset('random', features, labels, [28, 28, 1], 10);
}

beforeAll(async () => {
  await chooseBackend('cpu');
});

describe('taylorImportance', () => {
  it('is |w·g| (first order) and ½(w·g)² (second order) for the gradient of the one calibration batch', () => {
    const model = smallMlp(3, 8);
    const data = randomDigits(4);
    const weights = prunableWeights(model);
    // The gradient computed independently, on the whole (single, unshuffled-equivalent) batch.
    const batch = data.batch(0, data.size, [28, 28, 1]);
    const variables = weights.map((w) => w.variable.read() as tf.Variable);
    const { grads } = tf.variableGrads(() => crossEntropy(batch.y, model.apply(batch.x) as tf.Tensor), variables);
    const options = { batches: 1, batchSize: data.size, rng: new Rng(1) };
    const first = taylorImportance(model, weights, data, options);
    const second = taylorImportance(model, weights, data, { ...options, order: 'second' });
    for (const [i, w] of weights.entries()) {
      const value = w.variable.read().dataSync();
      const g = grads[variables[i].name].dataSync();
      const f = first.get(w.name) as Float32Array;
      const s = second.get(w.name) as Float32Array;
      let nonZero = 0;
      for (let k = 0; k < w.size; k++) {
        const expected = Math.abs(value[k] * g[k]);
        expect(Math.abs(f[k] - expected)).toBeLessThanOrEqual(1e-6 + 1e-3 * expected);
        expect(Math.abs(s[k] - 0.5 * expected * expected)).toBeLessThanOrEqual(1e-9 + 1e-3 * expected * expected);
        if (expected > 0) nonZero++;
      }
      expect(nonZero).toBeGreaterThan(w.size / 2);
    }
  });
});

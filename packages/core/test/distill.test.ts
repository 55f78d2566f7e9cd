import { tf } from '../src';
import { cloneModel } from '../src/entries/graph';
import { crossEntropy, distillationLoss } from '../src/entries/training';
import { maxAbsDiff, smallMlp } from './helpers';

const value = (t: tf.Scalar): number => t.dataSync()[0];

describe('distillationLoss', () => {
  const y = tf.tensor2d([[0, 1, 0], [1, 0, 0]]);
  const student = tf.tensor2d([[0.2, 0.7, 0.1], [0.5, 0.25, 0.25]]);
  const teacher = tf.tensor2d([[0.1, 0.8, 0.1], [0.6, 0.3, 0.1]]);

  it('is plain cross-entropy at weight 0, and zero at weight 1 when student and teacher agree', () => {
    expect(value(distillationLoss(y, student, teacher, { weight: 0, temperature: 4 }))).toBeCloseTo(value(crossEntropy(y, student)), 6);
    expect(value(distillationLoss(y, teacher, teacher, { weight: 1, temperature: 3 }))).toBeCloseTo(0, 6);
  });

  it('at temperature 1 and weight 1 is the mean KL(teacher ‖ student), computed by hand', () => {
    const p = [[0.1, 0.8, 0.1], [0.6, 0.3, 0.1]];
    const q = [[0.2, 0.7, 0.1], [0.5, 0.25, 0.25]];
    const kl = p.map((row, i) => row.reduce((s, pi, j) => s + pi * Math.log(pi / q[i][j]), 0));
    const expected = (kl[0] + kl[1]) / 2;
    expect(value(distillationLoss(y, student, teacher, { weight: 1, temperature: 1 }))).toBeCloseTo(expected, 5);
    expect(expected).toBeGreaterThan(0);
  });

  it('mixes the two terms linearly in the weight', () => {
    const at = (w: number): number => value(distillationLoss(y, student, teacher, { weight: w, temperature: 2 }));
    expect(at(0.5)).toBeCloseTo((at(0) + at(1)) / 2, 5);
  });
});

describe('cloneModel', () => {
  it('copies topology and weights into independent variables', async () => {
    const model = smallMlp(3);
    const clone = await cloneModel(model);
    const x = tf.randomUniform([4, 28, 28, 1], 0, 1, 'float32', 2);
    expect(maxAbsDiff(model.predict(x) as tf.Tensor, clone.predict(x) as tf.Tensor)).toBe(0);
    const w = model.getLayer('hidden').getWeights();
    model.getLayer('hidden').setWeights([tf.zerosLike(w[0]), w[1]]);
    expect(maxAbsDiff(model.predict(x) as tf.Tensor, clone.predict(x) as tf.Tensor)).toBeGreaterThan(1e-3);
    clone.dispose();
  });
});

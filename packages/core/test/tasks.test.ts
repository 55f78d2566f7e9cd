/**
 * Tasks: each loss and metric on hand-checkable values, the choices each kind allows, the
 * task a model's training config implies, and training that follows the task's loss.
 */
import fc from 'fast-check';
import { ArrayDataset, chooseBackend, evaluate, Rng, tf, train } from '../src';
import { makeTask } from '../src/entries/training';

beforeAll(async () => {
  await chooseBackend('wasm');
});

const value = (t: tf.Scalar): number => {
  const v = t.dataSync()[0];
  t.dispose();
  return v;
};

describe('losses and metrics', () => {
  const y = tf.tensor2d([[1], [3]]);
  const p = tf.tensor2d([[2], [0.5]]);

  it('regression: MSE, MAE, Huber (delta 1) and RMSE by hand', () => {
    // errors 1 and −2.5
    expect(value(makeTask({ kind: 'regression' }).lossOf(y, p))).toBeCloseTo((1 + 6.25) / 2, 6);
    expect(value(makeTask({ kind: 'regression', loss: 'meanAbsoluteError' }).lossOf(y, p))).toBeCloseTo(1.75, 6);
    expect(value(makeTask({ kind: 'regression', loss: 'huber' }).lossOf(y, p))).toBeCloseTo((0.5 + (2.5 - 0.5)) / 2, 6);
    const rmse = makeTask({ kind: 'regression', metric: 'rootMeanSquaredError' });
    expect(rmse.finish(value(rmse.metricSum(y, p)), 2)).toBeCloseTo(Math.sqrt(7.25 / 2), 6);
    expect(rmse.higherIsBetter).toBe(false);
  });

  it('binary: cross-entropy and accuracy at 0.5 by hand; multilabel averages over labels', () => {
    const task = makeTask({ kind: 'binary' });
    const yb = tf.tensor2d([[1], [0], [1]]);
    const pb = tf.tensor2d([[0.9], [0.2], [0.4]]);
    expect(value(task.lossOf(yb, pb))).toBeCloseTo(-(Math.log(0.9) + Math.log(0.8) + Math.log(0.4)) / 3, 5);
    expect(task.finish(value(task.metricSum(yb, pb)), 3)).toBeCloseTo(2 / 3, 6);
    const multi = makeTask({ kind: 'multilabel' });
    const ym = tf.tensor2d([[1, 0, 1, 1]]);
    const pm = tf.tensor2d([[0.8, 0.7, 0.6, 0.1]]);
    expect(multi.finish(value(multi.metricSum(ym, pm)), 1)).toBeCloseTo(0.5, 6);
  });

  it('a kind takes only its own losses and metrics, with one line saying which', () => {
    expect(() => makeTask({ kind: 'classification', loss: 'meanSquaredError' })).toThrow('task.loss: a classification task takes categoricalCrossentropy, not meanSquaredError');
    expect(() => makeTask({ kind: 'regression', metric: 'accuracy' })).toThrow('task.metric: a regression task takes meanAbsoluteError, meanSquaredError, rootMeanSquaredError, not accuracy');
  });

  it('property: MSE is the mean squared difference, whatever the shapes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 4 }), fc.array(fc.float({ min: -100, max: 100, noNaN: true }), { minLength: 48, maxLength: 48 }), (n, w, xs) => {
        const a = xs.slice(0, n * w);
        const b = xs.slice(24, 24 + n * w);
        const expected = a.reduce((s, v, i) => s + (v - b[i]) ** 2, 0) / (n * w);
        const got = value(makeTask({ kind: 'regression' }).lossOf(tf.tensor2d(a, [n, w]), tf.tensor2d(b, [n, w])));
        expect(Math.abs(got - expected)).toBeLessThanOrEqual(1e-4 * Math.max(1, expected));
      }),
      { numRuns: 50 },
    );
  });
});

describe('training follows the task', () => {
  it('fits y = 2x − 1 with a one-unit linear model under MSE, and evaluates as regression (MAE, lower is better)', () => {
    const xs = Float32Array.from({ length: 64 }, (_, i) => i / 32 - 1);
    const data = new ArrayDataset('line', xs, new Uint8Array(64), [1], 1, { targets: xs.map((x) => 2 * x - 1), task: makeTask({ kind: 'regression' }) });
    const model = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [1], kernelInitializer: 'zeros' })] });
    const before = evaluate(model, data);
    expect(before.accuracy).toBeUndefined();
    expect(before.metric.name).toBe('meanAbsoluteError');
    expect(before.score).toBe(-before.metric.value);
    train(model, data, { epochs: 200, batchSize: 16, learningRate: 0.05, rng: new Rng(1) });
    const after = evaluate(model, data);
    expect(after.metric.value).toBeLessThan(0.02);
    const [kernel, bias] = model.getWeights().map((t) => t.dataSync()[0]);
    expect(kernel).toBeCloseTo(2, 1);
    expect(bias).toBeCloseTo(-1, 1);
  });
});

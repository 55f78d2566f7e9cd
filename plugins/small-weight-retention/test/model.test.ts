import * as path from 'node:path';
import { ArrayDataset, chooseBackend, evaluate, loadModel, MaskSet, prunableWeights, pruneCount, Rng, tf } from '@nncompress/core';
import { loadMnist } from '@nncompress/core/data';
import { calibrationSample, retainPrune, saliencyScores, selectRetention } from '@nncompress/plugin-small-weight-retention';

// The committed, trained LeNet-300-100 of the mnist-lenet example, on real digits.
const modelJson = path.join(__dirname, '../../../examples/mnist-lenet/models/lenet-300-100/model.json');
let data: ReturnType<typeof loadMnist>;

beforeAll(async () => {
  await chooseBackend('wasm');
  data = loadMnist({ train: 1000, test: 500 });
});

function kernelValues(model: tf.LayersModel): Float32Array[] {
  return prunableWeights(model).map((w) => (w.variable.read().dataSync() as Float32Array).slice());
}

/** Mean cross-entropy of `model` with `masks` applied by core, on `set` (core's evaluate); then the kernels are put back. */
function maskedLoss(model: tf.LayersModel, masks: Map<string, Uint8Array>, set: ArrayDataset): number {
  const original = kernelValues(model);
  const maskSet = new MaskSet();
  for (const [name, mask] of masks) maskSet.set(name, mask.slice());
  maskSet.apply(model);
  const loss = evaluate(model, set).loss;
  prunableWeights(model).forEach((w, i) => w.variable.write(tf.tensor(original[i], w.shape as number[])));
  maskSet.dispose();
  return loss;
}

describe('selectRetention with the search selector, on LeNet-300-100 and MNIST', () => {
  it('returns a mask whose calibration loss is at most its start, leaves the weights as they were, and repeats with the same seed', async () => {
    const model = await loadModel(modelJson);
    const before = kernelValues(model);
    const saliency = saliencyScores(model, 'first-order', data.train, { batches: 4, rng: new Rng(1) });
    const options = { rho: 0.2, scope: 'global' as const, selector: 'search' as const, evaluations: 40, calibrationExamples: 300 };
    const selection = selectRetention(model, saliency, 0.95, options, data.train, new Rng(9));
    const search = selection.search!;
    expect(search.evaluations).toBe(40);
    expect(search.bestLoss).toBeLessThanOrEqual(search.startLoss);

    // The same losses, measured independently on the same calibration sample.
    const calibration = calibrationSample(data.train, 300, new Rng(9).fork('calibration'));
    const startMasks = new Map(selection.plan.names.map((name, w) => [name, selection.plan.keep.slice(selection.plan.offsets[w], selection.plan.offsets[w] + before[w].length)] as const));
    const startLoss = maskedLoss(model, startMasks, calibration);
    const bestLoss = maskedLoss(model, selection.masks, calibration);
    expect(Math.abs(startLoss - search.startLoss)).toBeLessThan(1e-4);
    expect(Math.abs(bestLoss - search.bestLoss)).toBeLessThan(1e-4);
    expect(bestLoss).toBeLessThanOrEqual(startLoss + 1e-6);

    // Weights restored bit for bit; the same seed gives the same mask.
    kernelValues(model).forEach((v, i) => expect(Buffer.from(v.buffer).equals(Buffer.from(before[i].buffer))).toBe(true));
    const again = selectRetention(model, saliency, 0.95, options, data.train, new Rng(9));
    for (const [name, mask] of selection.masks) expect(again.masks.get(name)).toEqual(mask);
    model.dispose();
  });
});

describe('retainPrune', () => {
  it('keeps exactly k weights of the model, ρk of them retained small ones, and zeros the rest', async () => {
    const model = await loadModel(modelJson);
    const weights = prunableWeights(model);
    const total = weights.reduce((n, w) => n + w.size, 0);
    const sizesBefore = kernelValues(model).map((v) => v.filter((x) => x !== 0).length);
    expect(sizesBefore.reduce((a, b) => a + b, 0)).toBe(total); // a trained model: no exact zeros
    const result = retainPrune(model, { sparsity: 0.9, data: data.train, rho: 0.25, saliency: 'second-order', calibrationBatches: 2, seed: 3 });
    const k = total - pruneCount(0.9, total);
    const nonZero = kernelValues(model).reduce((n, v) => n + v.filter((x) => x !== 0).length, 0);
    expect(nonZero).toBe(k);
    expect(result.retained).toBe(Math.round(0.25 * k));
    expect(result.masks.prunedFraction()).toBeCloseTo(1 - k / total, 9);
    // One-shot at 90% on real digits still classifies far above chance.
    expect(evaluate(model, data.test).accuracy).toBeGreaterThan(0.5);
    model.dispose();
  });

  it('names an empty calibration set and a ρ outside [0, 1]', async () => {
    const model = await loadModel(modelJson);
    const empty = new ArrayDataset('empty', new Float32Array(0), new Uint8Array(0), [28, 28, 1], 10);
    expect(() => retainPrune(model, { sparsity: 0.9, data: empty })).toThrow('the calibration set is empty (empty has no examples)');
    expect(() => retainPrune(model, { sparsity: 0.9, data: data.train, rho: 1.2 })).toThrow('rho must be in [0, 1], got 1.2');
    expect(() => retainPrune(model, { sparsity: 0.9, data: data.train, exclude: ['fc9'] })).toThrow('exclude: the model has no layer named "fc9"');
    model.dispose();
  });
});

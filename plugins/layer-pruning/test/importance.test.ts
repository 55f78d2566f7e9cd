import { chooseBackend, Rng, tf, train } from '@nncompress/core';
import { findRemovableUnits } from '@nncompress/core/graph';
import { loadMnist, modelInputShape } from '@nncompress/core/data';
import { unitImportance } from '../src';
import { cnnWithIdentity } from './net';

describe('unit importance on a trained CNN with a planted identity layer', () => {
  let model: tf.LayersModel;
  let calibration: tf.Tensor;
  const data = loadMnist({ train: 1500 });

  beforeAll(async () => {
    await chooseBackend('wasm');
    model = cnnWithIdentity();
    train(model, data.train, { epochs: 1, batchSize: 32, learningRate: 0.003, rng: new Rng(2) });
    calibration = data.train.batch(0, 128, modelInputShape(model)).x;
  });

  it('lists the layer blocks it can remove, with a repair where the channel count changes', () => {
    const units = findRemovableUnits(model);
    const ids = units.map((u) => u.id);
    expect(ids).toEqual(expect.arrayContaining(['conv2', 'fc1', 'ident']));
    expect(units.find((u) => u.id === 'ident')).toMatchObject({ shapePreserving: true, repairLayer: 'fc2', layers: ['ident'] });
    expect(units.find((u) => u.id === 'conv2')).toMatchObject({ shapePreserving: false, layers: ['conv2', 'bn2', 'relu2'] });
  });

  it('bypass-loss: removing the identity changes the loss by < 1e-4; every other unit costs more', async () => {
    const units = findRemovableUnits(model);
    const scores = await unitImportance(model, units, { criterion: 'bypass-loss', repair: 'auto', calibration, validation: data.train.take(400), batchSize: 64 });
    expect(Math.abs(scores.get('ident')!)).toBeLessThan(1e-4);
    for (const u of units) if (u.id !== 'ident') expect(scores.get(u.id)!).toBeGreaterThan(scores.get('ident')! + 1e-3);
  });

  it('cka: the identity layer scores 0 (its input and output are the same representation), the others more', async () => {
    const units = findRemovableUnits(model);
    const seen: number[] = [];
    const scores = await unitImportance(model, units, { criterion: 'cka', repair: 'always', calibration, batchSize: 64, onUnit: (done) => seen.push(done) });
    expect(seen).toEqual(units.map((_, i) => i + 1));
    expect(scores.get('ident')!).toBeCloseTo(0, 4);
    for (const u of units) if (u.id !== 'ident') expect(scores.get(u.id)!).toBeGreaterThan(0.01);
  });

  it('bypass-loss without validation examples is refused with a clear message', async () => {
    await expect(unitImportance(model, findRemovableUnits(model), { criterion: 'bypass-loss', repair: 'always', calibration, batchSize: 64 })).rejects.toThrow('bypass-loss needs validation examples');
  });
});

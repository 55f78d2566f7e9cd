import { analyzeChannels, ArrayDataset, chooseBackend, tf } from '@nncompress/core';
import { measureLayer } from '@nncompress/core/importance';
import { scoreChannels } from '../src';

beforeAll(async () => {
  await chooseBackend('wasm');
});

/** in(2) → dense h(3, relu) → dense out(2): h's channels are the one prunable group. */
function tiny(): tf.LayersModel {
  const model = tf.sequential({
    layers: [tf.layers.dense({ inputShape: [2], units: 3, activation: 'relu', name: 'h' }), tf.layers.dense({ units: 2, name: 'out' })],
  });
  // Channel 0: weights (1, 2) → always positive on positive inputs. Channel 1: (−1, −1) → always 0 after ReLU.
  // Channel 2: (0.5, −3) → positive for some inputs only.
  model.getLayer('h').setWeights([tf.tensor2d([[1, -1, 0.5], [2, -1, -3]]), tf.zeros([3])]);
  return model;
}

describe('criteria', () => {
  it('weight criteria: sum, mean and L2 of |w| per output channel', () => {
    const model = tiny();
    const analysis = analyzeChannels(model);
    const id = analysis.groups.find((g) => g.producers[0] === 'h')!.id;
    expect(Array.from(scoreChannels(model, analysis, { criterion: 'min-weight' }).get(id)!)).toEqual([3, 2, 3.5]);
    expect(Array.from(scoreChannels(model, analysis, { criterion: 'average-weight' }).get(id)!)).toEqual([1.5, 1, 1.75]);
    const l2 = scoreChannels(model, analysis, { criterion: 'l2-weight' }).get(id)!;
    expect(l2[0]).toBeCloseTo(Math.sqrt(5), 5);
    expect(l2[1]).toBeCloseTo(Math.sqrt(2), 5);
    // The blocked output group is not scored.
    expect(scoreChannels(model, analysis, { criterion: 'min-weight' }).size).toBe(1);
  });

  it('activation criteria measure the ReLU output on the data: APoZ and mean activation', () => {
    const model = tiny();
    const analysis = analyzeChannels(model);
    const g = analysis.groups.find((x) => x.producers[0] === 'h')!;
    expect(measureLayer(analysis, g)).toEqual({ layer: 'h', rectified: true });
    // Inputs (1, 0) and (0, 1): channel 2 is 0.5 then 0 (ReLU of −3).
    const data = new ArrayDataset('two', Float32Array.from([1, 0, 0, 1]), Uint8Array.from([0, 1]), [2], 2);
    const apoz = scoreChannels(model, analysis, { criterion: 'apoz', data, batches: 1, batchSize: 2 }).get(g.id)!;
    expect(Array.from(apoz)).toEqual([1, 0, 0.5]);
    const mean = scoreChannels(model, analysis, { criterion: 'mean-activation', data, batches: 1, batchSize: 2 }).get(g.id)!;
    expect(Array.from(mean)).toEqual([1.5, 0, 0.25]);
    expect(() => scoreChannels(model, analysis, { criterion: 'apoz' })).toThrow(/needs target data/);
  });
});

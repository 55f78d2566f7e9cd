import { analyzeChannels, ChannelGroup, chooseBackend, InputError, modelStats, tf } from '../src';
import { removeChannels } from '../src/entries/graph';
import { loadModelFromModule } from '../src/entries/model';
import { maxAbsDiff } from './helpers';

/** Zeroes, in every consumer of `group`, the input slices of `channels` (kernel axis −2). */
function cutConsumers(model: tf.LayersModel, group: ChannelGroup, channels: readonly number[]): void {
  for (const m of group.members.filter((x) => x.role === 'consumer')) {
    const layer = model.getLayer(m.layer);
    const [kernel, ...rest] = layer.getWeights();
    const buf = kernel.bufferSync();
    const inAxis = kernel.rank - 2;
    for (let i = 0; i < kernel.size; i++) {
      const row = buf.indexToLoc(i)[inAxis];
      const k = m.flatten ? (row % m.flatten.channels) - m.offset : row - m.offset;
      if (k >= m.start && k < m.start + m.length && channels.includes(k)) buf.values[i] = 0;
    }
    layer.setWeights([buf.toTensor(), ...rest]);
  }
}

describe('surgery on the pretrained MobileNetV2 (nsfwjs)', () => {
  let model: tf.LayersModel;

  beforeAll(async () => {
    await chooseBackend('wasm');
    // The pretrained MobileNetV2 shipped in the nsfwjs package, loaded from its files.
    model = await loadModelFromModule('nsfwjs/models/mobilenet_v2', 'MobileNetV2Model', __dirname);
  });

  it('loads as the 2,619,461-parameter, 162-layer model, and bad module references are named', async () => {
    expect(modelStats(model).params).toBe(2619461);
    expect(model.layers).toHaveLength(162);
    await expect(loadModelFromModule('nsfwjs/models/no_such_model', undefined, __dirname)).rejects.toThrow(InputError);
    await expect(loadModelFromModule('nsfwjs/models/no_such_model', undefined, __dirname)).rejects.toThrow(/model module not found: nsfwjs\/models\/no_such_model/);
    await expect(loadModelFromModule('yaml', 'parse', __dirname)).rejects.toThrow(/yaml#parse: not a model module \(expected modelJson\(\) and weightBundles\)/);
  });

  it('finds every channel group, with residual partners joined and only the classifier blocked', () => {
    const analysis = analyzeChannels(model);
    expect(analysis.unsupported).toEqual([]);
    expect(analysis.groups.filter((g) => g.blocked).map((g) => g.blocked)).toEqual([`model output ${model.outputs[0].sourceLayer.name}`]);
    // MobileNetV2 (Sandler et al. 2018, table 2) repeats n = 1, 2, 3, 4, 3, 3, 1 bottlenecks per
    // stage; within a stage the projections are joined by Add, so stages with n > 1 give one
    // group of n producers each.
    const joined = analysis.groups.filter((g) => g.producers.length > 1).map((g) => g.producers.length);
    expect(joined).toEqual([2, 3, 4, 3, 3]);
  });

  it('removing channels with zero outgoing weights changes outputs by at most 1e-4', async () => {
    const analysis = analyzeChannels(model);
    const expand = analysis.groups.find((g) => g.producers[0] === 'block_3_expand')!;
    const residual = analysis.groups.find((g) => g.producers.length === 3)!;
    const last = analysis.groups.find((g) => g.members.some((m) => m.flatten))!;
    const removals = new Map<number, number[]>([
      [expand.id, [0, 7, 100]],
      [residual.id, [1, 2, 30]],
      [last.id, [5, 600, 1279]],
    ]);
    for (const [id, channels] of removals) cutConsumers(model, analysis.groups[id], channels);
    const pruned = await removeChannels(model, analysis, removals);
    const x = tf.randomUniform([2, 224, 224, 3], 0, 1, 'float32', 3);
    const diff = maxAbsDiff(model.predict(x) as tf.Tensor, pruned.predict(x) as tf.Tensor);
    expect(diff).toBeLessThanOrEqual(1e-4);
    expect(modelStats(pruned).params).toBeLessThan(modelStats(model).params);
    expect(pruned.getLayer('block_3_expand').getWeights()[0].shape.slice(-1)).toEqual([expand.size - 3]);
  });
});

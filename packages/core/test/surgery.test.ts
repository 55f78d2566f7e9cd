import { analyzeChannels, ChannelAnalysis, chooseBackend, modelStats, tf } from '../src';
import { removeChannels } from '../src/entries/graph';
import { maxAbsDiff, plainTfjsRoundTrip } from './helpers';

const init = (seed: number): ReturnType<typeof tf.initializers.glorotUniform> => tf.initializers.glorotUniform({ seed });
/** Seeded, so every run builds the same test models. */
let normalSeed = 100;
const normal = (): ReturnType<typeof tf.initializers.randomNormal> => tf.initializers.randomNormal({ seed: normalSeed++ });

/** conv1(8)-BN-relu-pool-conv2(12)-BN-relu-flatten-fc1(16)-fc2(10): the VGG pattern. */
function vgg(): tf.LayersModel {
  return tf.sequential({
    layers: [
      tf.layers.conv2d({ name: 'conv1', inputShape: [12, 12, 3], filters: 8, kernelSize: 3, padding: 'same', kernelInitializer: init(1), biasInitializer: normal() }),
      tf.layers.batchNormalization({ name: 'bn1', betaInitializer: normal(), gammaInitializer: normal(), movingMeanInitializer: normal(), movingVarianceInitializer: 'ones' }),
      tf.layers.reLU({ name: 'relu1' }),
      tf.layers.maxPooling2d({ name: 'pool1', poolSize: 2 }),
      tf.layers.conv2d({ name: 'conv2', filters: 12, kernelSize: 3, kernelInitializer: init(2), biasInitializer: normal() }),
      tf.layers.batchNormalization({ name: 'bn2', betaInitializer: normal() }),
      tf.layers.reLU({ name: 'relu2' }),
      tf.layers.flatten({ name: 'flatten' }),
      tf.layers.dense({ name: 'fc1', units: 16, activation: 'relu', kernelInitializer: init(3), biasInitializer: normal() }),
      tf.layers.dense({ name: 'fc2', units: 10, activation: 'softmax', kernelInitializer: init(4) }),
    ],
  });
}

/** a(6)-BN-relu-depthwise-BN-b(6); add(relu_a, b); concat(add, c(4)); d(5); GAP; dense(3). */
function residual(): tf.LayersModel {
  const input = tf.input({ shape: [10, 10, 3] });
  const a = tf.layers.conv2d({ name: 'a', filters: 6, kernelSize: 3, padding: 'same', kernelInitializer: init(5), biasInitializer: normal() }).apply(input) as tf.SymbolicTensor;
  const bnA = tf.layers.batchNormalization({ name: 'bn_a', betaInitializer: normal() }).apply(a) as tf.SymbolicTensor;
  const reluA = tf.layers.reLU({ name: 'relu_a', maxValue: 6 }).apply(bnA) as tf.SymbolicTensor;
  const dw = tf.layers.depthwiseConv2d({ name: 'dw', kernelSize: 3, padding: 'same', depthwiseInitializer: init(6), biasInitializer: normal() }).apply(reluA) as tf.SymbolicTensor;
  const bnDw = tf.layers.batchNormalization({ name: 'bn_dw', gammaInitializer: normal() }).apply(dw) as tf.SymbolicTensor;
  const b = tf.layers.conv2d({ name: 'b', filters: 6, kernelSize: 1, kernelInitializer: init(7) }).apply(bnDw) as tf.SymbolicTensor;
  const sum = tf.layers.add({ name: 'add' }).apply([reluA, b]) as tf.SymbolicTensor;
  const c = tf.layers.conv2d({ name: 'c', filters: 4, kernelSize: 3, padding: 'same', kernelInitializer: init(8) }).apply(input) as tf.SymbolicTensor;
  const cat = tf.layers.concatenate({ name: 'cat' }).apply([sum, c]) as tf.SymbolicTensor;
  const d = tf.layers.conv2d({ name: 'd', filters: 5, kernelSize: 3, strides: 2, kernelInitializer: init(9), activation: 'relu' }).apply(cat) as tf.SymbolicTensor;
  const gap = tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(d) as tf.SymbolicTensor;
  const out = tf.layers.dense({ name: 'out', units: 3, kernelInitializer: init(10) }).apply(gap) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

/** Sets kernel entries to zero where `where(index)` holds, index being [.., in, out]. */
function zeroKernel(model: tf.LayersModel, layer: string, where: (idx: number[]) => boolean): void {
  const l = model.getLayer(layer);
  const [kernel, ...rest] = l.getWeights();
  const buf = kernel.bufferSync();
  for (let i = 0; i < kernel.size; i++) {
    const idx = buf.indexToLoc(i);
    if (where(idx)) buf.values[i] = 0;
  }
  l.setWeights([buf.toTensor(), ...rest]);
}

function groupOf(analysis: ChannelAnalysis, producer: string): number {
  const g = analysis.groups.find((x) => x.producers.includes(producer));
  if (!g) throw new Error(`no group for ${producer}`);
  return g.id;
}


beforeAll(async () => {
  await chooseBackend('wasm');
});

describe('channel groups', () => {
  it('couples conv → BN → next conv, and conv → BN → flatten → dense; blocks the output', () => {
    const analysis = analyzeChannels(vgg());
    const byProducer = Object.fromEntries(analysis.groups.map((g) => [g.producers.join('+'), g]));
    expect(Object.keys(byProducer).sort()).toEqual(['conv1', 'conv2', 'fc1', 'fc2']);
    const roles = (p: string): string[] => byProducer[p].members.map((m) => `${m.role}:${m.layer}${m.flatten ? `:flatten(${m.flatten.spatial}x${m.flatten.channels})` : ''}`).sort();
    expect(roles('conv1')).toEqual(['channelwise:bn1', 'consumer:conv2', 'producer:conv1']);
    expect(roles('conv2')).toEqual(['channelwise:bn2', 'consumer:fc1:flatten(16x12)', 'producer:conv2']);
    expect(roles('fc1')).toEqual(['consumer:fc2', 'producer:fc1']);
    expect(byProducer.fc2.blocked).toBe('model output fc2');
    expect(byProducer.conv1.blocked).toBeUndefined();
    expect(analysis.unsupported).toEqual([]);
  });

  it('joins Add partners into one group and gives Concatenate members their offsets', () => {
    const analysis = analyzeChannels(residual());
    const ab = analysis.groups[groupOf(analysis, 'a')];
    expect(ab.producers).toEqual(['a', 'b']);
    expect(ab.size).toBe(6);
    const members = ab.members.map((m) => `${m.role}:${m.layer}@${m.offset}`).sort();
    expect(members).toEqual(['channelwise:bn_a@0', 'channelwise:bn_dw@0', 'channelwise:dw@0', 'consumer:b@0', 'consumer:d@0', 'producer:a@0', 'producer:b@0']);
    const c = analysis.groups[groupOf(analysis, 'c')];
    expect(c.members.map((m) => `${m.role}:${m.layer}@${m.offset}`).sort()).toEqual(['consumer:d@6', 'producer:c@0']);
    expect(analysis.groups[groupOf(analysis, 'out')].blocked).toBe('model output out');
  });

  it('reports layers it does not understand and blocks their channels instead of guessing', () => {
    const model = tf.sequential({
      layers: [
        tf.layers.conv2d({ inputShape: [6, 6, 2], filters: 4, kernelSize: 3, name: 'conv' }),
        tf.layers.reshape({ targetShape: [16, 4], name: 'reshape' }),
        tf.layers.flatten({ name: 'flat' }),
        tf.layers.dense({ units: 2, name: 'head' }),
      ],
    });
    const analysis = analyzeChannels(model);
    expect(analysis.unsupported).toEqual([{ layer: 'reshape', className: 'Reshape', reason: 'Reshape layer reshape' }]);
    expect(analysis.groups[groupOf(analysis, 'conv')].blocked).toBe('Reshape layer reshape');
  });
});

describe('removeChannels', () => {
  it('is exact on the VGG pattern when the removed channels have zero outgoing weights', async () => {
    const model = vgg();
    const analysis = analyzeChannels(model);
    const drop1 = [0, 5];
    const drop2 = [3, 4, 11];
    const dropFc = [2, 7, 8, 15];
    zeroKernel(model, 'conv2', ([, , ci]) => drop1.includes(ci));
    zeroKernel(model, 'fc1', ([row]) => drop2.includes(row % 12)); // flatten rows are p·12 + channel
    zeroKernel(model, 'fc2', ([row]) => dropFc.includes(row));
    const pruned = await removeChannels(model, analysis, new Map([
      [groupOf(analysis, 'conv1'), drop1],
      [groupOf(analysis, 'conv2'), drop2],
      [groupOf(analysis, 'fc1'), dropFc],
    ]));
    const x = tf.randomNormal([4, 12, 12, 3], 0, 1, 'float32', 11);
    expect(maxAbsDiff(model.predict(x) as tf.Tensor, pruned.predict(x) as tf.Tensor)).toBeLessThanOrEqual(1e-4);
    const shapes = Object.fromEntries(pruned.layers.filter((l) => l.getWeights().length).map((l) => [l.name, l.getWeights()[0].shape]));
    expect(shapes).toEqual({ conv1: [3, 3, 3, 6], bn1: [6], conv2: [3, 3, 6, 9], bn2: [9], fc1: [16 * 9, 12], fc2: [12, 10] });
    expect(modelStats(pruned).params).toBeLessThan(modelStats(model).params);
    // The input model is untouched.
    expect(model.getLayer('conv1').getWeights()[0].shape).toEqual([3, 3, 3, 8]);
    // Control: removing channels that still feed the next layer does change what follows
    // (compared before the softmax, which can saturate).
    const lossy = await removeChannels(model, analysis, new Map([[groupOf(analysis, 'conv1'), [1, 2]]]));
    const upToFc1 = (m: tf.LayersModel): tf.LayersModel => tf.model({ inputs: m.inputs, outputs: m.getLayer('fc1').output as tf.SymbolicTensor });
    expect(maxAbsDiff(upToFc1(model).predict(x) as tf.Tensor, upToFc1(lossy).predict(x) as tf.Tensor)).toBeGreaterThan(1e-2);
  });

  it('is exact through depthwise, BatchNorm, a residual Add and a Concatenate, and the result saves and reloads', async () => {
    const model = residual();
    const analysis = analyzeChannels(model);
    const dropAb = [1, 4];
    const dropC = [2];
    zeroKernel(model, 'b', ([, , ci]) => dropAb.includes(ci));
    zeroKernel(model, 'd', ([, , ci]) => dropAb.includes(ci) || ci === 6 + dropC[0]);
    const pruned = await removeChannels(model, analysis, new Map([
      [groupOf(analysis, 'a'), dropAb],
      [groupOf(analysis, 'c'), dropC],
    ]));
    const x = tf.randomNormal([3, 10, 10, 3], 0, 1, 'float32', 12);
    expect(maxAbsDiff(model.predict(x) as tf.Tensor, pruned.predict(x) as tf.Tensor)).toBeLessThanOrEqual(1e-4);
    expect(pruned.getLayer('dw').getWeights()[0].shape).toEqual([3, 3, 4, 1]);
    expect(pruned.getLayer('d').getWeights()[0].shape).toEqual([3, 3, 7, 5]);
    // Plain tfjs round trip of the smaller model.
    const reloaded = await plainTfjsRoundTrip(pruned);
    expect(maxAbsDiff(reloaded.predict(x) as tf.Tensor, pruned.predict(x) as tf.Tensor)).toBe(0);
  });

  it('refuses blocked groups, whole groups and unknown channels with the group named', async () => {
    const model = vgg();
    const analysis = analyzeChannels(model);
    await expect(removeChannels(model, analysis, new Map([[groupOf(analysis, 'fc2'), [0]]]))).rejects.toThrow(/channel group \d+ \(fc2\) cannot be pruned: model output fc2/);
    await expect(removeChannels(model, analysis, new Map([[groupOf(analysis, 'conv1'), [0, 1, 2, 3, 4, 5, 6, 7]]]))).rejects.toThrow(/\(conv1\): removing all 8 channels would disconnect the model/);
    await expect(removeChannels(model, analysis, new Map([[groupOf(analysis, 'conv1'), [8]]]))).rejects.toThrow(/\(conv1\): channel 8 is outside 0\.\.7/);
    await expect(removeChannels(model, analysis, new Map([[99, [0]]]))).rejects.toThrow(/no channel group 99/);
  });
});

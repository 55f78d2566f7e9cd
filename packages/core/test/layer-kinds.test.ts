import { analyzeChannels, ChannelAnalysis, modelStats, tf } from '../src';
import { builtinLayerKinds, LayerKindRegistry, layerKinds, removeChannels } from '../src/entries/graph';
import { modelArtifacts } from '../src/entries/model';
import { maxAbsDiff } from './helpers';

const init = (seed: number): ReturnType<typeof tf.initializers.glorotUniform> => tf.initializers.glorotUniform({ seed });
const bias = (seed: number): ReturnType<typeof tf.initializers.randomNormal> => tf.initializers.randomNormal({ seed, stddev: 0.5 });

function groupOf(analysis: ChannelAnalysis, producer: string): number {
  const g = analysis.groups.find((x) => x.producers.includes(producer));
  if (!g) throw new Error(`no group for ${producer}`);
  return g.id;
}

/** Seeded inputs of the model's input shape. */
function inputsFor(model: tf.LayersModel, n = 5, seed = 3): tf.Tensor {
  return tf.randomUniform([n, ...(model.inputs[0].shape.slice(1) as number[])], -1, 1, 'float32', seed);
}

/** Dense(8) → Activation(softmax) → Dense(4), or with the softmax fused into the first Dense. */
function softmaxBetween(fused: boolean): tf.LayersModel {
  return tf.sequential({
    layers: [
      tf.layers.dense({ name: 'd1', inputShape: [5], units: 8, kernelInitializer: init(1), biasInitializer: bias(2), ...(fused ? { activation: 'softmax' as const } : {}) }),
      ...(fused ? [] : [tf.layers.activation({ name: 'mix', activation: 'softmax' })]),
      tf.layers.dense({ name: 'd2', units: 4, kernelInitializer: init(3) }),
    ],
  });
}

/**
 * Sets output channels `channels` of `layer` to exactly zero (kernel columns and bias), so
 * after a ReLU they carry nothing: removing them must leave the model's output unchanged.
 * `outputAxis` is the kernel axis of output channels.
 */
function silence(model: tf.LayersModel, layer: string, channels: readonly number[], outputAxis: number): void {
  const l = model.getLayer(layer);
  const weights = l.getWeights();
  const zeroed = weights.map((w, i) => {
    const axis = i === weights.length - 1 ? 0 : outputAxis;
    if (i !== weights.length - 1 && i !== weights.length - 2 && weights.length > 2) return w; // a separable conv's depthwise kernel
    const buf = w.bufferSync();
    for (let k = 0; k < w.size; k++) if (channels.includes(buf.indexToLoc(k)[axis])) buf.values[k] = 0;
    return buf.toTensor();
  });
  l.setWeights(zeroed);
}

describe('layer kinds: what nncompress does not understand, it leaves alone and says why', () => {
  it.each([false, true])('a softmax between two Dense layers blocks the first one\'s channels (fused: %s)', async (fused) => {
    const model = softmaxBetween(fused);
    const analysis = analyzeChannels(model);
    const group = analysis.groups[groupOf(analysis, 'd1')];
    expect(group.blocked).toMatch(/activation softmax of (mix|d1) mixes channels/);
    if (!fused) expect(analysis.unsupported).toEqual([{ layer: 'mix', className: 'Activation', reason: 'activation softmax of mix mixes channels (it normalises across them)' }]);
    await expect(removeChannels(model, analysis, new Map([[group.id, [0, 1]]]))).rejects.toThrow(/cannot be pruned: activation softmax of (mix|d1) mixes channels/);
  });

  it('refuses a surgery whose layer kind lies about a channel-mixing layer: the exactness check catches it', async () => {
    // A registry that claims every Activation is channel-wise, as the old hard-coded list did.
    const lying = new LayerKindRegistry(builtinLayerKinds).register({ className: 'Activation', channels: () => ({ role: 'pass-through' }) }, { replace: true });
    const model = softmaxBetween(false);
    const analysis = analyzeChannels(model, lying);
    const id = groupOf(analysis, 'd1');
    expect(analysis.groups[id].blocked).toBeUndefined();
    await expect(removeChannels(model, analysis, new Map([[id, [0, 1]]]), { kinds: lying })).rejects.toThrow(
      /^surgery check failed: removing channels 2 of group \d+ \(d1\) changes the model's output by [\d.e-]+ \(output scale [\d.e-]+\)/,
    );
    // Unchecked, the same surgery gives a model that computes something else: what users got before.
    const wrong = await removeChannels(model, analysis, new Map([[id, [0, 1]]]), { kinds: lying, verify: false });
    const x = inputsFor(model);
    const zeroedRows = model.getLayer('d2').getWeights()[0].bufferSync();
    for (let o = 0; o < 4; o++) for (const i of [0, 1]) zeroedRows.set(0, i, o);
    const reference = softmaxBetween(false);
    reference.setWeights(model.getWeights());
    reference.getLayer('d2').setWeights([zeroedRows.toTensor(), model.getLayer('d2').getWeights()[1]]);
    expect(maxAbsDiff(wrong.predict(x) as tf.Tensor, reference.predict(x) as tf.Tensor)).toBeGreaterThan(0.01);
  });

  it('blocks channels-first layers and a BatchNormalization on another axis, naming the layer', async () => {
    const first = tf.sequential({
      layers: [
        // Width 4 equals the filter count: read as channels-last, the shapes would even fit.
        tf.layers.conv2d({ name: 'c1', inputShape: [3, 6, 4], filters: 4, kernelSize: 1, dataFormat: 'channelsFirst', kernelInitializer: init(4) }),
        tf.layers.conv2d({ name: 'c2', filters: 4, kernelSize: 1, dataFormat: 'channelsFirst', kernelInitializer: init(5) }),
        tf.layers.flatten({ name: 'flat' }),
        tf.layers.dense({ name: 'fc', units: 3, kernelInitializer: init(6) }),
      ],
    });
    const a = analyzeChannels(first);
    expect(a.groups[groupOf(a, 'fc')].blocked).toBe('model output fc');
    expect(a.unsupported.map((u) => u.layer)).toEqual(['c1', 'c2']);
    expect(a.unsupported[0].reason).toBe('Conv2D layer c1 has data format channelsFirst: nncompress follows channels on the last axis only');
    expect(a.groups.every((g) => g.blocked)).toBe(true);

    const bnAxis1 = tf.sequential({
      layers: [
        tf.layers.conv2d({ name: 'conv', inputShape: [6, 6, 3], filters: 4, kernelSize: 3, kernelInitializer: init(7) }),
        tf.layers.batchNormalization({ name: 'bn', axis: 1 }),
        tf.layers.flatten({ name: 'flat' }),
        tf.layers.dense({ name: 'fc', units: 2, kernelInitializer: init(8) }),
      ],
    });
    const b = analyzeChannels(bnAxis1);
    const conv = b.groups[groupOf(b, 'conv')];
    expect(conv.blocked).toBe('BatchNormalization layer bn normalises axis 1: nncompress follows channels on the last axis only');
    await expect(removeChannels(bnAxis1, b, new Map([[conv.id, [0]]]))).rejects.toThrow(/cannot be pruned: BatchNormalization layer bn normalises axis 1/);
  });

  it('counts FLOPs of Conv2DTranspose (per input position) and of channels-first layers (per position, not per channel)', () => {
    const transpose = tf.sequential({ layers: [tf.layers.conv2dTranspose({ name: 't', inputShape: [4, 4, 3], filters: 5, kernelSize: 3, strides: 2, padding: 'same' })] });
    // Each of the 4·4 input positions multiplies the whole 3·3·3·5 kernel.
    expect(modelStats(transpose).flops).toBe(2 * 3 * 3 * 3 * 5 * 16);
    const last = tf.sequential({ layers: [tf.layers.conv2d({ name: 'c', inputShape: [8, 8, 3], filters: 4, kernelSize: 3 })] });
    const first = tf.sequential({ layers: [tf.layers.conv2d({ name: 'c', inputShape: [3, 8, 8], filters: 4, kernelSize: 3, dataFormat: 'channelsFirst' })] });
    expect(modelStats(last).flops).toBe(2 * 3 * 3 * 3 * 4 * 36);
    expect(modelStats(first).flops).toBe(modelStats(last).flops);
  });

  it('prunes Conv1D, SeparableConv2D and Conv2DTranspose exactly: silenced channels removed, outputs unchanged, loadable in plain tfjs', async () => {
    const conv1d = tf.sequential({
      layers: [
        tf.layers.conv1d({ name: 'p', inputShape: [12, 3], filters: 6, kernelSize: 3, activation: 'relu', kernelInitializer: init(9), biasInitializer: bias(10) }),
        tf.layers.maxPooling1d({ name: 'pool', poolSize: 2 }),
        tf.layers.conv1d({ name: 'q', filters: 4, kernelSize: 3, kernelInitializer: init(11) }),
        tf.layers.globalAveragePooling1d({ name: 'gap' }),
        tf.layers.dense({ name: 'out', units: 2, kernelInitializer: init(12) }),
      ],
    });
    const separable = tf.sequential({
      layers: [
        tf.layers.separableConv2d({ name: 'p', inputShape: [8, 8, 3], filters: 6, kernelSize: 3, depthMultiplier: 2, activation: 'relu', depthwiseInitializer: init(13), pointwiseInitializer: init(14), biasInitializer: bias(15) }),
        tf.layers.separableConv2d({ name: 'q', filters: 4, kernelSize: 3, depthMultiplier: 2, depthwiseInitializer: init(16), pointwiseInitializer: init(17) }),
        tf.layers.flatten({ name: 'flat' }),
        tf.layers.dense({ name: 'out', units: 2, kernelInitializer: init(18) }),
      ],
    });
    const transpose = tf.sequential({
      layers: [
        tf.layers.conv2dTranspose({ name: 'p', inputShape: [4, 4, 3], filters: 6, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', kernelInitializer: init(19), biasInitializer: bias(20) }),
        tf.layers.conv2dTranspose({ name: 'q', filters: 4, kernelSize: 3, kernelInitializer: init(21) }),
        tf.layers.globalMaxPooling2d({ name: 'gmp' }),
        tf.layers.dense({ name: 'out', units: 2, kernelInitializer: init(22) }),
      ],
    });
    for (const [model, outputAxis] of [[conv1d, 2], [separable, 3], [transpose, 2]] as const) {
      silence(model, 'p', [1, 4], outputAxis);
      const analysis = analyzeChannels(model);
      const id = groupOf(analysis, 'p');
      expect(analysis.groups[id].blocked).toBeUndefined();
      const pruned = await removeChannels(model, analysis, new Map([[id, [1, 4]]]));
      expect(modelStats(pruned).params).toBeLessThan(modelStats(model).params);
      expect(modelStats(pruned).flops).toBeLessThan(modelStats(model).flops);
      const x = inputsFor(model);
      // Saved as the pipeline saves it, loaded by plain tfjs.
      const loaded = await tf.loadLayersModel(tf.io.fromMemory(await modelArtifacts(pruned)));
      expect(maxAbsDiff(loaded.predict(x) as tf.Tensor, model.predict(x) as tf.Tensor)).toBeLessThan(1e-5);
      expect(loaded.getLayer('p').outputShape.slice(-1)).toEqual([4]);
    }
  });

  it('refuses two kinds for one class unless asked to replace, and names an unknown class in the reason', () => {
    expect(() => new LayerKindRegistry(builtinLayerKinds).register({ className: 'Dense', channels: () => ({ role: 'producer' }) })).toThrow(
      'layer kind "Dense" is already registered; pass { replace: true } to replace it',
    );
    expect(layerKinds.classNames()).toEqual(expect.arrayContaining(['Conv1D', 'SeparableConv2D', 'Conv2DTranspose', 'DepthwiseConv2D', 'BatchNormalization', 'Concatenate']));
    const model = tf.sequential({ layers: [tf.layers.dense({ name: 'd', inputShape: [4], units: 6 }), tf.layers.reshape({ name: 'r', targetShape: [2, 3] }), tf.layers.flatten({ name: 'f' }), tf.layers.dense({ name: 'o', units: 2 })] });
    const analysis = analyzeChannels(model);
    expect(analysis.groups[groupOf(analysis, 'd')].blocked).toBe('Reshape layer r');
  });
});

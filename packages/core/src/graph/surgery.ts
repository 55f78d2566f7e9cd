/**
 * Physical channel removal: builds a new, smaller LayersModel (same layer names and
 * topology, fewer filters/units) and copies the kept weights into it. The result is an
 * ordinary model that plain tfjs saves and loads. Shared by every structured technique.
 */
import * as tf from '@tensorflow/tfjs';
import type { ChannelAnalysis, ChannelGroup } from './channel-groups';
import { checkSameFunction } from './exactness';
import { layerKinds, LayerKindRegistry, WeightAxes } from './layer-kinds';
import { cloneModel, modelFromTopology, topologyOf } from './topology';

/** Group id → channel indices (0 ≤ k < group.size) to remove. */
export type ChannelRemovals = ReadonlyMap<number, readonly number[]>;

type AxisRole = 'producer' | 'channelwise' | 'consumer';

/** Length of the axis a role follows: the layer's input channels (consumer) or its output channels. */
function axisLength(analysis: ChannelAnalysis, layerName: string, role: AxisRole): number {
  const node = analysis.graph.nodes.get(layerName)!;
  if (role === 'consumer') return node.inputChannels[0];
  return node.outputShape[node.outputShape.length - 1] ?? 0;
}

function checkRemovals(analysis: ChannelAnalysis, removals: ChannelRemovals): void {
  for (const [id, channels] of removals) {
    const group: ChannelGroup | undefined = analysis.groups[id];
    if (!group) throw new Error(`no channel group ${id} (the model has ${analysis.groups.length})`);
    const label = `channel group ${id} (${group.producers.join(', ')})`;
    if (group.blocked && channels.length > 0) throw new Error(`${label} cannot be pruned: ${group.blocked}`);
    const unique = new Set(channels);
    for (const k of unique) if (!Number.isInteger(k) || k < 0 || k >= group.size) throw new Error(`${label}: channel ${k} is outside 0..${group.size - 1}`);
    if (unique.size >= group.size) throw new Error(`${label}: removing all ${group.size} channels would disconnect the model; keep at least one`);
  }
}

/** Per layer and role, a 0/1 keep flag for every index along that axis. */
function keepFlags(analysis: ChannelAnalysis, removals: ChannelRemovals): Map<string, Map<AxisRole, Uint8Array>> {
  const flags = new Map<string, Map<AxisRole, Uint8Array>>();
  const flagsFor = (layerName: string, role: AxisRole): Uint8Array => {
    let byRole = flags.get(layerName);
    if (!byRole) flags.set(layerName, (byRole = new Map()));
    let f = byRole.get(role);
    if (!f) byRole.set(role, (f = new Uint8Array(axisLength(analysis, layerName, role)).fill(1)));
    return f;
  };
  for (const [id, channels] of removals) {
    for (const m of analysis.groups[id].members) {
      const f = flagsFor(m.layer, m.role);
      for (const k of channels) {
        if (k < m.start || k >= m.start + m.length) continue;
        if (m.flatten) for (let p = 0; p < m.flatten.spatial; p++) f[p * m.flatten.channels + m.offset + k] = 0;
        else f[m.offset + k] = 0;
      }
    }
  }
  return flags;
}

function kept(flags: Uint8Array | undefined, length: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < length; i++) if (!flags || flags[i]) out.push(i);
  return out;
}

/**
 * The kept entries of `t` along `axis`, as a fresh tensor. Fresh, not a gather result: wasm's
 * Gather returns a reshaped view whose backend-side shape differs from its logical shape, and
 * wasm's FusedConv2D then rejects it as a bias ("only supports rank-1 bias but got rank 4").
 */
function gatherAxis(t: tf.Tensor, axis: number, flags: Uint8Array | undefined): tf.Tensor {
  if (!flags || flags.every((f) => f === 1)) return tf.tensor(t.dataSync(), t.shape, t.dtype);
  return tf.tidy(() => {
    const g = tf.gather(t, kept(flags, t.shape[axis]), axis);
    return tf.tensor(g.dataSync(), g.shape, g.dtype);
  });
}

/** Flags over channels stretched to an axis where channel c covers indices c·repeat … c·repeat + repeat − 1. */
function repeatFlags(flags: Uint8Array | undefined, repeat: number | undefined): Uint8Array | undefined {
  if (!flags || !repeat || repeat === 1) return flags;
  const out = new Uint8Array(flags.length * repeat);
  for (let c = 0; c < flags.length; c++) out.fill(flags[c], c * repeat, (c + 1) * repeat);
  return out;
}

/** The axes of each of the layer's weights that follow channels, from its layer kind; throws when the kind cannot say. */
function weightAxesOf(layer: tf.layers.Layer, kinds: LayerKindRegistry): readonly WeightAxes[] {
  const axes = kinds.get(layer.getClassName())?.weightAxes?.(layer);
  if (!axes) throw new Error(`surgery does not know how to slice ${layer.getClassName()} layer ${layer.name} (its layer kind declares no weightAxes)`);
  return axes;
}

/** `weights` (the layer's, in `getWeights()` order) with removed channels dropped. */
function slicedWeights(layer: tf.layers.Layer, weights: tf.Tensor[], roles: Map<AxisRole, Uint8Array> | undefined, kinds: LayerKindRegistry): tf.Tensor[] {
  if (!roles) return weights.map((w) => gatherAxis(w, 0, undefined));
  const axes = weightAxesOf(layer, kinds);
  return weights.map((w, i) => {
    const a = axes[i] ?? {};
    const steps: [number | undefined, Uint8Array | undefined][] = [
      [a.input, repeatFlags(roles.get('consumer'), a.inputRepeat)],
      [a.output, roles.get('producer')],
      [a.channel, roles.get('channelwise')],
    ];
    let t = gatherAxis(w, 0, undefined);
    for (const [axis, flags] of steps) {
      if (axis === undefined || !flags) continue;
      const next = gatherAxis(t, axis, flags);
      t.dispose();
      t = next;
    }
    return t;
  });
}

/**
 * `weights` with the removed input channels' entries set to zero and nothing sliced: the
 * function the smaller model must compute (a removed channel contributes nothing).
 */
function zeroedInputWeights(layer: tf.layers.Layer, weights: tf.Tensor[], roles: Map<AxisRole, Uint8Array> | undefined, kinds: LayerKindRegistry): tf.Tensor[] {
  const keepIn = roles?.get('consumer');
  if (!keepIn) return weights.map((w) => w.clone());
  const axes = weightAxesOf(layer, kinds);
  return weights.map((w, i) => {
    const a = axes[i] ?? {};
    const flags = a.input === undefined ? undefined : repeatFlags(keepIn, a.inputRepeat);
    if (a.input === undefined || !flags) return w.clone();
    const shape = w.shape.map((d, axis) => (axis === a.input ? d : 1));
    return tf.tidy(() => tf.mul(w, tf.tensor(Float32Array.from(flags), shape)));
  });
}

export interface RemoveChannelsOptions {
  /**
   * Mean-replacement compensation: consumer layer name → the mean of each entry of its input
   * (last axis; for a Dense behind Flatten, every flattened position) on calibration data, as
   * `consumerInputMeans` measures them. A removed input channel is replaced by its mean: what
   * it added on average moves into the consumer's bias, or, for a consumer without bias that
   * feeds a BatchNormalization directly, out of that layer's moving mean. Exact for channels
   * that are constant (e.g. a ReLU channel that never fires still adds relu(BN shift) to every
   * position); for 'same'-padded k×k kernels it ignores the border, where fewer taps see it.
   */
  readonly inputMeans?: ReadonlyMap<string, Float32Array>;
  /** Layer kinds to read (default: core's registry, with what plugins registered). */
  readonly kinds?: LayerKindRegistry;
  /**
   * Check the result before returning it (default true): the smaller model must compute what
   * the original computes with the removed channels' inputs zeroed (and the same mean
   * corrections), on seeded probe inputs. A layer that does not behave as its kind declares
   * fails here, naming the group, instead of giving a wrong model.
   */
  readonly verify?: boolean;
}

/** Consumers whose inputs `removals` shrinks (the layers mean-replacement must measure). */
export function affectedConsumers(analysis: ChannelAnalysis, removals: ChannelRemovals): string[] {
  const names = new Set<string>();
  for (const [id, channels] of removals) {
    if (channels.length === 0) continue;
    for (const m of analysis.groups[id].members) if (m.role === 'consumer') names.add(m.layer);
  }
  return [...names];
}

/** Per input entry of a consumer (last axis; every flattened position for a Dense behind Flatten): mean, min and max over examples and positions. */
export interface ConsumerInputStats {
  readonly mean: Float32Array;
  readonly min: Float32Array;
  readonly max: Float32Array;
}

/**
 * The mean of every entry of each consumer's input over `inputs` (a batch of model inputs),
 * taken in `batchSize` slices. Consumers fed by an InputLayer or applied more than once are
 * left out. One probe model serves all consumers.
 */
export function consumerInputMeans(model: tf.LayersModel, analysis: ChannelAnalysis, consumers: readonly string[], inputs: tf.Tensor, batchSize = 32): Map<string, Float32Array> {
  return new Map([...consumerInputStats(model, analysis, consumers, inputs, batchSize)].map(([name, s]) => [name, s.mean] as const));
}

/** Like `consumerInputMeans`, with the range of each entry too (to tell constant channels). */
export function consumerInputStats(model: tf.LayersModel, analysis: ChannelAnalysis, consumers: readonly string[], inputs: tf.Tensor, batchSize = 32): Map<string, ConsumerInputStats> {
  const feeds = new Map<string, string>();
  for (const name of consumers) {
    const node = analysis.graph.nodes.get(name);
    if (!node || node.shared || node.inputs.length !== 1) continue;
    const feed = analysis.graph.nodes.get(node.inputs[0]);
    if (!feed || feed.className === 'InputLayer') continue;
    feeds.set(name, feed.name);
  }
  const feedNames = [...new Set(feeds.values())];
  const stats = new Map<string, ConsumerInputStats>();
  if (feedNames.length === 0 || inputs.shape[0] === 0) return stats;
  const probe = tf.model({ inputs: model.inputs, outputs: feedNames.map((n) => model.getLayer(n).output as tf.SymbolicTensor) });
  const acc = new Map<string, { sum: Float64Array; min: Float32Array; max: Float32Array }>();
  const total = inputs.shape[0];
  for (let start = 0; start < total; start += batchSize) {
    const size = Math.min(batchSize, total - start);
    tf.tidy(() => {
      const x = tf.slice(inputs, start, size);
      const out = probe.predict(x);
      const outs = Array.isArray(out) ? out : [out];
      outs.forEach((t, i) => {
        const axes = Array.from({ length: t.rank - 1 }, (_, a) => a);
        const sum = tf.sum(t, axes).dataSync();
        const lo = tf.min(t, axes).dataSync();
        const hi = tf.max(t, axes).dataSync();
        const perExample = t.shape.slice(1, -1).reduce((a, b) => a * b, 1);
        let a = acc.get(feedNames[i]);
        if (!a) acc.set(feedNames[i], (a = { sum: new Float64Array(sum.length), min: new Float32Array(sum.length).fill(Infinity), max: new Float32Array(sum.length).fill(-Infinity) }));
        for (let c = 0; c < sum.length; c++) {
          a.sum[c] += sum[c] / perExample;
          a.min[c] = Math.min(a.min[c], lo[c]);
          a.max[c] = Math.max(a.max[c], hi[c]);
        }
      });
    });
  }
  for (const [consumer, feed] of feeds) {
    const a = acc.get(feed)!;
    stats.set(consumer, { mean: Float32Array.from(a.sum, (v) => v / total), min: a.min, max: a.max });
  }
  return stats;
}

/**
 * Per layer, per weight index: what to add to that weight (full length, before slicing) so
 * each consumer's removed inputs are replaced by their means.
 */
function meanCorrections(analysis: ChannelAnalysis, flags: Map<string, Map<AxisRole, Uint8Array>>, inputMeans: ReadonlyMap<string, Float32Array>, kinds: LayerKindRegistry): Map<string, Map<number, Float32Array>> {
  const corrections = new Map<string, Map<number, Float32Array>>();
  const add = (layer: string, index: number, delta: Float32Array, sign: number): void => {
    let byIndex = corrections.get(layer);
    if (!byIndex) corrections.set(layer, (byIndex = new Map()));
    const acc = byIndex.get(index) ?? new Float32Array(delta.length);
    for (let o = 0; o < delta.length; o++) acc[o] += sign * delta[o];
    byIndex.set(index, acc);
  };
  for (const [name, means] of inputMeans) {
    const keep = flags.get(name)?.get('consumer');
    const node = analysis.graph.nodes.get(name);
    if (!keep || !node) continue;
    // Only a plain linear kernel [taps…, inputs, outputs] turns a constant input into a bias.
    if (!kinds.get(node.className)?.linearKernel) continue;
    const kernel = node.layer.getWeights()[0];
    const [inputs, outputs] = kernel.shape.slice(-2);
    if (means.length !== inputs) throw new Error(`inputMeans for ${name} has ${means.length} entries, its kernel takes ${inputs} inputs`);
    const k = kernel.dataSync();
    const taps = k.length / (inputs * outputs);
    const delta = new Float32Array(outputs);
    for (let i = 0; i < inputs; i++) {
      if (keep[i] || means[i] === 0) continue;
      for (let t = 0; t < taps; t++) {
        const base = (t * inputs + i) * outputs;
        for (let o = 0; o < outputs; o++) delta[o] += means[i] * k[base + o];
      }
    }
    const useBias = node.layer.getWeights().length > 1;
    const next = node.outputs.length === 1 ? analysis.graph.nodes.get(node.outputs[0]) : undefined;
    if (useBias) add(name, 1, delta, 1);
    else if (next?.className === 'BatchNormalization' && !next.shared) {
      const meanIndex = next.layer.weights.findIndex((w) => w.name.endsWith('moving_mean'));
      if (meanIndex >= 0) add(next.name, meanIndex, delta, -1);
    }
  }
  return corrections;
}

/**
 * Kernel masks (layer name → 0/1 per kernel entry, tfjs layout) cut to the kernels that
 * `removeChannels` with the same removals builds: removed output channels and removed input
 * rows are dropped, everything else keeps its flag.
 */
export function sliceKernelMasks(analysis: ChannelAnalysis, removals: ChannelRemovals, masks: ReadonlyMap<string, Uint8Array>, kinds: LayerKindRegistry = layerKinds): Map<string, Uint8Array> {
  const flags = keepFlags(analysis, removals);
  const out = new Map<string, Uint8Array>();
  for (const [layerName, mask] of masks) {
    const roles = flags.get(layerName);
    const node = analysis.graph.nodes.get(layerName);
    if (!roles || !node) {
      out.set(layerName, mask);
      continue;
    }
    const kernel = node.layer.getWeights()[0];
    if (mask.length !== kernel.size) throw new Error(`mask for ${layerName} has ${mask.length} entries, its kernel has ${kernel.size}`);
    // The mask is cut exactly as the kernel is (the layer kind's axes of its first weight).
    const asTensor = tf.tensor(Float32Array.from(mask), kernel.shape);
    const [sliced] = slicedWeights(node.layer, [asTensor], roles, kinds);
    out.set(layerName, Uint8Array.from(sliced.dataSync()));
    tf.dispose([asTensor, sliced]);
  }
  return out;
}

/**
 * Returns a new model without the given channels. The input model is not changed. Throws,
 * naming the group, for blocked groups, out-of-range indices, or removing a whole group.
 */
export async function removeChannels(model: tf.LayersModel, analysis: ChannelAnalysis, removals: ChannelRemovals, options: RemoveChannelsOptions = {}): Promise<tf.LayersModel> {
  checkRemovals(analysis, removals);
  const kinds = options.kinds ?? layerKinds;
  const flags = keepFlags(analysis, removals);
  const corrections = options.inputMeans ? meanCorrections(analysis, flags, options.inputMeans, kinds) : new Map<string, Map<number, Float32Array>>();
  const json = topologyOf(model, kinds);
  for (const entry of json.config.layers) {
    const out = flags.get(entry.config.name)?.get('producer');
    if (!out) continue;
    const widthKey = kinds.get(entry.class_name)?.widthKey;
    if (!widthKey) throw new Error(`surgery does not know the output width of ${entry.class_name} layer ${entry.config.name} (its layer kind declares no widthKey)`);
    entry.config[widthKey] = kept(out, out.length).length;
  }
  const pruned = await modelFromTopology(json, flags.keys());
  const reference = options.verify === false ? undefined : await cloneModel(model);
  try {
    for (const layer of pruned.layers) {
      const source = analysis.graph.nodes.get(layer.name)?.layer;
      if (!source || source.getWeights().length === 0) continue;
      const original = source.getWeights();
      const corrected = original.map((w, i) => {
        const delta = corrections.get(layer.name)?.get(i);
        return delta ? tf.tidy(() => tf.add(w, tf.tensor(delta, w.shape))) : w;
      });
      const roles = flags.get(layer.name);
      const weights = slicedWeights(source, corrected, roles, kinds);
      layer.setWeights(weights);
      tf.dispose(weights);
      if (reference) {
        const zeroed = zeroedInputWeights(source, corrected, roles, kinds);
        reference.getLayer(layer.name).setWeights(zeroed);
        tf.dispose(zeroed);
      }
      tf.dispose(corrected.filter((w, i) => w !== original[i]));
    }
    if (reference) checkSameFunction(reference, pruned, () => removalLabel(analysis, removals));
  } catch (err) {
    pruned.dispose();
    throw err;
  } finally {
    reference?.dispose();
  }
  return pruned;
}

/** The groups a removal touches, for an error message. */
function removalLabel(analysis: ChannelAnalysis, removals: ChannelRemovals): string {
  const parts = [...removals].filter(([, channels]) => channels.length > 0).map(([id, channels]) => `${channels.length} of group ${id} (${analysis.groups[id].producers.join(', ')})`);
  return `removing channels ${parts.join('; ')}`;
}

/**
 * Physical channel removal: builds a new, smaller LayersModel (same layer names and
 * topology, fewer filters/units) and copies the kept weights into it. The result is an
 * ordinary model that plain tfjs saves and loads. Shared by every structured technique.
 */
import * as tf from '@tensorflow/tfjs';
import type { ChannelAnalysis, ChannelGroup } from './channel-groups';
import { modelFromTopology, topologyOf } from './topology';

/** Group id → channel indices (0 ≤ k < group.size) to remove. */
export type ChannelRemovals = ReadonlyMap<number, readonly number[]>;

type AxisRole = 'producer' | 'channelwise' | 'consumer';

/** Length of the axis a role slices: output channels, per-channel params, or kernel inputs. */
function axisLength(layer: tf.layers.Layer, role: AxisRole): number {
  const kernel = layer.getWeights()[0];
  if (role === 'consumer') return kernel.shape[kernel.rank - 2];
  const shape = layer.outputShape as number[];
  return shape[shape.length - 1];
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
    if (!f) byRole.set(role, (f = new Uint8Array(axisLength(analysis.graph.nodes.get(layerName)!.layer, role)).fill(1)));
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

/** The layer's weights with removed channels dropped, in `getWeights()` order. */
function slicedWeights(layer: tf.layers.Layer, roles: Map<AxisRole, Uint8Array> | undefined): tf.Tensor[] {
  const weights = layer.getWeights();
  const cls = layer.getClassName();
  if (!roles) return weights.map((w) => gatherAxis(w, 0, undefined));
  if (cls === 'Conv2D' || cls === 'Dense') {
    const [kernel, ...rest] = weights;
    let k = gatherAxis(kernel, kernel.rank - 2, roles.get('consumer'));
    const sliced = gatherAxis(k, k.rank - 1, roles.get('producer'));
    k.dispose();
    k = sliced;
    return [k, ...rest.map((b) => gatherAxis(b, 0, roles.get('producer')))];
  }
  if (cls === 'DepthwiseConv2D') {
    const [kernel, ...rest] = weights;
    return [gatherAxis(kernel, 2, roles.get('channelwise')), ...rest.map((b) => gatherAxis(b, 0, roles.get('channelwise')))];
  }
  if (cls === 'BatchNormalization') return weights.map((w) => gatherAxis(w, 0, roles.get('channelwise')));
  throw new Error(`surgery does not know how to slice ${cls} layer ${layer.name}`);
}

/**
 * Returns a new model without the given channels. The input model is not changed. Throws,
 * naming the group, for blocked groups, out-of-range indices, or removing a whole group.
 */
export async function removeChannels(model: tf.LayersModel, analysis: ChannelAnalysis, removals: ChannelRemovals): Promise<tf.LayersModel> {
  checkRemovals(analysis, removals);
  const flags = keepFlags(analysis, removals);
  const json = topologyOf(model);
  for (const entry of json.config.layers) {
    const out = flags.get(entry.config.name)?.get('producer');
    if (!out) continue;
    const count = kept(out, out.length).length;
    if (entry.class_name === 'Conv2D') entry.config.filters = count;
    else if (entry.class_name === 'Dense') entry.config.units = count;
  }
  const pruned = await modelFromTopology(json, flags.keys());
  for (const layer of pruned.layers) {
    const source = analysis.graph.nodes.get(layer.name)?.layer;
    if (!source || source.getWeights().length === 0) continue;
    const weights = slicedWeights(source, flags.get(layer.name));
    layer.setWeights(weights);
    tf.dispose(weights);
  }
  return pruned;
}

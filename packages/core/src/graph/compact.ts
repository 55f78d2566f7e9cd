/**
 * Compaction: the channels that kernel masks have already made useless, removed physically.
 * Structured masks (whole rows and columns of GEMM matrices, whole filters) leave channels
 * that change nothing; taking them out gives a smaller dense model with the same function.
 */
import type * as tf from '@tensorflow/tfjs';
import type { ChannelAnalysis, ChannelGroup, ChannelMember } from './channel-groups';
import { layerKinds, LayerKindRegistry } from './layer-kinds';
import { consumerInputStats, removeChannels, sliceKernelMasks } from './surgery';

/** Which channels can go, and why. */
export interface DeadChannels {
  /** Group id → channels to remove (each group keeps at least one). */
  readonly removals: Map<number, number[]>;
  /** Channels no consumer reads: every kernel entry of every consumer that reads them is masked. */
  readonly unread: number;
  /**
   * Channels whose producers' kernel rows are all masked, so they carry a constant (the bias
   * through BatchNorm and activations), measured constant at every consumer's input; their
   * value moves into the consumers' biases (only where every consumer is a Dense or a 'valid'
   * Conv2D, which see the constant at every position).
   */
  readonly constant: number;
  /** Consumer → input means, for `removeChannels`' mean replacement of the constant channels. */
  readonly inputMeans?: Map<string, Float32Array>;
}

function kernelOf(analysis: ChannelAnalysis, layer: string): { inputs: number; outputs: number; taps: number } | undefined {
  const node = analysis.graph.nodes.get(layer);
  const kernel = node?.layer.getWeights()[0];
  if (!kernel || kernel.rank < 2) return undefined;
  const [inputs, outputs] = kernel.shape.slice(-2);
  return { inputs, outputs, taps: kernel.size / (inputs * outputs) };
}

/** Input rows of a consumer's kernel that carry channel k of its group. */
function inputRows(m: ChannelMember, k: number): number[] {
  if (k < m.start || k >= m.start + m.length) return [];
  if (!m.flatten) return [m.offset + k];
  return Array.from({ length: m.flatten.spatial }, (_, p) => p * m.flatten!.channels + m.offset + k);
}

/** Every kernel entry of `mask` in input row i is 0 (all taps, all outputs). */
function rowMasked(mask: Uint8Array, shape: { inputs: number; outputs: number; taps: number }, i: number): boolean {
  for (let t = 0; t < shape.taps; t++) {
    const base = (t * shape.inputs + i) * shape.outputs;
    for (let o = 0; o < shape.outputs; o++) if (mask[base + o]) return false;
  }
  return true;
}

/** Every kernel entry of `mask` in output column o is 0. */
function outputMasked(mask: Uint8Array, shape: { inputs: number; outputs: number; taps: number }, o: number): boolean {
  for (let q = 0; q < shape.taps * shape.inputs; q++) if (mask[q * shape.outputs + o]) return false;
  return true;
}

/** True when every consumer sees a constant input channel as a constant at every output position. */
function constantFoldable(analysis: ChannelAnalysis, group: ChannelGroup, kinds: LayerKindRegistry): boolean {
  // A depthwise filter (channelwise with a spatial kernel) does not see a constant as a constant at borders.
  if (group.members.some((m) => m.role === 'channelwise' && (analysis.graph.nodes.get(m.layer)?.layer.getWeights()[0]?.rank ?? 1) > 1)) return false;
  return group.members.every((m) => {
    if (m.role !== 'consumer') return true;
    const node = analysis.graph.nodes.get(m.layer);
    const linear = node && kinds.get(node.className)?.linearKernel;
    if (!node || !linear) return false;
    if (linear === 'dense') return true;
    const config = node.layer.getConfig() as { padding?: string; kernelSize?: number[] };
    return config.padding === 'valid' || (config.kernelSize ?? []).every((k) => k === 1);
  });
}

/**
 * The channels that `masks` (layer name → 0/1 per kernel entry, tfjs layout; already applied
 * to the model's weights) have made dead.
 * Without `calibration` only unread channels count; with it (a batch of model inputs),
 * constant channels too, checked on that batch.
 */
export function deadChannels(model: tf.LayersModel, analysis: ChannelAnalysis, masks: ReadonlyMap<string, Uint8Array>, calibration?: tf.Tensor): DeadChannels {
  const removals = new Map<number, number[]>();
  const constantCandidates = new Map<number, number[]>();
  let unread = 0;
  for (const group of analysis.groups) {
    if (group.blocked) continue;
    const consumers = group.members.filter((m) => m.role === 'consumer');
    const producers = group.members.filter((m) => m.role === 'producer');
    if (consumers.length === 0) continue;
    const dead: number[] = [];
    const flat: number[] = [];
    for (let k = 0; k < group.size; k++) {
      const isUnread = consumers.every((m) => {
        const mask = masks.get(m.layer);
        const shape = kernelOf(analysis, m.layer);
        return mask !== undefined && shape !== undefined && inputRows(m, k).every((i) => rowMasked(mask, shape, i));
      });
      if (isUnread) {
        dead.push(k);
        continue;
      }
      const rowsGone = producers.every((m) => {
        const mask = masks.get(m.layer);
        const shape = kernelOf(analysis, m.layer);
        return mask !== undefined && shape !== undefined && outputMasked(mask, shape, m.offset + k);
      });
      if (rowsGone) flat.push(k);
    }
    unread += dead.length;
    if (dead.length > 0) removals.set(group.id, dead);
    if (flat.length > 0 && calibration && constantFoldable(analysis, group, layerKinds)) constantCandidates.set(group.id, flat);
  }
  let constant = 0;
  let inputMeans: Map<string, Float32Array> | undefined;
  if (constantCandidates.size > 0 && calibration) {
    const consumers = new Set<string>();
    for (const id of constantCandidates.keys()) for (const m of analysis.groups[id].members) if (m.role === 'consumer') consumers.add(m.layer);
    for (const id of removals.keys()) for (const m of analysis.groups[id].members) if (m.role === 'consumer') consumers.add(m.layer);
    const stats = consumerInputStats(model, analysis, [...consumers], calibration);
    for (const [id, channels] of constantCandidates) {
      const group = analysis.groups[id];
      const constantChannels = channels.filter((k) =>
        group.members.every((m) => {
          if (m.role !== 'consumer') return true;
          const s = stats.get(m.layer);
          return s !== undefined && inputRows(m, k).every((i) => s.max[i] - s.min[i] <= 1e-6 * Math.max(1, Math.abs(s.mean[i])));
        }),
      );
      if (constantChannels.length === 0) continue;
      constant += constantChannels.length;
      removals.set(id, [...(removals.get(id) ?? []), ...constantChannels].sort((a, b) => a - b));
    }
    if (constant > 0) inputMeans = new Map([...stats].map(([name, s]) => [name, s.mean] as const));
  }
  // A group keeps at least one channel: removing all would disconnect the model.
  for (const [id, channels] of removals) {
    if (channels.length >= analysis.groups[id].size) removals.set(id, channels.slice(1));
  }
  return { removals, unread, constant, ...(inputMeans ? { inputMeans } : {}) };
}

/**
 * Removes the dead channels of `masks` from `model` (a new model; the input is unchanged)
 * and cuts the masks to the new kernels. The function of the model is unchanged: unread
 * channels contribute nothing, constant ones move into biases.
 */
export async function compactMasked(
  model: tf.LayersModel,
  analysis: ChannelAnalysis,
  masks: ReadonlyMap<string, Uint8Array>,
  calibration?: tf.Tensor,
): Promise<{ model: tf.LayersModel; masks: Map<string, Uint8Array>; dead: DeadChannels }> {
  const dead = deadChannels(model, analysis, masks, calibration);
  return { ...(await removeDead(model, analysis, masks, dead)), dead };
}

/** Removes `dead` (found by `deadChannels` on the same model and masks): a new model, and the masks cut to it. */
export async function removeDead(
  model: tf.LayersModel,
  analysis: ChannelAnalysis,
  masks: ReadonlyMap<string, Uint8Array>,
  dead: DeadChannels,
): Promise<{ model: tf.LayersModel; masks: Map<string, Uint8Array> }> {
  const smaller = await removeChannels(model, analysis, dead.removals, { inputMeans: dead.inputMeans });
  return { model: smaller, masks: sliceKernelMasks(analysis, dead.removals, masks) };
}

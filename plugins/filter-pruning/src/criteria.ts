/**
 * Per-channel importance for each channel group. Scorers read the model; they never change it.
 */
import { ArrayDataset, ChannelAnalysis, ChannelGroup, layerKinds, modelInputShape, Rng, tf } from '@nncompress/core';
import type { FilterCriterion } from './schema';

/**
 * Per-channel statistic of the producer filters of a group (summed over joined producers):
 * min-weight ranks by the sum of |w| (Li et al. 2016: filters of minimum weight go first),
 * average-weight by the mean of |w|, l2-weight by the L2 norm.
 */
function weightScores(model: tf.LayersModel, group: ChannelGroup, criterion: FilterCriterion): Float32Array {
  const out = new Float32Array(group.size);
  for (const name of group.producers) {
    const kernel = model.getLayer(name).getWeights()[0];
    const values = kernel.dataSync();
    const perChannel = kernel.size / group.size; // kernels are [..., in, out]: out is the fastest axis
    const acc = new Float64Array(group.size);
    for (let i = 0; i < values.length; i++) acc[i % group.size] += criterion === 'l2-weight' ? values[i] * values[i] : Math.abs(values[i]);
    for (let c = 0; c < group.size; c++) {
      out[c] += criterion === 'l2-weight' ? Math.sqrt(acc[c]) : criterion === 'average-weight' ? acc[c] / perChannel : acc[c];
    }
  }
  return out;
}

/**
 * The layer whose output is measured for a group: its last activation (ReLU…) or, when the
 * group has none (linear residual projections), the last layer that carries the group's
 * channels before a consumer reads them.
 */
export function measureLayer(analysis: ChannelAnalysis, group: ChannelGroup): { layer: string; rectified: boolean } {
  const carriers = analysis.graph.order.filter((n) => analysis.outputGroups.get(n) === group.id);
  const isActivation = (n: string): boolean => {
    const node = analysis.graph.nodes.get(n)!;
    const activation = layerKinds.get(node.className)?.activation?.(node.layer);
    // A producer counts when its fused activation rectifies; an activation layer always does.
    if (group.producers.includes(n)) return activation === 'relu' || activation === 'relu6';
    return activation !== undefined;
  };
  const activations = carriers.filter(isActivation);
  if (activations.length > 0) return { layer: activations[activations.length - 1], rectified: true };
  return { layer: carriers[carriers.length - 1], rectified: false };
}

/**
 * Mean activation or 1 − APoZ per channel, over `batches` batches of `data`. Groups without a
 * ReLU use mean |activation| for both criteria (nothing is exactly zero there).
 */
function activationScores(model: tf.LayersModel, analysis: ChannelAnalysis, groups: readonly ChannelGroup[], criterion: 'mean-activation' | 'apoz', data: ArrayDataset, batches: number, batchSize: number, rng: Rng): Map<number, Float32Array> {
  const targets = groups.map((g) => ({ group: g, ...measureLayer(analysis, g) }));
  const probe = tf.model({ inputs: model.inputs, outputs: targets.map((t) => model.getLayer(t.layer).output as tf.SymbolicTensor) });
  const sums = targets.map((t) => new Float64Array(t.group.size));
  let seen = 0;
  const inputShape = modelInputShape(model);
  for (const batch of data.batches(batchSize, inputShape, rng)) {
    if (seen >= batches) {
      tf.dispose([batch.x, batch.y]);
      break;
    }
    tf.tidy(() => {
      const outs = probe.predict(batch.x);
      const list = Array.isArray(outs) ? outs : [outs];
      list.forEach((a, i) => {
        const axes = a.shape.slice(0, -1).map((_, k) => k);
        const useZeros = criterion === 'apoz' && targets[i].rectified;
        const stat = useZeros ? tf.mean(tf.cast(tf.greater(a, 0), 'float32'), axes) : tf.mean(tf.abs(a), axes);
        const v = stat.dataSync();
        for (let c = 0; c < v.length; c++) sums[i][c] += v[c];
      });
    });
    tf.dispose([batch.x, batch.y]);
    seen++;
  }
  const out = new Map<number, Float32Array>();
  targets.forEach((t, i) => out.set(t.group.id, Float32Array.from(sums[i], (s) => s / Math.max(1, seen))));
  return out;
}

export interface ScoreOptions {
  readonly criterion: FilterCriterion;
  readonly data?: ArrayDataset;
  readonly batches?: number;
  readonly batchSize?: number;
  readonly rng?: Rng;
}

/** Scores of every unblocked group of `analysis`; higher means more important. */
export function scoreChannels(model: tf.LayersModel, analysis: ChannelAnalysis, options: ScoreOptions): Map<number, Float32Array> {
  const groups = analysis.groups.filter((g) => !g.blocked);
  if (options.criterion === 'mean-activation' || options.criterion === 'apoz') {
    if (!options.data || options.data.size === 0) throw new Error(`the ${options.criterion} criterion needs target data`);
    return activationScores(model, analysis, groups, options.criterion, options.data, options.batches ?? 4, options.batchSize ?? 16, options.rng ?? new Rng(0));
  }
  return new Map(groups.map((g) => [g.id, weightScores(model, g, options.criterion)] as const));
}

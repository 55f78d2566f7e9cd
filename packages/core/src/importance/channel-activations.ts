/** Shared by the activation-based channel measures: per-channel statistics of a group's output on data. */
import * as tf from '@tensorflow/tfjs';
import { modelInputShape } from '../datasets/dataset';
import type { ChannelAnalysis, ChannelGroup } from '../graph/channel-groups';
import { layerKinds } from '../graph/layer-kinds';
import { Rng } from '../util/rng';
import type { ImportanceInput } from './measure';

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
 * The mean over `input.batches` batches of a per-channel statistic of each group's measured
 * output: `statistic(activations, rectified)` reduces all axes but the last.
 */
export function activationStatistic(
  id: string,
  model: tf.LayersModel,
  analysis: ChannelAnalysis,
  groups: readonly ChannelGroup[],
  input: ImportanceInput,
  statistic: (activations: tf.Tensor, axes: number[], rectified: boolean) => tf.Tensor,
): Map<number, Float32Array> {
  const data = input.data;
  if (!data || data.size === 0) throw new Error(`the ${id} criterion needs target data`);
  const batches = input.batches ?? 4;
  const targets = groups.map((g) => ({ group: g, ...measureLayer(analysis, g) }));
  const probe = tf.model({ inputs: model.inputs, outputs: targets.map((t) => model.getLayer(t.layer).output as tf.SymbolicTensor) });
  const sums = targets.map((t) => new Float64Array(t.group.size));
  let seen = 0;
  for (const batch of data.batches(input.batchSize ?? 16, modelInputShape(model), input.rng ?? new Rng(0))) {
    if (seen >= batches) {
      tf.dispose([batch.x, batch.y]);
      break;
    }
    tf.tidy(() => {
      const outs = probe.predict(batch.x);
      (Array.isArray(outs) ? outs : [outs]).forEach((a, i) => {
        const v = statistic(a, a.shape.slice(0, -1).map((_, k) => k), targets[i].rectified).dataSync();
        for (let c = 0; c < v.length; c++) sums[i][c] += v[c];
      });
    });
    tf.dispose([batch.x, batch.y]);
    seen++;
  }
  return new Map(targets.map((t, i) => [t.group.id, Float32Array.from(sums[i], (s) => s / Math.max(1, seen))] as const));
}

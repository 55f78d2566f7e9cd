/** Shared by the weight-based channel measures: a statistic of each channel's filters, summed over a group's producers. */
import type * as tf from '@tensorflow/tfjs';
import type { ChannelGroup } from '../graph/channel-groups';

/**
 * Per-channel `finish(accumulated, entriesPerChannel)` of `entry(w)` summed over each
 * channel's kernel entries; kernels are [..., in, out], so out (the channel) is the fastest axis.
 */
export function filterStatistic(model: tf.LayersModel, groups: readonly ChannelGroup[], entry: (w: number) => number, finish: (sum: number, perChannel: number) => number): Map<number, Float32Array> {
  const out = new Map<number, Float32Array>();
  for (const group of groups) {
    const scores = new Float32Array(group.size);
    for (const name of group.producers) {
      const kernel = model.getLayer(name).getWeights()[0];
      const values = kernel.dataSync();
      const acc = new Float64Array(group.size);
      for (let i = 0; i < values.length; i++) acc[i % group.size] += entry(values[i]);
      for (let c = 0; c < group.size; c++) scores[c] += finish(acc[c], kernel.size / group.size);
    }
    out.set(group.id, scores);
  }
  return out;
}

/**
 * An importance measure in one file: filter pruning via geometric median (He, Liu, Wang, Hu
 * and Yang, "Filter Pruning via Geometric Median for Deep Convolutional Neural Networks
 * Acceleration", CVPR 2019). A filter close to the others is redundant: what it computes, the
 * rest can stand in for. A channel's score is the sum of Euclidean distances from its filter
 * to every other filter of the layer (summed over the producers of its group), so the filters
 * nearest the geometric median score lowest and go first. Declared in this package's
 * `importanceMeasures`, it is named like core's, e.g. filter-pruning's
 * `criterion: geometric-median`.
 */
import { defineImportance } from '@nncompress/core';

export const geometricMedian = defineImportance({
  id: 'geometric-median',
  granularity: 'channel',
  needsData: false,
  description: "Sum of Euclidean distances from the channel's filter to the layer's other filters; the ones nearest the geometric median go first (He et al. 2019).",
  score: (model, _analysis, groups) => {
    const out = new Map<number, Float32Array>();
    for (const group of groups) {
      const scores = new Float32Array(group.size);
      for (const producer of group.producers) {
        const values = model.getLayer(producer).getWeights()[0].dataSync();
        const n = group.size; // kernels are [..., in, out]: out (the channel) is the fastest axis
        const perFilter = values.length / n;
        for (let a = 0; a < n; a++) {
          for (let b = a + 1; b < n; b++) {
            let squared = 0;
            for (let i = 0; i < perFilter; i++) {
              const d = values[i * n + a] - values[i * n + b];
              squared += d * d;
            }
            const distance = Math.sqrt(squared);
            scores[a] += distance;
            scores[b] += distance;
          }
        }
      }
      out.set(group.id, scores);
    }
    return out;
  },
});

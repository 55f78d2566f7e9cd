/**
 * One-dimensional k-means (Lloyd's algorithm) over a tensor's non-zero values, as Deep
 * Compression shares weights (Han, Mao & Dally 2016): centroids start evenly spaced between
 * the smallest and largest weight ("linear", which keeps the few large weights their own
 * clusters; the paper found it best) or at evenly spaced quantiles ("density", more clusters
 * where weights crowd near zero). Exact zeros are pruned weights: they are never clustered,
 * and stay zero. Deterministic: no random start.
 */

import { PINNED_ZERO } from '@nncompress/core';
import { nearestInSorted } from '@nncompress/core/model';

export type ClusterInit = 'linear' | 'density';

/** Cluster index of an entry that is not clustered (an exact zero, which stays +0). */
export const ZERO_ENTRY = PINNED_ZERO;

export interface Clustering {
  /** Float32 centroids, ascending (per channel, for `kmeansPerChannel`); every one has at least one member. */
  readonly centroids: Float32Array;
  /** Per entry, its centroid's index, or `ZERO_ENTRY` for zeros. */
  readonly clusters: Int32Array;
}

/** Clusters `values` into at most `k` centroids (fewer when there are fewer distinct non-zero values). */
export function kmeans(values: Float32Array, k: number, init: ClusterInit = 'linear', iterations = 30): Clustering {
  if (!(Number.isInteger(k) && k >= 1)) throw new Error(`k-means needs k ≥ 1 clusters, got ${k}`);
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) throw new Error(`k-means takes finite values; entry ${i} is ${values[i]}`);
  const sorted = Float64Array.from(values.filter((v) => v !== 0)).sort();
  const n = sorted.length;
  let centroids: Float64Array;
  const distinct = [...new Set(sorted)];
  if (distinct.length <= k) {
    centroids = Float64Array.from(distinct);
  } else {
    centroids = new Float64Array(k);
    const lo = sorted[0];
    const hi = sorted[n - 1];
    for (let j = 0; j < k; j++) centroids[j] = init === 'linear' ? lo + ((hi - lo) * j) / (k - 1 || 1) : sorted[Math.min(n - 1, Math.floor(((j + 0.5) * n) / k))];
    // Sorted values fall into consecutive runs per cluster: a sweep assigns them.
    const counts = new Float64Array(k);
    const sums = new Float64Array(k);
    let previous = '';
    for (let it = 0; it < iterations; it++) {
      counts.fill(0);
      sums.fill(0);
      let j = 0;
      for (let i = 0; i < n; i++) {
        const x = sorted[i];
        while (j < k - 1 && x > (centroids[j] + centroids[j + 1]) / 2) j++;
        counts[j]++;
        sums[j] += x;
      }
      for (let c = 0; c < k; c++) if (counts[c] > 0) centroids[c] = sums[c] / counts[c];
      // Density starts can tie: equal centroids split nothing, keep them ordered and move on.
      for (let c = 1; c < k; c++) if (centroids[c] < centroids[c - 1]) centroids[c] = centroids[c - 1];
      const key = counts.join(',');
      if (key === previous) break;
      previous = key;
    }
  }
  // Rounded to float32 (what the model stores), duplicates and empty clusters dropped.
  const rounded = [...new Set(Array.from(centroids, (c) => Math.fround(c)))].sort((a, b) => a - b);
  const clusters = new Int32Array(values.length);
  const used = new Uint8Array(rounded.length);
  for (let i = 0; i < values.length; i++) {
    if (values[i] === 0) {
      clusters[i] = ZERO_ENTRY;
      continue;
    }
    const c = nearestInSorted(rounded, values[i]);
    clusters[i] = c;
    used[c] = 1;
  }
  const renumber = new Int32Array(rounded.length);
  const kept: number[] = [];
  rounded.forEach((c, j) => {
    renumber[j] = kept.length;
    if (used[j]) kept.push(c);
  });
  for (let i = 0; i < clusters.length; i++) if (clusters[i] !== ZERO_ENTRY) clusters[i] = renumber[clusters[i]];
  return { centroids: Float32Array.from(kept), clusters };
}


/** The values a clustering gives: each entry its centroid, zeros +0. */
export function sharedValues(clustering: Clustering): Float32Array {
  const { centroids, clusters } = clustering;
  return Float32Array.from(clusters, (c) => (c === ZERO_ENTRY ? 0 : centroids[c]));
}

/**
 * k-means in each output channel apart (entry i in channel i mod `channels`): at most `k`
 * centroids per channel, numbered channel by channel (channel 0's ascending, then channel
 * 1's, …). Compact networks have filters of very different ranges (a depthwise filter next to
 * its neighbour can differ a hundredfold), which one codebook per kernel spends its
 * centroids on; one per filter fits each.
 */
export function kmeansPerChannel(values: Float32Array, channels: number, k: number, init: ClusterInit = 'linear', iterations = 30): Clustering {
  if (!(Number.isInteger(channels) && channels >= 1 && values.length % channels === 0)) throw new Error(`k-means per channel: ${channels} channels do not divide ${values.length} values`);
  const clusters = new Int32Array(values.length);
  const centroids: number[] = [];
  const members = new Float32Array(values.length / channels);
  for (let c = 0; c < channels; c++) {
    for (let i = c, j = 0; i < values.length; i += channels) members[j++] = values[i];
    const one = kmeans(members, k, init, iterations);
    const offset = centroids.length;
    centroids.push(...one.centroids);
    for (let i = c, j = 0; i < values.length; i += channels, j++) clusters[i] = one.clusters[j] === ZERO_ENTRY ? ZERO_ENTRY : offset + one.clusters[j];
  }
  return { centroids: Float32Array.from(centroids), clusters };
}

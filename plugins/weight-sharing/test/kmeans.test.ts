import fc from 'fast-check';
import { kmeans, kmeansPerChannel, sharedValues, ZERO_ENTRY } from '@nncompress/plugin-weight-sharing';

describe('k-means over a tensor', () => {
  it('finds the two obvious clusters of a hand-checkable tensor, and leaves zeros at zero', () => {
    const values = Float32Array.of(0, 1, 1.2, 0, 5, 5.4, -0, 0.8);
    const { centroids, clusters } = kmeans(values, 2);
    expect([...centroids]).toEqual([Math.fround(1), Math.fround(5.2)]);
    expect([...clusters]).toEqual([ZERO_ENTRY, 0, 0, ZERO_ENTRY, 1, 1, ZERO_ENTRY, 0]);
    const shared = sharedValues({ centroids, clusters });
    expect([...shared]).toEqual([0, 1, 1, 0, Math.fround(5.2), Math.fround(5.2), 0, 1]);
    // −0 comes back +0 (pruned weights are +0 everywhere in this project).
    expect(Object.is(shared[6], 0)).toBe(true);
  });

  it('linear starts keep a lone large weight its own cluster; density starts spend clusters where weights crowd', () => {
    // 99 weights near zero and one large one.
    const values = Float32Array.from({ length: 100 }, (_, i) => (i === 99 ? 10 : (i - 49) / 490));
    const linear = kmeans(values, 4, 'linear');
    expect(linear.centroids[linear.centroids.length - 1]).toBe(10);
    const density = kmeans(values, 4, 'density');
    const nearZero = (c: Float32Array): number => c.filter((x) => Math.abs(x) < 1).length;
    expect(nearZero(density.centroids)).toBeGreaterThanOrEqual(nearZero(linear.centroids));
  });

  it('on any tensor: at most k centroids, each used, ascending; every value at its nearest centroid; zeros pinned', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.constant(0), fc.float({ min: -3, max: 3, noNaN: true })), { maxLength: 300 }).map((xs) => Float32Array.from(xs)),
        fc.integer({ min: 1, max: 40 }),
        fc.constantFrom('linear' as const, 'density' as const),
        (values, k, init) => {
          const { centroids, clusters } = kmeans(values, k, init);
          expect(centroids.length).toBeLessThanOrEqual(k);
          for (let j = 1; j < centroids.length; j++) expect(centroids[j]).toBeGreaterThan(centroids[j - 1]);
          const used = new Set<number>();
          values.forEach((v, i) => {
            if (v === 0) {
              expect(clusters[i]).toBe(ZERO_ENTRY);
              return;
            }
            used.add(clusters[i]);
            const d = Math.abs(v - centroids[clusters[i]]);
            for (const c of centroids) expect(d).toBeLessThanOrEqual(Math.abs(v - c) + 1e-12);
          });
          expect(used.size).toBe(centroids.length);
          // Fewer distinct non-zero values than k: each keeps its own value exactly.
          const distinct = new Set([...values].filter((v) => v !== 0));
          if (distinct.size <= k) expect(new Set(sharedValues({ centroids, clusters }).filter((v) => v !== 0))).toEqual(distinct);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('is deterministic, and refuses k < 1 and non-finite values', () => {
    const values = Float32Array.from({ length: 500 }, (_, i) => Math.sin(i * 7.1));
    expect(kmeans(values, 8)).toEqual(kmeans(values, 8));
    expect(() => kmeans(values, 0)).toThrow(/k ≥ 1/);
    expect(() => kmeans(Float32Array.of(1, NaN), 2)).toThrow(/entry 1 is NaN/);
  });

  it('per channel: each filter its own clusters, numbered channel by channel, where one codebook for the kernel merges the small filter', () => {
    // Two channels interleaved (entry i in channel i mod 2): channel 0 near ±0.01, channel 1 near ±10, one pruned zero.
    const values = Float32Array.of(-0.011, -10, 0.01, 10.2, -0.009, 9.8, 0, -10.4);
    const split = kmeansPerChannel(values, 2, 2);
    expect([...split.centroids]).toEqual([Math.fround(-0.01), Math.fround(0.01), Math.fround(-10.2), Math.fround(10)]);
    expect([...split.clusters]).toEqual([0, 2, 1, 3, 0, 3, ZERO_ENTRY, 2]);
    // One codebook of 2 values for the kernel: channel 0's values all land near zero, on one centroid.
    const whole = kmeans(values, 2);
    expect(new Set([0, 2, 4].map((i) => whole.clusters[i])).size).toBe(1);
    expect(() => kmeansPerChannel(values, 3, 2)).toThrow(/3 channels do not divide 8 values/);
  });
});


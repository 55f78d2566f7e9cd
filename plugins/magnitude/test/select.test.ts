import fc from 'fast-check';
import { pruneCount } from '@nncompress/core';
import { selectMasks, selectMasksByLayer } from '../src';

const f = (xs: number[]): Float32Array => Float32Array.from(xs);

describe('selectMasks (hand-checked)', () => {
  it('per layer prunes the lowest half of each layer', () => {
    const scores = new Map([
      ['a', f([5, 1, 4, 2])],
      ['b', f([0.1, 0.3, 0.2, 0.4])],
    ]);
    const masks = selectMasks(scores, 0.5, 'layer', 8);
    expect(Array.from(masks.get('a')!)).toEqual([1, 0, 1, 0]);
    expect(Array.from(masks.get('b')!)).toEqual([0, 1, 0, 1]);
  });

  it('global uses one threshold, so a layer of small scores loses everything first', () => {
    const scores = new Map([
      ['a', f([5, 1, 4, 2])],
      ['b', f([0.1, 0.3, 0.2, 0.4])],
    ]);
    const masks = selectMasks(scores, 0.5, 'global', 8);
    expect(Array.from(masks.get('a')!)).toEqual([1, 1, 1, 1]);
    expect(Array.from(masks.get('b')!)).toEqual([0, 0, 0, 0]);
  });

  it('breaks ties by position, so equal scores give a deterministic mask', () => {
    const masks = selectMasks(new Map([['a', f([1, 1, 1, 1])]]), 0.5, 'global', 4);
    expect(Array.from(masks.get('a')!)).toEqual([0, 0, 1, 1]);
  });

  it('counts unscored (excluded) weights as kept and prunes the scored ones harder', () => {
    // 8 kernel weights in all, 4 scored: 25% of 8 = 2 pruned, both from the scored layer.
    const masks = selectMasks(new Map([['a', f([3, 1, 2, 4])]]), 0.25, 'layer', 8);
    expect(Array.from(masks.get('a')!)).toEqual([1, 0, 0, 1]);
    expect(() => selectMasks(new Map([['a', f([3, 1, 2, 4])]]), 0.75, 'layer', 8)).toThrow(/needs 6 pruned weights but only 4 are prunable/);
  });

  it('rejects sparsity outside [0, 1)', () => {
    expect(() => selectMasks(new Map(), 1, 'global', 1)).toThrow(/sparsity must be in \[0, 1\)/);
    expect(() => selectMasks(new Map(), -0.1, 'global', 1)).toThrow(/sparsity must be in \[0, 1\)/);
  });
});

describe('selectMasks (properties)', () => {
  const layers = fc.array(fc.array(fc.float({ min: 0, max: 100, noNaN: true }), { minLength: 1, maxLength: 40 }), { minLength: 1, maxLength: 5 });

  it('global: prunes exactly pruneCount(s, N) weights and every pruned score ≤ every kept score', () => {
    fc.assert(
      fc.property(layers, fc.double({ min: 0, max: 0.99, noNaN: true }), (ls, s) => {
        const scores = new Map<string, Float32Array>(ls.map((l, i) => [`w${i}`, Float32Array.from(l)]));
        const total = ls.reduce((n, l) => n + l.length, 0);
        const masks = selectMasks(scores, s, 'global', total);
        let pruned = 0;
        let maxPruned = -Infinity;
        let minKept = Infinity;
        for (const [name, m] of masks) {
          const sc = scores.get(name)!;
          m.forEach((keep, i) => {
            if (keep) minKept = Math.min(minKept, sc[i]);
            else {
              pruned++;
              maxPruned = Math.max(maxPruned, sc[i]);
            }
          });
        }
        expect(pruned).toBe(pruneCount(s, total));
        expect(maxPruned).toBeLessThanOrEqual(minKept);
      }),
    );
  });

  it('layer: every layer is pruned to the same rate, reaching at least the target', () => {
    fc.assert(
      fc.property(layers, fc.double({ min: 0, max: 0.99, noNaN: true }), (ls, s) => {
        const scores = new Map<string, Float32Array>(ls.map((l, i) => [`w${i}`, Float32Array.from(l)]));
        const total = ls.reduce((n, l) => n + l.length, 0);
        const masks = selectMasks(scores, s, 'layer', total);
        const rate = pruneCount(s, total) / total;
        let allZeros = 0;
        for (const [name, m] of masks) {
          const zeros = m.reduce((n, v) => n + (v === 0 ? 1 : 0), 0);
          expect(zeros).toBe(pruneCount(rate, scores.get(name)!.length));
          allZeros += zeros;
        }
        expect(allZeros / total).toBeGreaterThanOrEqual(s - 1e-9);
      }),
    );
  });
});

describe('selectMasksByLayer', () => {
  it('prunes each listed weight to its own rate, scaled by the round', () => {
    const scores = new Map([
      ['a', Float32Array.from({ length: 10 }, (_, i) => i)],
      ['b', Float32Array.from({ length: 20 }, (_, i) => 20 - i)],
    ]);
    const full = selectMasksByLayer(scores, new Map([['a', 0.5], ['b', 0.9]]));
    expect([...full.get('a')!]).toEqual([0, 0, 0, 0, 0, 1, 1, 1, 1, 1]);
    expect(full.get('b')!.reduce((n, v) => n + v, 0)).toBe(2);
    expect([...full.get('b')!.subarray(0, 2)]).toEqual([1, 1]); // the two highest scores
    const half = selectMasksByLayer(scores, new Map([['a', 0.5]]), 0.5);
    expect(half.get('a')!.reduce((n, v) => n + v, 0)).toBe(7); // 25% of 10, rounded up to 3 pruned
    expect(half.has('b')).toBe(false);
    expect(() => selectMasksByLayer(scores, new Map([['c', 0.5]]))).toThrow('layerSparsity: no scores for weight "c"');
    expect(() => selectMasksByLayer(scores, new Map([['a', 0.6]]), 2)).toThrow('layerSparsity: "a" would need sparsity 1');
  });
});

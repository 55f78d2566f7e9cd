import fc from 'fast-check';
import { masksOf, planRetention } from '@nncompress/plugin-small-weight-retention';

type Scores = Map<string, Float32Array>;

/** Positions of `values` from largest to smallest, ties by position (an independent sort). */
function byDescending(values: ArrayLike<number>, positions: number[]): number[] {
  return [...positions].sort((a, b) => values[b] - values[a] || a - b);
}

function flat(map: Scores): Float32Array {
  const out = new Float32Array([...map.values()].reduce((n, v) => n + v.length, 0));
  let o = 0;
  for (const v of map.values()) {
    out.set(v, o);
    o += v.length;
  }
  return out;
}

/** One to three weights of 1..40 entries; magnitudes with ties and zeros (as after earlier rounds). */
const instance = fc
  .array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 3 })
  .chain((sizes) =>
    fc.record({
      sizes: fc.constant(sizes),
      magnitudes: fc.tuple(...sizes.map((n) => fc.array(fc.oneof(fc.constant(0), fc.constant(0.5), fc.float({ min: 0, max: 2, noNaN: true })), { minLength: n, maxLength: n }))),
      saliency: fc.tuple(...sizes.map((n) => fc.array(fc.float({ min: 0, max: 1, noNaN: true }), { minLength: n, maxLength: n }))),
      sparsity: fc.double({ min: 0, max: 0.99, noNaN: true }),
      rho: fc.double({ min: 0, max: 1, noNaN: true }),
      scope: fc.constantFrom('layer' as const, 'global' as const),
    }),
  )
  .map((r) => {
    const names = r.sizes.map((_, i) => `w${i}/kernel`);
    return {
      magnitudes: new Map(names.map((n, i) => [n, Float32Array.from(r.magnitudes[i])] as const)) as Scores,
      saliency: new Map(names.map((n, i) => [n, Float32Array.from(r.saliency[i])] as const)) as Scores,
      sparsity: r.sparsity,
      rho: r.rho,
      scope: r.scope,
      total: r.sizes.reduce((a, b) => a + b, 0),
    };
  });

describe('planRetention', () => {
  it('keeps exactly k per bucket: all of the (1 − ρ)k largest, and the ρk best-saliency non-zero entries of the rest', () => {
    fc.assert(
      fc.property(instance, ({ magnitudes, saliency, sparsity, rho, scope, total }) => {
        const plan = planRetention(magnitudes, saliency, { sparsity, rho, scope, totalKernelSize: total });
        const m = flat(magnitudes);
        const s = flat(saliency);
        // The buckets, independently: one per weight, or all positions together.
        const groups: number[][] = [];
        let o = 0;
        for (const v of magnitudes.values()) {
          groups.push(Array.from({ length: v.length }, (_, i) => o + i));
          o += v.length;
        }
        const buckets = scope === 'global' ? [groups.flat()] : groups;
        const pruned = Math.max(0, Math.ceil(sparsity * total - 1e-9));
        expect(plan.buckets.length).toBe(buckets.length);
        buckets.forEach((positions, b) => {
          const k = scope === 'global' ? total - pruned : positions.length - Math.max(0, Math.ceil((pruned / total) * positions.length - 1e-9));
          const kept = positions.filter((p) => plan.keep[p] === 1);
          expect(kept.length).toBe(k);
          const retain = Math.round(rho * k);
          expect(plan.buckets[b].retain).toBe(retain);
          const large = byDescending(m, positions).slice(0, k - retain);
          for (const p of large) expect(plan.keep[p]).toBe(1);
          const rest = positions.filter((p) => !large.includes(p));
          // Still non-zero entries first (zeros were pruned by an earlier round and stay pruned).
          const chosen = [...byDescending(s, rest.filter((p) => m[p] > 0)), ...byDescending(s, rest.filter((p) => m[p] === 0))].slice(0, retain);
          expect(plan.buckets[b].live).toBe(rest.filter((p) => m[p] > 0).length);
          expect(kept.sort((a, b) => a - b)).toEqual([...large, ...chosen].sort((a, b) => a - b));
        });
        if (scope === 'global') expect(total - plan.keep.reduce((a, v) => a + v, 0)).toBe(pruned);
        // Deterministic: the same input gives the same mask.
        expect(planRetention(magnitudes, saliency, { sparsity, rho, scope, totalKernelSize: total }).keep).toEqual(plan.keep);
      }),
      { numRuns: 300 },
    );
  });

  it('is magnitude pruning at ρ = 0, whatever the saliency', () => {
    fc.assert(
      fc.property(instance, ({ magnitudes, saliency, sparsity, total }) => {
        const plan = planRetention(magnitudes, saliency, { sparsity, rho: 0, scope: 'global', totalKernelSize: total });
        const reversed = new Map([...saliency].map(([n, v]) => [n, v.map((x) => 1 - x)] as const));
        expect(planRetention(magnitudes, reversed, { sparsity, rho: 0, scope: 'global', totalKernelSize: total }).keep).toEqual(plan.keep);
        // Every kept magnitude is at least every pruned one.
        const m = flat(magnitudes);
        let minKept = Infinity;
        let maxPruned = -Infinity;
        plan.keep.forEach((k, p) => (k ? (minKept = Math.min(minKept, m[p])) : (maxPruned = Math.max(maxPruned, m[p]))));
        expect(minKept).toBeGreaterThanOrEqual(maxPruned);
      }),
      { numRuns: 200 },
    );
  });

  it('hand case: keep 3 of 6, one retained small weight chosen by saliency', () => {
    const magnitudes = new Map([['a/kernel', Float32Array.of(0.9, 0.1, 0.5, 0.05, 0.3, 0.02)]]);
    const saliency = new Map([['a/kernel', Float32Array.of(0.2, 0.1, 0.3, 0.8, 0.6, 0.05)]]);
    // k = 3, ρk = round(0.34·3) = 1: 0.9 and 0.5 by magnitude; of the rest, 0.05 has the highest saliency (0.8).
    const plan = planRetention(magnitudes, saliency, { sparsity: 0.5, rho: 0.34, scope: 'layer', totalKernelSize: 6 });
    expect(masksOf(plan, plan.keep).get('a/kernel')).toEqual(Uint8Array.of(1, 0, 1, 1, 0, 0));
    expect(plan.buckets[0]).toMatchObject({ keep: 3, large: 2, retain: 1 });
    // Excluded weights count as kept: with 4 more (unscored) entries, 50% of 10 prunes 5 of these 6.
    const withExcluded = planRetention(magnitudes, saliency, { sparsity: 0.5, rho: 0.34, scope: 'global', totalKernelSize: 10 });
    expect(withExcluded.keep).toEqual(Uint8Array.of(1, 0, 0, 0, 0, 0));
  });

  it('rejects ρ outside [0, 1], a bad sparsity, and scores that do not fit', () => {
    const m = new Map([['a/kernel', Float32Array.of(1, 2)]]);
    const target = { sparsity: 0.5, scope: 'layer' as const, totalKernelSize: 2 };
    expect(() => planRetention(m, m, { ...target, rho: -0.1 })).toThrow('rho must be in [0, 1], got -0.1');
    expect(() => planRetention(m, m, { ...target, rho: 1.5 })).toThrow('rho must be in [0, 1], got 1.5');
    expect(() => planRetention(m, m, { ...target, rho: NaN })).toThrow('rho must be in [0, 1], got NaN');
    expect(() => planRetention(m, m, { ...target, rho: 0.1, sparsity: 1 })).toThrow('sparsity must be in [0, 1), got 1');
    expect(() => planRetention(m, new Map(), { ...target, rho: 0.1 })).toThrow('no saliency scores for weight "a/kernel"');
    expect(() => planRetention(m, new Map([['a/kernel', Float32Array.of(1)]]), { ...target, rho: 0.1 })).toThrow('weight "a/kernel": 1 saliency scores for 2 entries');
    expect(() => planRetention(m, m, { ...target, rho: 0.1, totalKernelSize: 10 })).toThrow('sparsity 0.5 needs 5 pruned weights but only 2 are prunable');
  });
});

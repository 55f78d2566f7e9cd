import fc from 'fast-check';
import { Rng } from '@nncompress/core';
import { annealRetention, MaskFitness, planRetention, RetentionPlan } from '@nncompress/plugin-small-weight-retention';

/** An additive loss: a constant minus the value of every kept position. Its optimum is known. */
class AdditiveLoss implements MaskFitness {
  readonly keep: Uint8Array;
  calls = 0;
  constructor(readonly values: Float64Array, keep: Uint8Array) {
    this.keep = keep.slice();
  }
  flip(positions: readonly number[]): void {
    for (const p of positions) this.keep[p] ^= 1;
  }
  loss(): number {
    this.calls++;
    return lossOf(this.values, this.keep);
  }
}

function lossOf(values: Float64Array, keep: Uint8Array): number {
  let s = 10;
  keep.forEach((k, p) => (s -= k * values[p]));
  return s;
}

/** A plan over 1-3 weights of random sizes and its per-position values (unrelated to saliency). */
function randomCase(seed: number, scope: 'layer' | 'global'): { plan: RetentionPlan; values: Float64Array } {
  const rng = new Rng(seed);
  const sizes = Array.from({ length: 1 + rng.int(3) }, () => 5 + rng.int(40));
  const names = sizes.map((_, i) => `w${i}/kernel`);
  const magnitudes = new Map(names.map((n, i) => [n, Float32Array.from({ length: sizes[i] }, () => (rng.next() < 0.3 ? 0 : rng.next()))] as const));
  const saliency = new Map(names.map((n, i) => [n, Float32Array.from({ length: sizes[i] }, () => rng.next())] as const));
  const total = sizes.reduce((a, b) => a + b, 0);
  const plan = planRetention(magnitudes, saliency, { sparsity: 0.3 + 0.6 * rng.next(), rho: 0.1 + 0.8 * rng.next(), scope, totalKernelSize: total });
  return { plan, values: Float64Array.from({ length: total }, () => rng.next()) };
}

const options = { evaluations: 60, candidates: 3, moveFraction: 0.2 };

describe('annealRetention', () => {
  it('never returns a higher loss than its start; keeps every bucket count and the large set; only swaps in candidates', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1_000_000 }), fc.constantFrom('layer' as const, 'global' as const), (seed, scope) => {
        const { plan, values } = randomCase(seed, scope);
        const fitness = new AdditiveLoss(values, plan.keep);
        const result = annealRetention(plan, fitness, options, new Rng(seed));
        expect(result.startLoss).toBeCloseTo(lossOf(values, plan.keep), 12);
        expect(result.bestLoss).toBeLessThanOrEqual(result.startLoss);
        expect(lossOf(values, result.keep)).toBeCloseTo(result.bestLoss, 12);
        expect(result.evaluations).toBeLessThanOrEqual(options.evaluations);
        expect(fitness.calls).toBe(result.evaluations);
        for (const bucket of plan.buckets) {
          const poolKept = [...bucket.pool].filter((p) => result.keep[p]);
          expect(poolKept.length).toBe(bucket.retain);
          // Candidates: the best candidates·retain non-zero pool entries by saliency (the pool's order).
          const candidates = new Set(bucket.pool.subarray(0, Math.max(bucket.retain, Math.min(bucket.live, Math.ceil(options.candidates * bucket.retain)))));
          for (const p of poolKept) expect(candidates.has(p)).toBe(true);
        }
        // Positions outside every pool (the large sets) stay kept.
        const inPool = new Uint8Array(plan.size);
        for (const b of plan.buckets) for (const p of b.pool) inPool[p] = 1;
        plan.keep.forEach((k, p) => !inPool[p] && expect(result.keep[p]).toBe(k));
      }),
      { numRuns: 200 },
    );
  });

  it('gives the same mask for the same seed', () => {
    const { plan, values } = randomCase(7, 'global');
    const run = (seed: number): Uint8Array => annealRetention(plan, new AdditiveLoss(values, plan.keep), options, new Rng(seed)).keep;
    expect(run(3)).toEqual(run(3));
  });

  it('finds the optimum of a small additive problem: the retain highest-valued candidates', () => {
    for (let seed = 1; seed <= 10; seed++) {
      const rng = new Rng(seed);
      const n = 30;
      const magnitudes = new Map([['w/kernel', Float32Array.from({ length: n }, (_, i) => n - i)]]);
      // Saliency ranks the pool in the reverse of the true values: the search must undo it.
      const values = Float64Array.from({ length: n }, () => rng.next());
      const saliency = new Map([['w/kernel', Float32Array.from(values, (v) => 1 - v)]]);
      const plan = planRetention(magnitudes, saliency, { sparsity: 0.8, rho: 0.5, scope: 'layer', totalKernelSize: n });
      const [bucket] = plan.buckets;
      expect(bucket).toMatchObject({ keep: 6, large: 3, retain: 3 });
      const result = annealRetention(plan, new AdditiveLoss(values, plan.keep), { evaluations: 400, candidates: 100, moveFraction: 0 }, new Rng(seed));
      const best = [...bucket.pool].sort((a, b) => values[b] - values[a]).slice(0, 3);
      expect([...bucket.pool].filter((p) => result.keep[p]).sort()).toEqual(best.sort());
      expect(result.bestLoss).toBeLessThan(result.startLoss);
    }
  });

  it('returns the start when there is nothing to swap, and rejects a zero budget', () => {
    const m = new Map([['w/kernel', Float32Array.of(3, 2, 1)]]);
    const plan = planRetention(m, m, { sparsity: 0.5, rho: 0, scope: 'layer', totalKernelSize: 3 });
    const fitness = new AdditiveLoss(new Float64Array(3), plan.keep);
    const result = annealRetention(plan, fitness, options, new Rng(1));
    expect(result.evaluations).toBe(1);
    expect(result.keep).toEqual(plan.keep);
    expect(() => annealRetention(plan, fitness, { ...options, evaluations: 0 }, new Rng(1))).toThrow('evaluations must be at least 1, got 0');
  });
});

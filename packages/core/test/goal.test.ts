import fc from 'fast-check';
import { budgetedConfig, GoalTrial, pickProposal, proposals } from '../src/entries/jobs';
import type { PipelineConfig } from '../src/config/types';

const trial = (bytes: number, drop: number, layerSparsity: Record<string, number> = {}, relativeError?: number): GoalTrial => ({ step: 1, change: 'x', layerSparsity, ...(relativeError !== undefined ? { relativeError } : {}), bytes, metric: 1 - drop, drop, estimatedDrop: drop, accepted: false });

describe('the goal search: proposals', () => {
  it('each proposal takes the asked share of the remaining weights from one layer, within its limits, and leaves whole layers whole', () => {
    const sizes = fc.dictionary(fc.constantFrom('conv1', 'conv2', 'fc1', 'fc2', 'out'), fc.integer({ min: 10, max: 200_000 }), { minKeys: 1 });
    fc.assert(
      fc.property(sizes, fc.array(fc.double({ min: 0, max: 0.99, noNaN: true }), { minLength: 5, maxLength: 5 }), fc.double({ min: 0.05, max: 0.5, noNaN: true }), fc.option(fc.double({ min: 0.01, max: 0.3, noNaN: true }), { nil: undefined }), (dict, levels, share, bound) => {
        const layerSizes = new Map(Object.entries(dict));
        const current: Record<string, number> = {};
        [...layerSizes.keys()].forEach((layer, i) => {
          if (levels[i] > 0.05) current[layer] = Math.round(levels[i] * 1e4) / 1e4;
        });
        const remaining = [...layerSizes].reduce((n, [l, s]) => n + s * (1 - (current[l] ?? 0)), 0);
        for (const p of proposals(trial(1000, 0, current, bound), layerSizes, share)) {
          const changed = Object.keys(p.layerSparsity).filter((l) => p.layerSparsity[l] !== current[l]);
          if (p.relativeError !== bound) {
            // The error bound grows by 2.5 times the share (by half at 0.2), nothing else changes.
            expect(changed).toEqual([]);
            expect(p.relativeError).toBeCloseTo((1 + 2.5 * share) * (bound as number), 4);
            continue;
          }
          expect(changed).toHaveLength(1);
          const [layer] = changed;
          const size = layerSizes.get(layer) as number;
          expect(current[layer]).toBeGreaterThan(0);
          expect(p.layerSparsity[layer]).toBeGreaterThan(current[layer]);
          expect(p.layerSparsity[layer]).toBeLessThanOrEqual(0.995);
          const given = size * (p.layerSparsity[layer] - current[layer]);
          // At least a quarter of the ask, at most the ask and half of what the layer kept (up to rounding of the sparsity to 1e-4).
          expect(given).toBeGreaterThanOrEqual((share * remaining) / 4 - size * 1e-4);
          expect(given).toBeLessThanOrEqual(share * remaining + size * 1e-4);
          expect(given).toBeLessThanOrEqual((size * (1 - current[layer])) / 2 + size * 1e-4);
        }
      }),
    );
  });
});

describe('the goal search: which proposal a round keeps', () => {
  const current = trial(10_000, 0.002);

  it('keeps the least loss per byte saved within the drop; a gain counts as no loss and the smaller file wins', () => {
    // 0.001 per 2,000 B beats 0.001 per 1,000 B; the over-limit one is out whatever it saves.
    expect(pickProposal(current, [trial(9_000, 0.003), trial(8_000, 0.003), trial(1_000, 0.02)], 0.005)).toBe(1);
    expect(pickProposal(current, [trial(9_000, 0.0), trial(8_000, 0.003)], 0.005)).toBe(0);
    expect(pickProposal(current, [trial(9_000, 0.0), trial(7_000, -0.001)], 0.005)).toBe(1);
  });

  it('keeps none when every proposal loses too much or saves nothing', () => {
    expect(pickProposal(current, [trial(9_000, 0.006), trial(10_000, 0), trial(11_000, 0)], 0.005)).toBeUndefined();
    expect(pickProposal(current, [], 0.005)).toBeUndefined();
  });

  it('property: a kept proposal is within the drop, saves bytes, and no other such proposal costs less per byte', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 1, max: 20_000 }), fc.double({ min: -0.01, max: 0.02, noNaN: true })), { maxLength: 8 }), (points) => {
        const measured = points.map(([b, d]) => trial(b, d));
        const kept = pickProposal(current, measured, 0.005);
        const ok = measured.filter((t) => t.drop <= 0.005 && t.bytes < current.bytes);
        if (kept === undefined) return expect(ok).toEqual([]);
        const cost = (t: GoalTrial): number => Math.max(0, t.drop - current.drop) / (current.bytes - t.bytes);
        expect(ok).toContain(measured[kept]);
        for (const t of ok) expect(cost(measured[kept])).toBeLessThanOrEqual(cost(t));
      }),
    );
  });
});

describe('the goal search: budgeted configs', () => {
  it("sets the stage's per-layer values, a model-wide target the map reaches, and the codec's bound, leaving the config given as it was", () => {
    const config = { model: 'm.json', data: { source: 'mnist' }, stages: [{ name: 'a', target: { sparsity: 0.9 }, schedule: { kind: 'gradual', rounds: 2, initial: 0.6 } }], encode: { codec: 'pwl', relativeError: 0.04 } } as unknown as PipelineConfig;
    const before = JSON.stringify(config);
    const sizes = new Map([['conv', 500], ['fc', 9_500]]);
    const out = budgetedConfig(config, 0, sizes, { conv: 0.5, fc: 0.97 }, 0.06);
    expect(JSON.stringify(config)).toBe(before);
    expect(out.stages[0].layerTargets).toEqual({ sparsity: { conv: 0.5, fc: 0.97 } });
    const reached = (0.5 * 500 + Math.floor(0.97 * 9_500)) / 10_000;
    expect(out.stages[0].target?.sparsity).toBeLessThanOrEqual(reached);
    expect(out.stages[0].target?.sparsity).toBeGreaterThan(reached - 1e-4);
    expect(out.encode?.relativeError).toBe(0.06);
    // A gradual schedule never starts above where the map ends.
    expect(budgetedConfig(config, 0, sizes, { conv: 0.1, fc: 0.3 }, undefined).stages[0].schedule?.initial).toBeLessThanOrEqual(0.3);
  });
});

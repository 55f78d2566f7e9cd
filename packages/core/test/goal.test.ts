import fc from 'fast-check';
import { budgetedConfig, goalPlan, GoalTrial, MeasureRound, pickProposal, proposals, walkGoal } from '../src/entries/jobs';
import { pruneCount } from '../src/pipeline/schedule';
import type { GoalConfig, PipelineConfig } from '../src/config/types';

const trial = (bytes: number, drop: number, layerValues: Record<string, number> = {}, relativeError?: number): GoalTrial => ({ step: 1, change: 'x', layerValues, ...(relativeError !== undefined ? { relativeError } : {}), bytes, flops: 1_000, metric: 1 - drop, drop, estimatedDrop: drop, accepted: false });

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
          const changed = Object.keys(p.layerValues).filter((l) => p.layerValues[l] !== current[l]);
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
          expect(p.layerValues[layer]).toBeGreaterThan(current[layer]);
          expect(p.layerValues[layer]).toBeLessThanOrEqual(0.995);
          const given = size * (p.layerValues[layer] - current[layer]);
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
    const out = budgetedConfig(config, 0, 'sparsity', sizes, { conv: 0.5, fc: 0.97 }, 0.06);
    expect(JSON.stringify(config)).toBe(before);
    expect(out.stages[0].layerTargets).toEqual({ sparsity: { conv: 0.5, fc: 0.97 } });
    const reached = (0.5 * 500 + Math.floor(0.97 * 9_500)) / 10_000;
    expect(out.stages[0].target?.sparsity).toBeLessThanOrEqual(reached);
    expect(out.stages[0].target?.sparsity).toBeGreaterThan(reached - 1e-4);
    expect(out.encode?.relativeError).toBe(0.06);
    // A gradual schedule never starts above where the map ends.
    expect(budgetedConfig(config, 0, 'sparsity', sizes, { conv: 0.1, fc: 0.3 }, undefined).stages[0].schedule?.initial).toBeLessThanOrEqual(0.3);
  });
});

describe('the goal search: filter-ratio proposals', () => {
  it('property: each proposal removes a share of one group\'s own remaining channels (one at least, one kept), exactly as the selector counts them', () => {
    const groups = fc.dictionary(fc.constantFrom('conv1', 'conv2', 'expand', 'fc1'), fc.integer({ min: 2, max: 2_000 }), { minKeys: 1 });
    fc.assert(
      fc.property(groups, fc.array(fc.double({ min: 0, max: 0.95, noNaN: true }), { minLength: 4, maxLength: 4 }), fc.double({ min: 0.05, max: 0.5, noNaN: true }), (dict, levels, share) => {
        const sizes = new Map(Object.entries(dict));
        const current: Record<string, number> = {};
        [...sizes].forEach(([layer, size], i) => {
          const removed = Math.floor(levels[i] * size);
          if (removed > 0) current[layer] = Math.floor((removed / size) * 1e6) / 1e6;
        });
        for (const p of proposals(trial(1000, 0, current), sizes, share, 'filterRatio')) {
          const changed = Object.keys(p.layerValues).filter((l) => p.layerValues[l] !== current[l]);
          expect(changed).toHaveLength(1);
          const size = sizes.get(changed[0])!;
          const kept = size - pruneCount(current[changed[0]], size);
          const keptNext = size - pruneCount(p.layerValues[changed[0]], size);
          expect(kept - keptNext).toBe(Math.max(1, Math.floor(kept * share)));
          expect(keptNext).toBeGreaterThanOrEqual(1);
        }
      }),
    );
  });

  it('sets a model-wide filter ratio the per-group ratios reach', () => {
    const config = { model: 'm.json', data: { source: 'mnist' }, stages: [{ name: 'a', target: { filterRatio: 0.3 } }] } as unknown as PipelineConfig;
    const sizes = new Map([['conv1', 32], ['conv2', 64], ['head', 10]]);
    const out = budgetedConfig(config, 0, 'filterRatio', sizes, { conv1: 0.5, conv2: 0.25 }, undefined);
    expect(out.stages[0].layerTargets).toEqual({ filterRatio: { conv1: 0.5, conv2: 0.25 } });
    const reached = (16 + 16) / 106;
    expect(out.stages[0].target?.filterRatio).toBeLessThanOrEqual(reached);
    expect(out.stages[0].target?.filterRatio).toBeGreaterThan(reached - 1e-4);
  });
});

describe('the goal search: rounds, by hand', () => {
  // Two layers of 1,000 weights; a model whose bytes are its kept weights. Layer a costs ten
  // times what b costs; the full settings lose 0.02 less than the trials, plus a gap that
  // grows with b's sparsity (0.03 per unit above 0.5), which only a full run reveals.
  const sizes = new Map([['a', 1000], ['b', 1000]]);
  const bytesOf = (v: Record<string, number>): number => 1000 * (1 - v.a) + 1000 * (1 - v.b);
  const cheapDrop = (v: Record<string, number>): number => 0.02 + 0.1 * (v.a - 0.5) + 0.01 * (v.b - 0.5);
  const fullDrop = (v: Record<string, number>): number => cheapDrop(v) - 0.02 + 0.03 * Math.max(0, v.b - 0.5);
  const measured = (v: Record<string, number>, drop: number) => ({ bytes: bytesOf(v), flops: 1, metric: 1 - drop, drop });
  const start = (cheaper: boolean, drop: (v: Record<string, number>) => number): GoalTrial => {
    const v = { a: 0.5, b: 0.5 };
    return { step: 0, change: 'start', layerValues: v, ...measured(v, drop(v)), estimatedDrop: cheaper ? fullDrop(v) : drop(v), ...(cheaper ? { full: { bytes: bytesOf(v), flops: 1, drop: fullDrop(v) } } : {}), accepted: true };
  };
  const fake = (drop: (v: Record<string, number>) => number): MeasureRound => async (point, round, calibrate) => ({
    trials: round.map((p) => measured(p.layerValues, drop(p.layerValues))),
    ...(calibrate ? { full: { bytes: bytesOf(point.layerValues), flops: 1, drop: fullDrop(point.layerValues) } } : {}),
  });

  it('minimize: a kept step whose full run misses is undone, and the search goes on from the step before with steps half as large', async () => {
    const lines: string[] = [];
    const r = await walkGoal(start(true, cheapDrop), { plan: { resource: 'bytes', metricDrop: 0.005 }, sizes, kind: 'sparsity', cheaper: true, rounds: 5, share: 0.2, measuredOn: 'test split', measure: fake(cheapDrop), log: (l) => lines.push(l) });
    // Round 1 keeps b 0.5 → 0.7 (a costs ten times more); round 2 finds it loses 0.008 in full and undoes it.
    // Round 3 keeps b 0.6 at steps of 10%; round 4 finds it within (0.004) and keeps b 0.69; round 5 undoes that (0.0076).
    expect(r.trials.filter((t) => t.accepted).map((t) => t.layerValues)).toEqual([{ a: 0.5, b: 0.5 }, { a: 0.5, b: 0.6 }]);
    expect(r.chosen.layerValues).toEqual({ a: 0.5, b: 0.6 });
    expect(r.chosen.full?.drop).toBeCloseTo(0.004, 10);
    const undone = r.trials.filter((t) => !t.accepted && t.full !== undefined).map((t) => [t.step, t.layerValues.b, t.full!.drop]);
    expect(undone.map(([step, b]) => [step, b])).toEqual([[1, 0.7], [4, 0.69]]);
    for (const [, , d] of undone) expect(d).toBeGreaterThan(0.005);
    expect(r.trials).toHaveLength(11);
    expect(lines.filter((l) => /back to/.test(l))).toHaveLength(2);
    expect(r.stopped).toBe('5 rounds done');
  });

  it('maximize: keeps the least loss per byte until the file is within the limit, then stops', async () => {
    const r = await walkGoal(start(false, cheapDrop), { plan: { resource: 'bytes', limit: 700 }, sizes, kind: 'sparsity', cheaper: false, rounds: 8, share: 0.2, measuredOn: 'test split', measure: fake(cheapDrop), log: () => {} });
    // Round 1: b to 0.7 (800 B); round 2: b to 0.85 (650 B, within 700) beats a to 0.66.
    expect(r.trials.filter((t) => t.accepted).map((t) => t.layerValues.b)).toEqual([0.5, 0.7, 0.85]);
    expect(r.chosen.bytes).toBe(650);
    expect(r.reached).toBe(true);
    expect(r.stopped).toBe('round 2: within maxBytes 700 B (650 B estimated with the full settings)');
  });

  it('maximize: a limit below anything reachable ends at the smallest point found, and says it was not reached', async () => {
    const r = await walkGoal(start(false, cheapDrop), { plan: { resource: 'bytes', limit: 10 }, sizes, kind: 'sparsity', cheaper: false, rounds: 3, share: 0.2, measuredOn: 'test split', measure: fake(cheapDrop), log: () => {} });
    expect(r.reached).toBe(false);
    expect(r.stopped).toBe('3 rounds done');
    expect(r.chosen.bytes).toBe(Math.min(...r.trials.filter((t) => t.accepted).map((t) => t.bytes)));
    expect(r.chosen.bytes).toBeGreaterThan(10);
  });
});

describe('the goal: its shape', () => {
  it('takes minimize with metricDrop, or maximize with one limit, and names what is wrong otherwise', () => {
    expect(goalPlan({ minimize: 'latency', metricDrop: 0.01 }, 'g.yaml')).toEqual({ resource: 'latency', metricDrop: 0.01 });
    expect(goalPlan({ maximize: 'metric', maxFlops: 5e6 }, 'g.yaml')).toEqual({ resource: 'flops', limit: 5e6 });
    const cases: [GoalConfig, RegExp][] = [
      [{}, /^g\.yaml: goal: give minimize \(bytes, flops or latency\) with metricDrop, or maximize: metric/],
      [{ minimize: 'bytes' }, /^g\.yaml: goal\.metricDrop: minimize bytes needs the largest loss allowed/],
      [{ minimize: 'bytes', metricDrop: 0.01, maxBytes: 100 }, /^g\.yaml: goal\.maxBytes: a limit goes with maximize: metric/],
      [{ maximize: 'metric' }, /^g\.yaml: goal: maximize: metric needs exactly one of maxBytes, maxFlops, maxLatencyMs$/],
      [{ maximize: 'metric', maxBytes: 1, maxLatencyMs: 2 }, /\(it has maxBytes, maxLatencyMs\)$/],
      [{ maximize: 'metric', maxBytes: 1, metricDrop: 0.01 }, /^g\.yaml: goal\.metricDrop: goes with minimize/],
      [{ minimize: 'flops', maximize: 'metric', metricDrop: 0.01 }, /^g\.yaml: goal: minimize and maximize together; give one$/],
    ];
    for (const [goal, pattern] of cases) expect(() => goalPlan(goal, 'g.yaml')).toThrow(pattern);
  });
});

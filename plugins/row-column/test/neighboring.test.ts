import { Rng } from '@nncompress/core';
import { annealDefaults, bestGreedy, CoupledProblem, CoupledSelection, liveImportance, localAnneal, neighboringAnneal } from '@nncompress/plugin-row-column';

/**
 * Two coupled layers: L1 [rows1 × cols1] whose rows are the channels of group 0, and an
 * output layer L2 [rows2 × positions·rows1] whose column j reads channel j mod rows1
 * (like a Conv2D with `positions` kernel positions). L2's rows are fixed.
 */
function chain(rng: Rng, rows1: number, cols1: number, rows2: number, positions: number, sparsity: number): CoupledProblem {
  const values = (n: number): Float64Array => new Float64Array(n).map(() => (rng.next() < 0.2 ? 0 : rng.next() ** 2));
  const cols2 = positions * rows1;
  const budget = (n: number): number => Math.max(1, Math.floor((1 - sparsity) * n));
  return {
    layers: [
      { name: 'l1', rows: rows1, cols: cols1, importance: values(rows1 * cols1), budget: budget(rows1 * cols1), rowGroup: 0, colChannel: new Int32Array(cols1).fill(-1) },
      { name: 'l2', rows: rows2, cols: cols2, importance: values(rows2 * cols2), budget: Math.max(rows2, budget(rows2 * cols2)), rowGroup: -1, colChannel: Int32Array.from({ length: cols2 }, (_, j) => j % rows1) },
    ],
    groupSizes: [rows1],
    groupStart: [0],
  };
}

/** Exact optimum of `chain` by enumeration: every kept-channel set, then each layer's best columns. */
function chainOptimum(p: CoupledProblem): number {
  const [l1, l2] = p.layers;
  const bestColumns = (importance: Float64Array, cols: number, rows: number[], live: (j: number) => boolean, count: number): number => {
    const sums: number[] = [];
    for (let j = 0; j < cols; j++) if (live(j)) sums.push(rows.reduce((s, i) => s + importance[i * cols + j], 0));
    return sums.sort((a, b) => b - a).slice(0, count).reduce((s, v) => s + v, 0);
  };
  let best = 0;
  for (let mask = 1; mask < 1 << l1.rows; mask++) {
    const channels = Array.from({ length: l1.rows }, (_, i) => i).filter((i) => mask & (1 << i));
    const c1 = Math.floor(l1.budget / channels.length);
    if (c1 === 0) continue;
    const all2 = Array.from({ length: l2.rows }, (_, i) => i);
    const v = bestColumns(l1.importance, l1.cols, channels, () => true, c1) + bestColumns(l2.importance, l2.cols, all2, (j) => channels.includes(l2.colChannel[j]), Math.floor(l2.budget / l2.rows));
    best = Math.max(best, v);
  }
  return best;
}

function checkCoupledSelection(p: CoupledProblem, s: CoupledSelection): void {
  p.layers.forEach((layer, l) => {
    const { keptRows, keptCols } = s.layers[l];
    expect(keptRows.length * keptCols.length).toBeLessThanOrEqual(layer.budget);
    if (layer.rowGroup >= 0) expect(keptRows).toEqual(s.keptChannels[layer.rowGroup]);
    // No kept column reads a removed channel.
    for (const j of keptCols) if (layer.colChannel[j] >= 0) expect(s.keptChannels[0]).toContain(layer.colChannel[j]);
  });
  expect(s.kept).toBeCloseTo(liveImportance(p, s.layers), 9);
}

const options = (seed: number): Parameters<typeof neighboringAnneal>[1] => ({ ...annealDefaults, rng: new Rng(seed) });

describe('Neighboring SA', () => {
  it('returns consistent, feasible selections whose score is their live importance', () => {
    const rng = new Rng(1);
    for (let n = 0; n < 30; n++) {
      const p = chain(rng, 2 + rng.int(7), 2 + rng.int(9), 1 + rng.int(5), 1 + rng.int(4), 0.3 + 0.6 * rng.next());
      checkCoupledSelection(p, neighboringAnneal(p, options(n)));
    }
  });

  it('reaches the enumerated optimum of two coupled layers on at least 90% of instances, and beats per-layer Local SA on the live measure', () => {
    const rng = new Rng(2);
    let hits = 0;
    let nsaTotal = 0;
    let localTotal = 0;
    const instances = 60;
    for (let n = 0; n < instances; n++) {
      const p = chain(rng, 3 + rng.int(6), 4 + rng.int(6), 2 + rng.int(4), 1 + rng.int(4), 0.5 + 0.4 * rng.next());
      const optimum = chainOptimum(p);
      const nsa = neighboringAnneal(p, options(n));
      expect(nsa.kept).toBeLessThanOrEqual(optimum * (1 + 1e-9));
      if (nsa.kept >= optimum * (1 - 1e-9)) hits++;
      // Per-layer Local SA on the same budgets (L2 keeping every row), scored live.
      const local = p.layers.map((layer, l) => {
        const problem = { rows: layer.rows, cols: layer.cols, importance: layer.importance, budget: layer.budget };
        if (l === 1) {
          const c = Math.floor(layer.budget / layer.rows);
          const sums = Array.from({ length: layer.cols }, (_, j) => ({ j, v: Array.from({ length: layer.rows }, (_, i) => layer.importance[i * layer.cols + j]).reduce((a, b) => a + b, 0) }));
          return { keptRows: Array.from({ length: layer.rows }, (_, i) => i), keptCols: sums.sort((a, b) => b.v - a.v || a.j - b.j).slice(0, c).map((x) => x.j) };
        }
        return localAnneal(problem, { ...annealDefaults, rng: new Rng(n), start: bestGreedy(problem) });
      });
      nsaTotal += nsa.kept;
      localTotal += liveImportance(p, local);
    }
    expect(hits / instances).toBeGreaterThanOrEqual(0.9);
    expect(nsaTotal).toBeGreaterThan(localTotal);
  });

  it('gives the same selection for the same seed', () => {
    const p = chain(new Rng(3), 8, 9, 4, 3, 0.8);
    expect(neighboringAnneal(p, options(5))).toEqual(neighboringAnneal(p, options(5)));
  });
});

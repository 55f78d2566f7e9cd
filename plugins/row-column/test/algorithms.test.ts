import fc from 'fast-check';
import { Rng } from '@nncompress/core';
import { annealDefaults, bestGreedy, exactRowColumn, greedy, localAnneal, RowColumnProblem, RowColumnSelection } from '@nncompress/plugin-row-column';
import { bruteForceOptimum, problemArbitrary, randomProblem } from './helpers';

const anneal = (problem: RowColumnProblem, seed: number, start?: RowColumnSelection): RowColumnSelection =>
  localAnneal(problem, { ...annealDefaults, rng: new Rng(seed), start });

/** Kept importance recomputed from the selection alone, and its feasibility. */
function checkSelection(problem: RowColumnProblem, s: RowColumnSelection): void {
  expect(s.keptRows.length * s.keptCols.length).toBeLessThanOrEqual(problem.budget);
  expect(new Set(s.keptRows).size).toBe(s.keptRows.length);
  expect(new Set(s.keptCols).size).toBe(s.keptCols.length);
  for (const i of s.keptRows) expect(i >= 0 && i < problem.rows).toBe(true);
  for (const j of s.keptCols) expect(j >= 0 && j < problem.cols).toBe(true);
  let kept = 0;
  for (const i of s.keptRows) for (const j of s.keptCols) kept += problem.importance[i * problem.cols + j];
  expect(s.kept).toBeCloseTo(kept, 9);
}

const tolerance = (x: number): number => 1e-9 * Math.max(1, Math.abs(x));

describe('greedy row-then-column and column-then-row', () => {
  it('solves a hand-checkable 3×3 instance', () => {
    // Row sums 2.7, 1.0, 1.0; column sums 2.5, 1.1, 1.1.
    const importance = Float64Array.from([0.9, 0.9, 0.9, 0.8, 0.1, 0.1, 0.8, 0.1, 0.1]);
    const problem = { rows: 3, cols: 3, importance, budget: 3 };
    // Budget 3: row 0 whole (2.7) beats column 0 whole (2.5) and every 1×2 or 2×1 shape.
    const rowFirst = greedy(problem, 'row-then-column');
    expect(rowFirst.keptRows).toEqual([0]);
    expect(rowFirst.keptCols).toEqual([0, 1, 2]);
    expect(rowFirst.kept).toBeCloseTo(2.7, 12);
    expect(rowFirst.removed).toBeCloseTo(4.7 - 2.7, 12);
    expect(greedy(problem, 'column-then-row').kept).toBeCloseTo(2.7, 12);
    // Budget 6: rows 0 and 1 with every column (3.7) beat every row with columns 0 and 1 (3.6).
    const six = bestGreedy({ ...problem, budget: 6 });
    expect(six.keptRows).toEqual([0, 1]);
    expect(six.kept).toBeCloseTo(3.7, 12);
  });

  it('is within twice the optimum removed importance on random instances (fast-check)', () => {
    fc.assert(
      fc.property(problemArbitrary, (problem) => {
        const optimum = bruteForceOptimum(problem);
        const total = problem.importance.reduce((s, v) => s + v, 0);
        for (const order of ['row-then-column', 'column-then-row'] as const) {
          const s = greedy(problem, order);
          checkSelection(problem, s);
          expect(s.kept).toBeLessThanOrEqual(optimum + tolerance(optimum));
          expect(s.removed).toBeLessThanOrEqual(2 * (total - optimum) + tolerance(total));
        }
      }),
      { seed: 3, numRuns: 300 },
    );
  });
});

describe('exact solver (HiGHS MILP)', () => {
  it('agrees with exhaustive enumeration over row subsets on random instances up to 10×10', async () => {
    const rng = new Rng(11);
    for (let n = 0; n < 20; n++) {
      const problem = randomProblem(rng, 10);
      const exact = await exactRowColumn(problem);
      checkSelection(problem, exact);
      const optimum = bruteForceOptimum(problem);
      expect(Math.abs(exact.kept - optimum)).toBeLessThanOrEqual(tolerance(optimum));
    }
  });

  it('bounds greedy by 2× and is matched by Local SA on fixed-seed 12×12 instances', async () => {
    const rng = new Rng(12);
    for (let n = 0; n < 6; n++) {
      const importance = new Float64Array(144).map(() => (rng.next() < 0.25 ? 0 : rng.next()));
      const full: RowColumnProblem = { rows: 12, cols: 12, importance, budget: 1 + rng.int(144) };
      const exact = await exactRowColumn(full);
      expect(bestGreedy(full).removed).toBeLessThanOrEqual(2 * exact.removed + tolerance(exact.removed));
      expect(anneal(full, n).kept).toBeGreaterThanOrEqual(exact.kept - tolerance(exact.kept));
    }
  });

  it('refuses instances too large to solve exactly, naming the size', async () => {
    const problem = { rows: 30, cols: 30, importance: new Float64Array(900).fill(1), budget: 100 };
    await expect(exactRowColumn(problem)).rejects.toThrow('a 30×30 matrix has 900 entries');
  });
});

describe('Local SA', () => {
  it('is never worse than its greedy start and stays within the budget (fast-check)', () => {
    fc.assert(
      fc.property(problemArbitrary, fc.integer({ min: 0, max: 1000 }), (problem, seed) => {
        const start = bestGreedy(problem);
        const s = anneal(problem, seed, start);
        checkSelection(problem, s);
        expect(s.kept).toBeGreaterThanOrEqual(start.kept);
      }),
      { seed: 5, numRuns: 200 },
    );
  });

  it('reaches the exact optimum on at least 90% of 200 random instances up to 12×12', () => {
    const rng = new Rng(21);
    let hits = 0;
    let greedyHits = 0;
    const instances = 200;
    for (let n = 0; n < instances; n++) {
      const problem = randomProblem(rng, 12);
      const optimum = bruteForceOptimum(problem);
      if (anneal(problem, n).kept >= optimum - tolerance(optimum)) hits++;
      if (bestGreedy(problem).kept >= optimum - tolerance(optimum)) greedyHits++;
    }
    expect(hits / instances).toBeGreaterThanOrEqual(0.9);
    // SA exists to improve on greedy: it must find the optimum strictly more often.
    expect(hits).toBeGreaterThan(greedyHits);
  });

  it('gives the same selection for the same seed', () => {
    const problem = randomProblem(new Rng(99), 12);
    const a = anneal(problem, 4);
    const b = anneal(problem, 4);
    expect(b).toEqual(a);
  });
});

describe('bad input', () => {
  const problem = { rows: 2, cols: 3, importance: new Float64Array(6).fill(1), budget: 3 };
  it('rejects a zero budget', () => {
    expect(() => greedy({ ...problem, budget: 0 })).toThrow('budget must keep at least 1 entry (got 0)');
  });
  it('rejects a budget larger than the matrix', () => {
    expect(() => greedy({ ...problem, budget: 7 })).toThrow('budget 7 is larger than the 2×3 matrix (6 entries)');
  });
  it('rejects negative or non-finite importance, naming the entry', () => {
    const importance = Float64Array.from([1, 1, 1, 1, Number.NaN, 1]);
    expect(() => greedy({ ...problem, importance })).toThrow('importance at row 1, column 1 is NaN');
    expect(() => localAnneal({ ...problem, importance: Float64Array.from([1, -1, 1, 1, 1, 1]) }, { ...annealDefaults, rng: new Rng(1) })).toThrow('row 0, column 1 is -1');
  });
  it('rejects a cooling schedule that heats up', () => {
    expect(() => localAnneal(problem, { ...annealDefaults, initialTemperature: 0.01, finalTemperature: 0.1, rng: new Rng(1) })).toThrow('0 < finalTemperature ≤ initialTemperature');
  });
});

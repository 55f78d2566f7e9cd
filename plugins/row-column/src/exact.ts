import loadHighs from 'highs';
import { InputError } from '@nncompress/core';
import { bestGreedy } from './greedy';
import { checkProblem, indicesByValueDescending, RowColumnProblem, RowColumnSelection, selectionOf, totalImportance } from './problem';

type Solver = Awaited<ReturnType<typeof loadHighs>>;
let solver: Promise<Solver> | undefined;

/** Entries above which the exact solver refuses: it exists to check the heuristics on small instances. */
export const EXACT_MAX_ENTRIES = 400;

/**
 * The exact optimum of a small instance, from HiGHS (a MILP solver compiled to wasm).
 * For every number of kept rows r it solves
 *   maximise Σ a_ij·z_ij  s.t.  z_ij ≤ x_i,  z_ij ≤ y_j,  Σx = r,  Σy ≤ ⌊K/r⌋,  x, y ∈ {0,1}, 0 ≤ z ≤ 1
 * (z needs no integrality: with x, y binary and a ≥ 0 the optimum sets z_ij = x_i·y_j) and
 * keeps the best r; an r whose simple bound (its best r row sums, or best ⌊K/r⌋ column sums)
 * cannot beat the best found so far is skipped. Gaps are set to zero so the answer is the optimum, not a near one.
 */
export async function exactRowColumn(problem: RowColumnProblem): Promise<RowColumnSelection> {
  checkProblem(problem);
  const { rows, cols, importance, budget } = problem;
  if (rows * cols > EXACT_MAX_ENTRIES) {
    throw new InputError(`exact row-column solver: a ${rows}×${cols} matrix has ${rows * cols} entries; it solves instances of at most ${EXACT_MAX_ENTRIES}`);
  }
  solver ??= loadHighs();
  const highs = await solver;
  const total = totalImportance(problem);
  const rowSums = sums(problem, 'rows');
  const colSums = sums(problem, 'cols');
  const rowOrder = indicesByValueDescending(rowSums);
  const colOrder = indicesByValueDescending(colSums);
  // The greedy answer is the incumbent: an r whose bound cannot beat it needs no solve.
  let best = bestGreedy(problem);
  for (let r = 1; r <= Math.min(rows, budget); r++) {
    const c = Math.min(cols, Math.floor(budget / r));
    if (c === cols || r === rows) {
      // Every column (row) fits: the best r rows (c columns) by their sums are optimal.
      const candidate = c === cols ? selectionOf(problem, rowOrder.slice(0, r), colOrder, total) : selectionOf(problem, rowOrder, colOrder.slice(0, c), total);
      if (candidate.kept > best.kept) best = candidate;
      continue;
    }
    const bound = Math.min(topSum(rowSums, rowOrder, r), topSum(colSums, colOrder, c));
    if (bound <= best.kept) continue;
    const terms: string[] = [];
    const links: string[] = [];
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++) {
        const a = importance[i * cols + j];
        if (a <= 0) continue;
        // 17 significant digits: the objective is the importance itself, not a rounding of it.
        terms.push(`${a.toPrecision(17)} z${i}_${j}`);
        links.push(` l${i}_${j}r: z${i}_${j} - x${i} <= 0`, ` l${i}_${j}c: z${i}_${j} - y${j} <= 0`);
      }
    }
    // Aggregated links (a kept row holds at most c entries, a kept column at most r): implied
    // for integer points, but they tighten the LP relaxation and cut the branch-and-bound tree.
    for (let i = 0; i < rows; i++) {
      const zs = terms.flatMap((t) => (t.includes(` z${i}_`) ? [t.slice(t.indexOf(' ') + 1)] : []));
      if (zs.length > 0) links.push(` a${i}r: ${zs.join(' + ')} - ${c} x${i} <= 0`);
    }
    for (let j = 0; j < cols; j++) {
      const zs = terms.flatMap((t) => (t.endsWith(`_${j}`) ? [t.slice(t.indexOf(' ') + 1)] : []));
      if (zs.length > 0) links.push(` a${j}c: ${zs.join(' + ')} - ${r} y${j} <= 0`);
    }
    const xs = Array.from({ length: rows }, (_, i) => `x${i}`);
    const ys = Array.from({ length: cols }, (_, j) => `y${j}`);
    const lp = [
      'Maximize',
      ` obj: ${terms.join(' + ')}`,
      'Subject To',
      ...links,
      ` rows: ${xs.join(' + ')} = ${r}`,
      ` cols: ${ys.join(' + ')} <= ${c}`,
      'Bounds',
      ...terms.map((t) => ` 0 <= ${t.slice(t.indexOf(' ') + 1)} <= 1`),
      'Binary',
      ` ${[...xs, ...ys].join(' ')}`,
      'End',
    ].join('\n');
    const result = highs.solve(lp, { output_flag: false, mip_rel_gap: 0, mip_abs_gap: 0 });
    if (result.Status !== 'Optimal') throw new Error(`exact row-column solver: HiGHS ended with status ${result.Status} for ${r} kept rows`);
    const columns = result.Columns as Record<string, { Primal: number }>;
    const keptRows = xs.flatMap((x, i) => (columns[x]?.Primal > 0.5 ? [i] : []));
    const keptCols = ys.flatMap((y, j) => (columns[y]?.Primal > 0.5 ? [j] : []));
    const candidate = selectionOf(problem, keptRows, keptCols, total);
    if (!best || candidate.kept > best.kept) best = candidate;
  }
  return best;
}

function sums(problem: RowColumnProblem, axis: 'rows' | 'cols'): Float64Array {
  const { rows, cols, importance } = problem;
  const out = new Float64Array(axis === 'rows' ? rows : cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[axis === 'rows' ? i : j] += importance[i * cols + j];
  return out;
}

function topSum(values: Float64Array, order: number[], k: number): number {
  let s = 0;
  for (let n = 0; n < k; n++) s += values[order[n]];
  return s;
}

import fc from 'fast-check';
import { Rng } from '@nncompress/core';
import { RowColumnProblem } from '@nncompress/plugin-row-column';

/** A random instance: sizes 1..maxSide, about a quarter of the entries zero (as after other pruning), the rest uniform in (0, 1]. */
export function randomProblem(rng: Rng, maxSide = 12): RowColumnProblem {
  const rows = 1 + rng.int(maxSide);
  const cols = 1 + rng.int(maxSide);
  const importance = new Float64Array(rows * cols);
  for (let k = 0; k < importance.length; k++) importance[k] = rng.next() < 0.25 ? 0 : 1 - rng.next();
  return { rows, cols, importance, budget: 1 + rng.int(rows * cols) };
}

/** The same as a fast-check arbitrary (shrinks to small matrices). */
export const problemArbitrary: fc.Arbitrary<RowColumnProblem> = fc
  .record({ rows: fc.integer({ min: 1, max: 12 }), cols: fc.integer({ min: 1, max: 12 }) })
  .chain(({ rows, cols }) =>
    fc.record({
      values: fc.array(fc.oneof(fc.constant(0), fc.double({ min: 0, max: 1, noNaN: true })), { minLength: rows * cols, maxLength: rows * cols }),
      budget: fc.integer({ min: 1, max: rows * cols }),
    }).map(({ values, budget }) => ({ rows, cols, importance: Float64Array.from(values), budget })),
  );

/**
 * An independent exact answer by enumeration: for each subset R of rows the best columns are
 * simply the ⌊K/|R|⌋ largest column sums over R. Exponential in rows; for ≤ 12 rows only.
 */
export function bruteForceOptimum(problem: RowColumnProblem): number {
  const { rows, cols, importance, budget } = problem;
  let best = 0;
  for (let mask = 1; mask < 1 << rows; mask++) {
    let r = 0;
    const sums = new Float64Array(cols);
    for (let i = 0; i < rows; i++) {
      if (!(mask & (1 << i))) continue;
      r++;
      for (let j = 0; j < cols; j++) sums[j] += importance[i * cols + j];
    }
    const c = Math.min(cols, Math.floor(budget / r));
    if (c === 0) continue;
    const top = Array.from(sums).sort((x, y) => y - x);
    let kept = 0;
    for (let k = 0; k < c; k++) kept += top[k];
    best = Math.max(best, kept);
  }
  return best;
}

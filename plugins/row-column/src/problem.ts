import { InputError } from '@nncompress/core';

/**
 * One row-and-column pruning instance (Tu 2024): a `rows × cols` GEMM weight matrix seen
 * only through its importance `a[i·cols + j] ≥ 0`, and a budget of kept entries. A solution
 * keeps rows R and columns C with |R|·|C| ≤ budget; its value is the kept importance
 * Σ_{i∈R, j∈C} a_ij, and its cost (what the 2-approximation bounds) is the removed importance,
 * total − kept.
 */
export interface RowColumnProblem {
  readonly rows: number;
  readonly cols: number;
  /** Row-major, length rows·cols, every entry finite and ≥ 0. */
  readonly importance: Float64Array;
  /** Kept entries allowed, 1 ≤ budget ≤ rows·cols. */
  readonly budget: number;
}

/** Kept rows and columns (ascending indices) and what they keep. */
export interface RowColumnSelection {
  readonly keptRows: number[];
  readonly keptCols: number[];
  /** Σ of importance over kept rows × kept columns. */
  readonly kept: number;
  /** Total importance − kept: the cost every algorithm minimises. */
  readonly removed: number;
}

/**
 * Throws one clear line when the instance cannot be solved; `where` names the layer (or
 * "row-column problem" for a bare instance).
 */
export function checkProblem(problem: RowColumnProblem, where = 'row-column problem'): void {
  const { rows, cols, importance, budget } = problem;
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 1 || cols < 1) {
    throw new InputError(`${where}: the matrix must have at least one row and one column (got ${rows}×${cols})`);
  }
  if (importance.length !== rows * cols) {
    throw new InputError(`${where}: importance has ${importance.length} entries, expected ${rows}×${cols} = ${rows * cols}`);
  }
  if (!Number.isInteger(budget) || budget < 1) {
    throw new InputError(`${where}: budget must keep at least 1 entry (got ${budget})`);
  }
  if (budget > rows * cols) {
    throw new InputError(`${where}: budget ${budget} is larger than the ${rows}×${cols} matrix (${rows * cols} entries)`);
  }
  for (let k = 0; k < importance.length; k++) {
    const v = importance[k];
    if (!(v >= 0) || !Number.isFinite(v)) {
      throw new InputError(`${where}: importance at row ${Math.floor(k / cols)}, column ${k % cols} is ${v}; it must be finite and ≥ 0`);
    }
  }
}

export function totalImportance(problem: RowColumnProblem): number {
  let sum = 0;
  for (let k = 0; k < problem.importance.length; k++) sum += problem.importance[k];
  return sum;
}

/** The selection keeping `rows` × `cols` (any order, no duplicates), with its kept and removed importance summed exactly once. */
export function selectionOf(problem: RowColumnProblem, rows: Iterable<number>, cols: Iterable<number>, total = totalImportance(problem)): RowColumnSelection {
  const keptRows = [...rows].sort((x, y) => x - y);
  const keptCols = [...cols].sort((x, y) => x - y);
  if (keptRows.length * keptCols.length > problem.budget) {
    throw new Error(`row-column: ${keptRows.length}×${keptCols.length} kept entries exceed the budget ${problem.budget}`);
  }
  let kept = 0;
  for (const i of keptRows) {
    const base = i * problem.cols;
    for (const j of keptCols) kept += problem.importance[base + j];
  }
  return { keptRows, keptCols, kept, removed: Math.max(0, total - kept) };
}

/** The same instance with rows and columns swapped (column-then-row is row-then-column on it). */
export function transpose(problem: RowColumnProblem): RowColumnProblem {
  const { rows, cols, importance } = problem;
  const t = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) t[j * rows + i] = importance[i * cols + j];
  return { rows: cols, cols: rows, importance: t, budget: problem.budget };
}

/** Indices of `values` ordered by value, largest first; ties by lower index so results are deterministic. */
export function indicesByValueDescending(values: ArrayLike<number>): number[] {
  const order = Array.from({ length: values.length }, (_, k) => k);
  return order.sort((x, y) => values[y] - values[x] || x - y);
}

/** The better of two selections: more kept importance; on a tie the first. */
export function better(a: RowColumnSelection, b: RowColumnSelection): RowColumnSelection {
  return b.kept > a.kept ? b : a;
}

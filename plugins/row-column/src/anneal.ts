import { InputError, Rng } from '@nncompress/core';
import { bestGreedy } from './greedy';
import { better, checkProblem, RowColumnProblem, RowColumnSelection, selectionOf, totalImportance } from './problem';

export interface AnnealOptions {
  /** Proposed moves (accepted or not). */
  iterations: number;
  /**
   * Starting temperature as a fraction of the start's mean kept row/column importance
   * (so the schedule does not depend on the scale of the weights).
   */
  initialTemperature: number;
  /** Final temperature, same unit; cooling is geometric from initial to final. */
  finalTemperature: number;
  rng: Rng;
  /** Where to start; the better greedy order when omitted. */
  start?: RowColumnSelection;
}

export const annealDefaults = { iterations: 20_000, initialTemperature: 0.3, finalTemperature: 1e-4 } as const;

/**
 * Local SA (Tu 2024) on one layer. The state is (R, C); a move is one of
 *  - swap: a kept row (column) for a removed one;
 *  - grow: keep one more row (column) where the budget allows;
 *  - trade: keep one more row (column) and drop the fewest, weakest columns (rows) that
 *    bring |R|·|C| back within the budget;
 *  - shrink: drop one row (column) and keep the best columns (rows) the freed budget buys.
 * Moves are scored in O(1) (swap, grow) or O(m + n) (trade, shrink) from running row and
 * column sums; Metropolis acceptance; geometric cooling. It returns the best state it
 * visited, so it is never worse than its start.
 */
export function localAnneal(problem: RowColumnProblem, options: AnnealOptions): RowColumnSelection {
  checkProblem(problem);
  checkAnnealOptions(options);
  const start = options.start ?? bestGreedy(problem);
  const state = new AnnealState(problem, start);
  const total = totalImportance(problem);
  if (state.value <= 0) return selectionOf(problem, start.keptRows, start.keptCols, total);

  const scale = 0.5 * (state.value / start.keptRows.length + state.value / start.keptCols.length);
  const t0 = options.initialTemperature * scale;
  const cooling = options.iterations > 1 ? Math.pow(options.finalTemperature / options.initialTemperature, 1 / (options.iterations - 1)) : 1;
  const rng = options.rng;
  let temperature = t0;
  let bestValue = state.value;
  let best = state.snapshot();
  for (let it = 0; it < options.iterations; it++, temperature *= cooling) {
    const move = state.propose(rng);
    if (move && (move.delta >= 0 || (temperature > 0 && rng.next() < Math.exp(move.delta / temperature)))) {
      move.apply();
      // A relative margin keeps accumulated rounding from counting as an improvement.
      if (state.value > bestValue * (1 + 1e-12) + 1e-300) {
        bestValue = state.value;
        best = state.snapshot();
      }
    }
  }
  // Scored again from scratch: the running sums carry rounding.
  return better(selectionOf(problem, start.keptRows, start.keptCols, total), selectionOf(problem, best.rows, best.cols, total));
}

export function checkAnnealOptions(options: Omit<AnnealOptions, 'rng'>, where = 'anneal'): void {
  if (!Number.isInteger(options.iterations) || options.iterations < 0) {
    throw new InputError(`${where}: iterations must be a whole number ≥ 0 (got ${options.iterations})`);
  }
  if (!(options.initialTemperature > 0) || !(options.finalTemperature > 0) || options.finalTemperature > options.initialTemperature) {
    throw new InputError(`${where}: temperatures must satisfy 0 < finalTemperature ≤ initialTemperature (got ${options.finalTemperature} and ${options.initialTemperature})`);
  }
}

interface Move {
  delta: number;
  apply(): void;
}

/** One axis (rows or columns): which indices are kept, and each index's importance summed over the other axis's kept indices. */
class Axis {
  readonly kept: number[] = [];
  readonly removed: number[] = [];
  /** Position of each index in `kept` or `removed`. */
  readonly pos: Int32Array;
  readonly isKept: Uint8Array;
  readonly sums: Float64Array;

  constructor(readonly size: number) {
    this.pos = new Int32Array(size);
    this.isKept = new Uint8Array(size);
    this.sums = new Float64Array(size);
  }

  init(kept: readonly number[]): void {
    for (const k of kept) this.isKept[k] = 1;
    for (let k = 0; k < this.size; k++) {
      const list = this.isKept[k] ? this.kept : this.removed;
      this.pos[k] = list.length;
      list.push(k);
    }
  }

  setKept(k: number, keep: boolean): void {
    const from = keep ? this.removed : this.kept;
    const to = keep ? this.kept : this.removed;
    const p = this.pos[k];
    const last = from.pop() as number;
    if (last !== k) {
      from[p] = last;
      this.pos[last] = p;
    }
    this.pos[k] = to.length;
    to.push(k);
    this.isKept[k] = keep ? 1 : 0;
  }
}

class AnnealState {
  /** axes[0] rows, axes[1] columns. */
  private readonly axes: [Axis, Axis];
  value = 0;

  constructor(private readonly problem: RowColumnProblem, start: RowColumnSelection) {
    this.axes = [new Axis(problem.rows), new Axis(problem.cols)];
    this.axes[0].init(start.keptRows);
    this.axes[1].init(start.keptCols);
    const { rows, cols, importance } = problem;
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++) {
        const a = importance[i * cols + j];
        if (this.axes[1].isKept[j]) this.axes[0].sums[i] += a;
        if (this.axes[0].isKept[i]) this.axes[1].sums[j] += a;
      }
    }
    for (const i of this.axes[0].kept) this.value += this.axes[0].sums[i];
  }

  snapshot(): { rows: number[]; cols: number[] } {
    return { rows: [...this.axes[0].kept], cols: [...this.axes[1].kept] };
  }

  /** Importance of entry (k on `axis`, l on the other axis). */
  private at(axis: number, k: number, l: number): number {
    const cols = this.problem.cols;
    return axis === 0 ? this.problem.importance[k * cols + l] : this.problem.importance[l * cols + k];
  }

  private add(axis: number, k: number): void {
    const own = this.axes[axis];
    const other = this.axes[1 - axis];
    this.value += own.sums[k];
    for (let l = 0; l < other.size; l++) other.sums[l] += this.at(axis, k, l);
    own.setKept(k, true);
  }

  private drop(axis: number, k: number): void {
    const own = this.axes[axis];
    const other = this.axes[1 - axis];
    this.value -= own.sums[k];
    for (let l = 0; l < other.size; l++) other.sums[l] -= this.at(axis, k, l);
    own.setKept(k, false);
  }

  propose(rng: Rng): Move | undefined {
    const axis = rng.int(2);
    const own = this.axes[axis];
    const other = this.axes[1 - axis];
    const budget = this.problem.budget;
    const kind = rng.next();
    if (kind < 0.5) {
      if (own.kept.length === 0 || own.removed.length === 0) return undefined;
      const out = own.kept[rng.int(own.kept.length)];
      const into = own.removed[rng.int(own.removed.length)];
      return {
        delta: own.sums[into] - own.sums[out],
        apply: () => {
          this.drop(axis, out);
          this.add(axis, into);
        },
      };
    }
    if (kind < 0.85) {
      if (own.removed.length === 0) return undefined;
      const into = own.removed[rng.int(own.removed.length)];
      const fits = Math.min(other.size, Math.floor(budget / (own.kept.length + 1)));
      if (fits >= other.kept.length) {
        return { delta: own.sums[into], apply: () => this.add(axis, into) };
      }
      if (fits < 1 || kind < 0.7) return this.shrink(axis, rng);
      // trade: keep `into`, drop the weakest kept entries of the other axis (weighed with `into` kept).
      const loss = other.kept.map((l) => ({ l, v: other.sums[l] + this.at(axis, into, l) })).sort((x, y) => x.v - y.v || x.l - y.l);
      const dropped = loss.slice(0, other.kept.length - fits);
      return {
        delta: own.sums[into] - dropped.reduce((s, d) => s + d.v, 0),
        apply: () => {
          this.add(axis, into);
          for (const d of dropped) this.drop(1 - axis, d.l);
        },
      };
    }
    return this.shrink(axis, rng);
  }

  /** Drop one kept index of `axis` and spend the freed budget on the best removed indices of the other axis. */
  private shrink(axis: number, rng: Rng): Move | undefined {
    const own = this.axes[axis];
    const other = this.axes[1 - axis];
    if (own.kept.length < 2) return undefined;
    const out = own.kept[rng.int(own.kept.length)];
    const fits = Math.min(other.size, Math.floor(this.problem.budget / (own.kept.length - 1)));
    const gain = other.removed.map((l) => ({ l, v: other.sums[l] - this.at(axis, out, l) })).sort((x, y) => y.v - x.v || x.l - y.l);
    const added = gain.slice(0, Math.max(0, fits - other.kept.length));
    return {
      delta: added.reduce((s, d) => s + d.v, 0) - own.sums[out],
      apply: () => {
        this.drop(axis, out);
        for (const d of added) this.add(1 - axis, d.l);
      },
    };
  }
}

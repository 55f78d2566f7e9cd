import { Rng } from '@nncompress/core';
import { checkAnnealOptions } from './anneal';
import { checkCoupled, CoupledProblem, CoupledSelection } from './network';
import { indicesByValueDescending } from './problem';

export interface NeighboringOptions {
  iterations: number;
  initialTemperature: number;
  finalTemperature: number;
  rng: Rng;
}

/** Column states. */
const DEAD = 0;
const FREE = 1;
const KEPT = 2;

/** An index set with O(1) insert, delete and uniform pick. */
class IndexSet {
  readonly items: number[] = [];
  private readonly pos: Int32Array;
  constructor(size: number) {
    this.pos = new Int32Array(size).fill(-1);
  }
  has(k: number): boolean {
    return this.pos[k] >= 0;
  }
  add(k: number): void {
    this.pos[k] = this.items.length;
    this.items.push(k);
  }
  delete(k: number): void {
    const p = this.pos[k];
    const last = this.items.pop() as number;
    if (last !== k) {
      this.items[p] = last;
      this.pos[last] = p;
    }
    this.pos[k] = -1;
  }
  pick(rng: Rng): number {
    return this.items[rng.int(this.items.length)];
  }
  get size(): number {
    return this.items.length;
  }
}

/** Per-layer running state: row sums over kept columns, column sums over kept rows. */
class LayerState {
  readonly rowSum: Float64Array;
  readonly colSum: Float64Array;
  readonly colState: Uint8Array;
  readonly keptCols: IndexSet;
  readonly freeCols: IndexSet;
  /** Kept rows of a layer with fixed rows (all of them); grouped layers read their group's set. */
  constructor(readonly rows: number, readonly cols: number) {
    this.rowSum = new Float64Array(rows);
    this.colSum = new Float64Array(cols);
    this.colState = new Uint8Array(cols);
    this.keptCols = new IndexSet(cols);
    this.freeCols = new IndexSet(cols);
  }
}

/**
 * Neighboring SA (Tu 2024): simulated annealing over all GEMM layers at once, on the live
 * objective — importance in kept rows × kept columns whose input channel is still produced.
 * The state is a kept-channel set per group (the rows of its producers) and a kept-column
 * set per layer (live columns only). Moves:
 *  - column swap / grow / drop inside a layer;
 *  - channel swap in a group: its producers swap a row, and each consumer moves the kernel
 *    positions it kept for the old channel to the new one (budgets unchanged);
 *  - channel grow: producers gain a row and drop their weakest columns until within budget;
 *  - channel shrink: producers lose a row, consumers lose that channel's columns, and every
 *    touched layer spends its freed budget on its best free columns.
 * A move is applied, scored by the change of the objective, and undone if Metropolis rejects
 * it. Starts from a coupled greedy solution; returns the best state visited.
 */
export function neighboringAnneal(problem: CoupledProblem, options: NeighboringOptions): CoupledSelection {
  checkCoupled(problem);
  checkAnnealOptions(options, 'neighboring-sa');
  const state = new CoupledState(problem);
  state.startGreedy();
  if (state.value <= 0 || options.iterations === 0) return state.selection();
  const keptUnits = problem.layers.reduce((n, _, l) => n + state.keptRowCount(l) + state.layers[l].keptCols.size, 0);
  const t0 = options.initialTemperature * (state.value / Math.max(1, keptUnits)) * 2;
  const cooling = options.iterations > 1 ? Math.pow(options.finalTemperature / options.initialTemperature, 1 / (options.iterations - 1)) : 1;
  const rng = options.rng;
  let temperature = t0;
  let bestValue = state.value;
  let best = state.selection();
  for (let it = 0; it < options.iterations; it++, temperature *= cooling) {
    const before = state.value;
    if (!state.move(rng)) continue;
    const delta = state.value - before;
    if (delta >= 0 || rng.next() < Math.exp(delta / temperature)) {
      state.commit();
      if (state.value > bestValue * (1 + 1e-12) + 1e-300) {
        bestValue = state.value;
        best = state.selection();
      }
    } else {
      state.undo();
    }
  }
  return best;
}

class CoupledState {
  readonly layers: LayerState[];
  /** Kept channels per group. */
  private readonly kept: IndexSet[];
  private readonly free: IndexSet[];
  /** Producers (layer indices) per group. */
  private readonly producers: number[][];
  /** Per global channel: [layer, column] pairs reading it. */
  private readonly readers: [number, number][][];
  private readonly channelGroup: Int32Array;
  private readonly alive: Uint8Array;
  value = 0;
  /** Inverse operations of the move being tried, newest last. */
  private log: (() => void)[] = [];
  private recording = false;

  constructor(private readonly problem: CoupledProblem) {
    const channels = problem.groupSizes.reduce((n, s) => n + s, 0);
    this.layers = problem.layers.map((l) => new LayerState(l.rows, l.cols));
    this.kept = problem.groupSizes.map((s) => new IndexSet(s));
    this.free = problem.groupSizes.map((s) => new IndexSet(s));
    this.producers = problem.groupSizes.map(() => []);
    this.readers = Array.from({ length: channels }, () => []);
    this.channelGroup = new Int32Array(channels);
    this.alive = new Uint8Array(channels);
    problem.groupSizes.forEach((size, g) => {
      for (let k = 0; k < size; k++) this.channelGroup[problem.groupStart[g] + k] = g;
    });
    problem.layers.forEach((layer, l) => {
      if (layer.rowGroup >= 0) this.producers[layer.rowGroup].push(l);
      layer.colChannel.forEach((c, j) => {
        if (c >= 0) this.readers[c].push([l, j]);
      });
    });
  }

  keptRowCount(l: number): number {
    const g = this.problem.layers[l].rowGroup;
    return g >= 0 ? this.kept[g].size : this.problem.layers[l].rows;
  }

  private rowKept(l: number, i: number): boolean {
    const g = this.problem.layers[l].rowGroup;
    return g < 0 || this.kept[g].has(i);
  }

  private fits(l: number, rows: number, cols: number): boolean {
    return rows * cols <= this.problem.layers[l].budget;
  }

  /**
   * Coupled greedy start: each group keeps the channels with the most importance summed
   * over its producers, as many as the first producer's best greedy shape (no more than any
   * producer's budget allows with one column); then each layer keeps its best live columns.
   */
  startGreedy(): void {
    const { layers, groupSizes } = this.problem;
    groupSizes.forEach((size, g) => {
      const sums = new Float64Array(size);
      let rowsWanted = size;
      for (const l of this.producers[g]) {
        const layer = layers[l];
        for (let i = 0; i < layer.rows; i++) for (let j = 0; j < layer.cols; j++) sums[i] += layer.importance[i * layer.cols + j];
        rowsWanted = Math.min(rowsWanted, layer.budget);
      }
      const first = layers[this.producers[g][0]];
      rowsWanted = Math.max(1, Math.min(rowsWanted, Math.round(Math.sqrt((first.budget * first.rows) / first.cols))));
      const order = indicesByValueDescending(sums);
      order.forEach((k, n) => (n < rowsWanted ? this.kept[g] : this.free[g]).add(k));
      for (const k of this.kept[g].items) this.alive[this.problem.groupStart[g] + k] = 1;
    });
    layers.forEach((layer, l) => {
      const s = this.layers[l];
      for (let j = 0; j < layer.cols; j++) {
        const live = layer.colChannel[j] < 0 || this.alive[layer.colChannel[j]];
        s.colState[j] = live ? FREE : DEAD;
        if (live) s.freeCols.add(j);
      }
      for (let i = 0; i < layer.rows; i++) {
        if (!this.rowKept(l, i)) continue;
        for (let j = 0; j < layer.cols; j++) s.colSum[j] += layer.importance[i * layer.cols + j];
      }
      this.fill(l);
    });
    this.log = [];
  }

  /** Keep the best free columns of layer l while the budget allows. */
  private fill(l: number): void {
    const s = this.layers[l];
    const rows = this.keptRowCount(l);
    const room = Math.floor(this.problem.layers[l].budget / Math.max(1, rows)) - s.keptCols.size;
    if (room <= 0 || s.freeCols.size === 0) return;
    const candidates = [...s.freeCols.items];
    const order = indicesByValueDescending(candidates.map((j) => s.colSum[j]));
    for (let n = 0; n < Math.min(room, order.length); n++) this.keepCol(l, candidates[order[n]]);
  }

  /** Drop the weakest kept columns of layer l until it fits its budget. */
  private trim(l: number): void {
    const s = this.layers[l];
    const rows = this.keptRowCount(l);
    const excess = s.keptCols.size - Math.floor(this.problem.layers[l].budget / Math.max(1, rows));
    if (excess <= 0) return;
    const candidates = [...s.keptCols.items];
    const order = indicesByValueDescending(candidates.map((j) => -s.colSum[j]));
    for (let n = 0; n < excess; n++) this.dropCol(l, candidates[order[n]]);
  }

  // Primitive operations; each records its inverse while a move is being tried.

  private keepCol(l: number, j: number): void {
    const s = this.layers[l];
    const layer = this.problem.layers[l];
    this.value += s.colSum[j];
    for (let i = 0; i < layer.rows; i++) s.rowSum[i] += layer.importance[i * layer.cols + j];
    s.freeCols.delete(j);
    s.keptCols.add(j);
    s.colState[j] = KEPT;
    if (this.recording) this.log.push(() => this.dropCol(l, j));
  }

  private dropCol(l: number, j: number): void {
    const s = this.layers[l];
    const layer = this.problem.layers[l];
    this.value -= s.colSum[j];
    for (let i = 0; i < layer.rows; i++) s.rowSum[i] -= layer.importance[i * layer.cols + j];
    s.keptCols.delete(j);
    s.freeCols.add(j);
    s.colState[j] = FREE;
    if (this.recording) this.log.push(() => this.keepCol(l, j));
  }

  private killCol(l: number, j: number): void {
    const s = this.layers[l];
    if (s.colState[j] === KEPT) this.dropCol(l, j);
    s.freeCols.delete(j);
    s.colState[j] = DEAD;
    if (this.recording) this.log.push(() => this.reviveCol(l, j));
  }

  private reviveCol(l: number, j: number): void {
    const s = this.layers[l];
    s.freeCols.add(j);
    s.colState[j] = FREE;
    if (this.recording) this.log.push(() => this.killCol(l, j));
  }

  private addRow(l: number, i: number): void {
    const s = this.layers[l];
    const layer = this.problem.layers[l];
    this.value += s.rowSum[i];
    for (let j = 0; j < layer.cols; j++) s.colSum[j] += layer.importance[i * layer.cols + j];
  }

  private removeRow(l: number, i: number): void {
    const s = this.layers[l];
    const layer = this.problem.layers[l];
    this.value -= s.rowSum[i];
    for (let j = 0; j < layer.cols; j++) s.colSum[j] -= layer.importance[i * layer.cols + j];
  }

  /** Channel k of group g becomes kept: its producers gain row k and its readers' columns come alive (free). */
  private keepChannel(g: number, k: number): void {
    this.channelOn(g, k);
    for (const [l, j] of this.readers[this.problem.groupStart[g] + k]) this.reviveCol(l, j);
  }

  /** Channel k of group g is removed: its readers' columns die (dropped if kept), its producers lose row k. */
  private dropChannel(g: number, k: number): void {
    for (const [l, j] of this.readers[this.problem.groupStart[g] + k]) this.killCol(l, j);
    this.channelOff(g, k);
  }

  private channelOn(g: number, k: number): void {
    this.free[g].delete(k);
    this.kept[g].add(k);
    this.alive[this.problem.groupStart[g] + k] = 1;
    for (const l of this.producers[g]) this.addRow(l, k);
    if (this.recording) this.log.push(() => this.channelOff(g, k));
  }

  private channelOff(g: number, k: number): void {
    for (const l of this.producers[g]) this.removeRow(l, k);
    this.kept[g].delete(k);
    this.free[g].add(k);
    this.alive[this.problem.groupStart[g] + k] = 0;
    if (this.recording) this.log.push(() => this.channelOn(g, k));
  }

  commit(): void {
    this.log = [];
    this.recording = false;
  }

  undo(): void {
    this.recording = false;
    const log = this.log;
    this.log = [];
    for (let n = log.length - 1; n >= 0; n--) log[n]();
  }

  /** Applies one random move (recorded for undo); false when the drawn move does not apply. */
  move(rng: Rng): boolean {
    this.log = [];
    this.recording = true;
    const groups = this.problem.groupSizes.length;
    const kind = rng.next();
    if (kind < 0.45 || groups === 0) {
      const l = rng.int(this.problem.layers.length);
      const s = this.layers[l];
      const rows = this.keptRowCount(l);
      const sub = rng.next();
      if (sub < 0.7) {
        if (s.keptCols.size === 0 || s.freeCols.size === 0) return this.none();
        const out = s.keptCols.pick(rng);
        const into = s.freeCols.pick(rng);
        this.dropCol(l, out);
        this.keepCol(l, into);
      } else if (sub < 0.85) {
        if (s.freeCols.size === 0 || !this.fits(l, rows, s.keptCols.size + 1)) return this.none();
        this.keepCol(l, s.freeCols.pick(rng));
      } else {
        if (s.keptCols.size < 2) return this.none();
        this.dropCol(l, s.keptCols.pick(rng));
      }
      return true;
    }
    const g = rng.int(groups);
    const kept = this.kept[g];
    const free = this.free[g];
    if (kind < 0.75) {
      if (kept.size === 0 || free.size === 0) return this.none();
      const out = kept.pick(rng);
      const into = free.pick(rng);
      const c = this.problem.groupStart[g];
      // Consumers keep the same kernel positions, now of the new channel.
      const moved = this.readers[c + out].filter(([l, j]) => this.layers[l].colState[j] === KEPT);
      const positions = moved.map(([l, j]) => [l, j - out + into] as const);
      this.dropChannel(g, out);
      this.keepChannel(g, into);
      for (const [l, j] of positions) if (this.layers[l].colState[j] === FREE && this.problem.layers[l].colChannel[j] === c + into) this.keepCol(l, j);
      return true;
    }
    if (kind < 0.875) {
      if (free.size === 0) return this.none();
      this.keepChannel(g, free.pick(rng));
      for (const l of this.producers[g]) this.trim(l);
      if (this.producers[g].some((l) => this.layers[l].keptCols.size === 0)) {
        this.undo();
        return false;
      }
      return true;
    }
    if (kept.size < 2) return this.none();
    const out = kept.pick(rng);
    const touched = new Set([...this.producers[g], ...this.readers[this.problem.groupStart[g] + out].map(([l]) => l)]);
    this.dropChannel(g, out);
    for (const l of touched) this.fill(l);
    return true;
  }

  private none(): false {
    this.recording = false;
    this.log = [];
    return false;
  }

  selection(): CoupledSelection {
    const keptChannels = this.kept.map((s) => [...s.items].sort((a, b) => a - b));
    const layers = this.problem.layers.map((layer, l) => {
      const keptRows = layer.rowGroup >= 0 ? keptChannels[layer.rowGroup] : Array.from({ length: layer.rows }, (_, i) => i);
      return { keptRows, keptCols: [...this.layers[l].keptCols.items].sort((a, b) => a - b) };
    });
    // Scored from scratch: the running sums carry rounding.
    let kept = 0;
    this.problem.layers.forEach((layer, l) => {
      for (const i of layers[l].keptRows) for (const j of layers[l].keptCols) kept += layer.importance[i * layer.cols + j];
    });
    return { keptChannels, layers, kept };
  }
}

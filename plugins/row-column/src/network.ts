import { ChannelAnalysis, InputError } from '@nncompress/core';
import { GemmView, toGemm } from './gemm';

/**
 * Several GEMM layers whose rows and columns are tied by the channels between them
 * (Neighboring SA, Tu 2024). Removing row k of a producer removes channel k of its group,
 * and with it every column of a consuming layer that reads channel k (k_h·k_w columns of a
 * Conv2D; one per spatial position of a Dense behind a Flatten). Residual Add groups have
 * several producers that share one set of kept channels.
 */
export interface CoupledLayer {
  readonly name: string;
  readonly rows: number;
  readonly cols: number;
  /** Row-major rows × cols, ≥ 0. */
  readonly importance: Float64Array;
  readonly budget: number;
  /** Group whose channel k is row k; −1 when the rows are fixed (an output layer, a blocked group). */
  readonly rowGroup: number;
  /** Per column, the global id of the channel it reads (see `CoupledProblem.groupStart`), or −1 when that input is never pruned. */
  readonly colChannel: Int32Array;
}

export interface CoupledProblem {
  readonly layers: readonly CoupledLayer[];
  /** Channels per group. */
  readonly groupSizes: readonly number[];
  /** Global id of channel k of group g is groupStart[g] + k. */
  readonly groupStart: readonly number[];
}

/** Kept channels per group, and kept rows × columns per layer (dead columns are never kept). */
export interface CoupledSelection {
  readonly keptChannels: readonly (readonly number[])[];
  readonly layers: readonly { readonly keptRows: readonly number[]; readonly keptCols: readonly number[] }[];
  /** Importance kept in live entries: kept row × kept column whose input channel is kept. */
  readonly kept: number;
}

/**
 * The coupled problem of a model's GEMM layers, from core's channel analysis. A group
 * qualifies when it is not blocked and each of its producers among `views` outputs it whole
 * (row k = channel k); consumers among `views` read it through their input axis. Groups whose
 * producers are not all in `views` (an excluded layer) stay fixed, so an excluded layer is
 * never changed.
 */
export function coupledProblem(views: readonly GemmView[], scores: ReadonlyMap<string, Float32Array>, analysis: ChannelAnalysis, sparsity: number): CoupledProblem {
  const byLayer = new Map(views.map((v) => [v.weight.layerName, v] as const));
  const groupIndex = new Map<number, number>();
  const groupSizes: number[] = [];
  const groupStart: number[] = [];
  let channels = 0;
  for (const group of analysis.groups) {
    if (group.blocked) continue;
    const producers = group.members.filter((m) => m.role === 'producer');
    const whole = producers.every((m) => byLayer.has(m.layer) && !byLayer.get(m.layer)?.isOutput && m.offset === 0 && m.start === 0 && m.length === group.size && byLayer.get(m.layer)?.rows === group.size);
    if (producers.length === 0 || !whole) continue;
    groupIndex.set(group.id, groupSizes.length);
    groupSizes.push(group.size);
    groupStart.push(channels);
    channels += group.size;
  }
  const rowGroup = new Map<string, number>();
  const colChannels = new Map<string, Int32Array>(views.map((v) => [v.weight.layerName, new Int32Array(v.cols).fill(-1)] as const));
  for (const group of analysis.groups) {
    const g = groupIndex.get(group.id);
    if (g === undefined) continue;
    for (const m of group.members) {
      const view = byLayer.get(m.layer);
      if (!view) continue;
      if (m.role === 'producer') rowGroup.set(m.layer, g);
      if (m.role !== 'consumer') continue;
      // Column j reads input channel j mod C_in (im2col order; for a Dense behind a Flatten, C_in is the flattened channel count).
      const inputChannels = m.flatten ? m.flatten.channels : view.kernel === 'conv2d' ? view.weight.shape[2] : view.cols;
      const cols = colChannels.get(m.layer) as Int32Array;
      for (let j = 0; j < view.cols; j++) {
        const k = (j % inputChannels) - m.offset;
        if (k >= m.start && k < m.start + m.length) cols[j] = groupStart[g] + k;
      }
    }
  }
  const layers = views.flatMap((view): CoupledLayer[] => {
    const score = scores.get(view.weight.name);
    if (!score) return [];
    const size = view.rows * view.cols;
    const fixedRows = !rowGroup.has(view.weight.layerName);
    const budget = Math.max(1, Math.floor((1 - sparsity) * size + 1e-9));
    return [{
      name: view.weight.layerName,
      rows: view.rows,
      cols: view.cols,
      importance: toGemm(view, score),
      // A layer with fixed rows keeps at least one column.
      budget: fixedRows ? Math.max(budget, view.rows) : budget,
      rowGroup: rowGroup.get(view.weight.layerName) ?? -1,
      colChannel: colChannels.get(view.weight.layerName) as Int32Array,
    }];
  });
  return { layers, groupSizes, groupStart };
}

/**
 * Importance kept by per-layer selections once their coupling is applied: a channel
 * survives while any producer keeps its row, and a kept column reading a removed channel
 * keeps nothing. This is how per-layer methods (greedy, Local SA) are compared with
 * Neighboring SA on one measure.
 */
export function liveImportance(problem: CoupledProblem, selections: readonly { keptRows: readonly number[]; keptCols: readonly number[] }[]): number {
  const channels = problem.groupStart.length === 0 ? 0 : problem.groupStart[problem.groupStart.length - 1] + problem.groupSizes[problem.groupSizes.length - 1];
  const alive = new Uint8Array(channels);
  problem.layers.forEach((layer, l) => {
    if (layer.rowGroup >= 0) for (const i of selections[l].keptRows) alive[problem.groupStart[layer.rowGroup] + i] = 1;
  });
  let kept = 0;
  problem.layers.forEach((layer, l) => {
    const cols = selections[l].keptCols.filter((j) => layer.colChannel[j] < 0 || alive[layer.colChannel[j]]);
    for (const i of selections[l].keptRows) for (const j of cols) kept += layer.importance[i * layer.cols + j];
  });
  return kept;
}

export function checkCoupled(problem: CoupledProblem): void {
  for (const layer of problem.layers) {
    if (layer.budget < 1 || layer.budget > layer.rows * layer.cols) {
      throw new InputError(`layer "${layer.name}": budget ${layer.budget} must be between 1 and ${layer.rows * layer.cols}`);
    }
  }
}

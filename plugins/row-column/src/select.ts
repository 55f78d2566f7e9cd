import { analyzeChannels, ArrayDataset, ChannelAnalysis, importanceMeasures, Rng, tf } from '@nncompress/core';
import { ImportanceRegistry } from '@nncompress/core/importance';
import { localAnneal } from './anneal';
import { GemmView, gemmMask, gemmViews, toGemm } from './gemm';
import { globalRowThenColumn } from './global';
import { bestGreedy } from './greedy';
import { coupledProblem } from './network';
import { neighboringAnneal } from './neighboring';
import { indicesByValueDescending, RowColumnProblem, RowColumnSelection, selectionOf } from './problem';
import type { RowColumnOptions } from './schema';

/** Importance per kernel entry (tfjs layout) for every GEMM view of the model. */
export function scoreGemmWeights(
  model: tf.LayersModel,
  importance: string,
  options: { layers?: readonly string[]; exclude?: readonly string[]; data?: ArrayDataset; batches?: number; batchSize?: number; rng?: Rng; registry?: Pick<ImportanceRegistry, 'measure'> } = {},
): Map<string, Float32Array> {
  const measure = (options.registry ?? importanceMeasures).measure(importance, 'weight', 'importance');
  const views = gemmViews(model, { only: options.layers, exclude: options.exclude });
  return measure.score(model, views.map((v) => v.weight), { data: options.data, batches: options.batches ?? 8, batchSize: options.batchSize ?? 64, rng: options.rng ?? new Rng(0) });
}

/** What was kept in one layer. */
export interface LayerSelection {
  readonly layer: string;
  readonly rows: number;
  readonly cols: number;
  readonly keptRows: number;
  readonly keptCols: number;
  /** Fraction of the layer's importance removed. */
  readonly removedFraction: number;
}

/**
 * Row-and-column selection of every scored GEMM layer to `sparsity` (each layer keeps at
 * most ⌊(1 − sparsity)·rows·cols⌋ entries, at least one). An output layer keeps every row
 * (its rows are the classes) and its best columns. Each layer's annealing draws from its own
 * generator forked by layer name, so adding or excluding a layer does not change the others.
 */
export function selectRowColumn(
  model: tf.LayersModel,
  scores: ReadonlyMap<string, Float32Array>,
  sparsity: number,
  options: Pick<RowColumnOptions, 'method' | 'layers' | 'exclude' | 'iterations' | 'initialTemperature' | 'finalTemperature'>,
  rng: Rng,
  analysis?: ChannelAnalysis,
): { masks: Map<string, Uint8Array>; layers: LayerSelection[] } {
  const masks = new Map<string, Uint8Array>();
  const layers: LayerSelection[] = [];
  const views = gemmViews(model, { only: options.layers, exclude: options.exclude });
  const record = (view: GemmView, selection: RowColumnSelection): void => {
    masks.set(view.weight.name, gemmMask(view, selection.keptRows, selection.keptCols));
    const total = selection.kept + selection.removed;
    layers.push({ layer: view.weight.layerName, rows: view.rows, cols: view.cols, keptRows: selection.keptRows.length, keptCols: selection.keptCols.length, removedFraction: total > 0 ? selection.removed / total : 0 });
  };
  /** What a layer keeps when its budget was shared with other layers (global and coupled methods): summed as any selection. */
  const within = (view: GemmView, importance: Float64Array, keptRows: readonly number[], keptCols: readonly number[]): RowColumnSelection =>
    selectionOf({ rows: view.rows, cols: view.cols, importance, budget: view.rows * view.cols }, keptRows, keptCols);
  if (options.method === 'neighboring-sa') {
    const problem = coupledProblem(views, scores, analysis ?? analyzeChannels(model), sparsity);
    const selection = neighboringAnneal(problem, { iterations: options.iterations * problem.layers.length, initialTemperature: options.initialTemperature, finalTemperature: options.finalTemperature, rng: rng.fork('neighboring-sa') });
    problem.layers.forEach((layer, l) => {
      const view = views.find((v) => v.weight.layerName === layer.name) as GemmView;
      record(view, within(view, layer.importance, selection.layers[l].keptRows, selection.layers[l].keptCols));
    });
    return { masks, layers };
  }
  if (options.method === 'global-greedy') {
    const scored = views.filter((v) => scores.has(v.weight.name));
    const problem = scored.map((v) => ({ rows: v.rows, cols: v.cols, importance: toGemm(v, scores.get(v.weight.name) as Float32Array), fixedRows: v.isOutput }));
    const budget = scored.reduce((n, v) => n + Math.max(v.isOutput ? v.rows : 1, Math.floor((1 - sparsity) * v.rows * v.cols + 1e-9)), 0);
    const selection = globalRowThenColumn(problem, budget);
    scored.forEach((view, l) => record(view, within(view, problem[l].importance, selection.layers[l].keptRows, selection.layers[l].keptCols)));
    return { masks, layers };
  }
  for (const view of views) {
    const score = scores.get(view.weight.name);
    if (!score) continue;
    const size = view.rows * view.cols;
    const budget = Math.max(1, Math.floor((1 - sparsity) * size + 1e-9));
    const problem: RowColumnProblem = { rows: view.rows, cols: view.cols, importance: toGemm(view, score), budget };
    let selection: RowColumnSelection;
    if (budget >= size) selection = selectionOf(problem, range(view.rows), range(view.cols));
    else if (view.isOutput) selection = keepEveryRow(problem);
    else if (options.method === 'greedy') selection = bestGreedy(problem);
    else selection = localAnneal(problem, { iterations: options.iterations, initialTemperature: options.initialTemperature, finalTemperature: options.finalTemperature, rng: rng.fork(view.weight.layerName) });
    record(view, selection);
  }
  return { masks, layers };
}

/** Rows fixed (an output layer): the best ⌊budget / rows⌋ columns, at least one. */
function keepEveryRow(problem: RowColumnProblem): RowColumnSelection {
  const { rows, cols, importance } = problem;
  const colSums = new Float64Array(cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) colSums[j] += importance[i * cols + j];
  const c = Math.max(1, Math.floor(problem.budget / rows));
  return selectionOf({ ...problem, budget: Math.max(problem.budget, rows) }, range(rows), indicesByValueDescending(colSums).slice(0, c));
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, k) => k);
}


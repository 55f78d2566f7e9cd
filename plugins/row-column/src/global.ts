import { InputError } from '@nncompress/core';

/** One layer of a global row-then-column instance. */
export interface GlobalLayer {
  readonly rows: number;
  readonly cols: number;
  /** Row-major rows × cols, ≥ 0. */
  readonly importance: Float64Array;
  /** Rows fixed (an output layer's classes): only columns may go. */
  readonly fixedRows: boolean;
}

export interface GlobalSelection {
  readonly layers: { readonly keptRows: number[]; readonly keptCols: number[] }[];
  /** Kept entries over all layers (≤ the budget). */
  readonly keptEntries: number;
  /** Share of the entries to remove that went to rows, of the candidates tried. */
  readonly rowShare: number;
}

/**
 * Global row-then-column (the baseline of Tu 2024): rows of all layers are ranked on one
 * scale, then columns. Each layer's importance is divided by its mean entry, so a layer with
 * small weights is not emptied first. Rows go, least important first, until `rowShare` of
 * the entries to remove are gone; then columns (scored within the kept rows) until all
 * layers together keep at most `budget` entries. Every row share 0, 0.1, …, 1 is tried and
 * the one keeping the most normalised importance wins. Each layer keeps at least one row and
 * one column.
 */
export function globalRowThenColumn(layers: readonly GlobalLayer[], budget: number): GlobalSelection {
  const total = layers.reduce((n, l) => n + l.rows * l.cols, 0);
  if (!Number.isInteger(budget) || budget < layers.length) throw new InputError(`global row-then-column: budget ${budget} cannot keep one entry in each of ${layers.length} layers`);
  if (budget > total) throw new InputError(`global row-then-column: budget ${budget} is larger than the ${total} entries of all layers`);
  const normalised = layers.map((l) => {
    let sum = 0;
    for (let k = 0; k < l.importance.length; k++) sum += l.importance[k];
    const mean = sum / l.importance.length;
    return mean > 0 ? l.importance.map((v) => v / mean) : new Float64Array(l.importance.length).fill(1);
  });
  let best: GlobalSelection | undefined;
  let bestValue = -Infinity;
  for (let step = 0; step <= 10; step++) {
    const share = step / 10;
    const { selection, value } = rowThenColumnAt(layers, normalised, budget, total, share);
    if (value > bestValue + 1e-12) {
      best = selection;
      bestValue = value;
    }
  }
  return best as GlobalSelection;
}

function rowThenColumnAt(layers: readonly GlobalLayer[], a: readonly Float64Array[], budget: number, total: number, share: number): { selection: GlobalSelection; value: number } {
  const keptRows = layers.map((l) => new Uint8Array(l.rows).fill(1));
  const keptCols = layers.map((l) => new Uint8Array(l.cols).fill(1));
  const rowCount = layers.map((l) => l.rows);
  const colCount = layers.map((l) => l.cols);
  let entries = total;
  // Rows: mean normalised importance per entry, lowest first.
  const rowTarget = total - share * (total - budget);
  const rows: { l: number; i: number; score: number }[] = [];
  layers.forEach((layer, l) => {
    if (layer.fixedRows) return;
    for (let i = 0; i < layer.rows; i++) {
      let s = 0;
      for (let j = 0; j < layer.cols; j++) s += a[l][i * layer.cols + j];
      rows.push({ l, i, score: s / layer.cols });
    }
  });
  rows.sort((x, y) => x.score - y.score || x.l - y.l || x.i - y.i);
  for (const { l, i } of rows) {
    if (entries <= rowTarget) break;
    if (rowCount[l] <= 1) continue;
    keptRows[l][i] = 0;
    rowCount[l]--;
    entries -= colCount[l];
  }
  // Columns: mean normalised importance over the layer's kept rows, lowest first.
  const cols: { l: number; j: number; score: number }[] = [];
  layers.forEach((layer, l) => {
    for (let j = 0; j < layer.cols; j++) {
      let s = 0;
      for (let i = 0; i < layer.rows; i++) if (keptRows[l][i]) s += a[l][i * layer.cols + j];
      cols.push({ l, j, score: s / rowCount[l] });
    }
  });
  cols.sort((x, y) => x.score - y.score || x.l - y.l || x.j - y.j);
  for (const { l, j } of cols) {
    if (entries <= budget) break;
    if (colCount[l] <= 1) continue;
    keptCols[l][j] = 0;
    colCount[l]--;
    entries -= rowCount[l];
  }
  // Rows first could not reach the budget (every layer down to one column): drop more rows.
  for (const { l, i } of rows) {
    if (entries <= budget) break;
    if (!keptRows[l][i] || rowCount[l] <= 1) continue;
    keptRows[l][i] = 0;
    rowCount[l]--;
    entries -= colCount[l];
  }
  let value = 0;
  const selected = layers.map((layer, l) => {
    const r = Array.from({ length: layer.rows }, (_, i) => i).filter((i) => keptRows[l][i]);
    const c = Array.from({ length: layer.cols }, (_, j) => j).filter((j) => keptCols[l][j]);
    for (const i of r) for (const j of c) value += a[l][i * layer.cols + j];
    return { keptRows: r, keptCols: c };
  });
  return { selection: { layers: selected, keptEntries: entries, rowShare: share }, value };
}

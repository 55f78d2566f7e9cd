/*
 * The sparse-matrix formats piecewise-linear encoding is measured against: CER (Compressed
 * Entropy Row) and CSER (Compressed Shared Elements Row), Wiedemann, Müller & Samek 2020,
 * "Compact and Computationally Efficient Representation of Deep Neural Networks" (IEEE
 * TNNLS). Sizes only (the formats are for computing with, not a file layout): each array the
 * paper defines, each entry at the fewest bits its largest value needs, values as float32.
 *
 * Our reading of the formats, for a matrix of rows × columns:
 * - Ω: the distinct values, most frequent first (ω0, usually 0, is not stored per element);
 * - colI: per row, the column of every element that is not ω0, grouped by the element's
 *   index in Ω, groups in ascending index order;
 * - ΩPtr: where each group starts in colI. CER keeps a pointer for every index 1..k of a
 *   row (k its largest index, so empty groups cost a pointer: cheap when rows use the
 *   frequent values, as the entropy-ordered Ω makes likely); CSER keeps pointers only for
 *   the groups a row has, and adds ΩI, each group's index in Ω;
 * - rowPtr: where each row's pointers start.
 * CSR (values, column indices, row pointers) is given for reference.
 *
 * A weight tensor is read as a matrix with one row per output unit or filter (its last axis)
 * and one column per input entry.
 */
'use strict';

const bitsFor = (max) => Math.max(1, Math.ceil(Math.log2(max + 1)));

/** Bits of `values` (row-major over `rows` × `cols`) in CER, CSER and CSR. */
function sparseFormatBits(values, rows, cols) {
  const counts = new Map();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  const omega = [...counts].sort((a, b) => b[1] - a[1] || a[0] - b[0]).map(([v]) => v);
  const index = new Map(omega.map((v, i) => [v, i]));
  let colI = 0;
  let cerPointers = 0;
  let cserGroups = 0;
  let nonZero = 0;
  for (let r = 0; r < rows; r++) {
    const present = new Set();
    let largest = 0;
    for (let c = 0; c < cols; c++) {
      const v = values[r * cols + c];
      if (v !== 0) nonZero++;
      const k = index.get(v);
      if (k === 0) continue;
      colI++;
      present.add(k);
      largest = Math.max(largest, k);
    }
    cerPointers += largest;
    cserGroups += present.size;
  }
  const columnBits = bitsFor(cols - 1);
  const omegaBits = 32 * omega.length;
  const cer = omegaBits + colI * columnBits + (cerPointers + 1) * bitsFor(colI) + (rows + 1) * bitsFor(cerPointers);
  const cser = omegaBits + colI * columnBits + cserGroups * bitsFor(omega.length - 1) + (cserGroups + 1) * bitsFor(colI) + (rows + 1) * bitsFor(cserGroups);
  const csr = nonZero * (32 + columnBits) + (rows + 1) * bitsFor(nonZero);
  return { cer, cser, csr };
}

/** A tensor of `shape` as the matrix above: rows = its last axis, columns = the rest (transposed from tfjs's layout). */
function asRows(values, shape) {
  const rows = shape.length ? shape[shape.length - 1] : 1;
  const cols = values.length / rows;
  const out = new Float32Array(values.length);
  for (let i = 0; i < cols; i++) for (let r = 0; r < rows; r++) out[r * cols + i] = values[i * rows + r];
  return { values: out, rows, cols };
}

/** Bytes of every tensor of a model in CER, CSER and CSR, summed (`weights`: [{ spec, values }]). */
function modelSparseFormatBytes(weights) {
  const total = { cer: 0, cser: 0, csr: 0 };
  for (const { spec, values } of weights) {
    const m = asRows(values, spec.shape);
    const bits = sparseFormatBits(m.values, m.rows, m.cols);
    for (const k of Object.keys(total)) total[k] += Math.ceil(bits[k] / 8);
  }
  return total;
}

module.exports = { sparseFormatBits, modelSparseFormatBytes, asRows };

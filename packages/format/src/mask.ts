/**
 * Context-modelled positions of a sparse tensor's survivors. The tensor is read as a matrix
 * of rows × `columns` (the last axis: a Dense kernel's units, a conv kernel's filters), in
 * row-major order. First one flag per column and one per row says whether it keeps anything
 * (pruned networks have whole dead inputs and units); then each entry of a live row and a live
 * column has its "kept" bit coded with binary rANS under an adaptive probability chosen by its
 * context:
 * - how dense its row has been so far (a dead input channel or pixel is a zero row),
 * - how dense its column has been in the rows above (a pruned-away unit or filter is a zero column),
 * - whether the entry to its left was kept.
 * Pruned networks are far from uniform in both directions, so this beats order-0 codes of
 * zero runs, which see only the overall density; and the decoder visits only the live block,
 * which keeps it fast on very sparse layers. The model's own cost (−Σ log2 p over the
 * bits) is what the stream approaches; `maskModelBits` gives it for comparison.
 */
import { ByteReader, ByteWriter } from './bytes';
import { NncFormatError } from './errors';
import { AdaptiveBits, bitCost, decodeBit, PROB_BITS, PROB_ONE, RANS_L, RansBitDecoder, RansBitEncoder, SHIFT_AFTER } from './rans';

/** Density levels of a row or column so far: 0 nothing seen, 1–2 none kept (short, long), 3–7 rising density. */
const LEVELS = 8;
const CONTEXTS = LEVELS * LEVELS * 2;

/** The density level of `kept` survivors among `seen` entries. */
function level(kept: number, seen: number): number {
  if (seen === 0) return 0;
  if (kept === 0) return seen < 8 ? 1 : 2;
  if (kept * 32 < seen) return 3;
  if (kept * 8 < seen) return 4;
  if (kept * 3 < seen) return 5;
  if (kept * 3 < 2 * seen) return 6;
  return 7;
}

/** Which rows and columns of `keep` (rows × `columns`) keep anything. */
function liveLines(keep: Uint8Array, columns: number): { rows: Uint8Array; cols: Uint8Array } {
  const rows = new Uint8Array(keep.length / columns);
  const cols = new Uint8Array(columns);
  for (let i = 0, at = 0; i < rows.length; i++) {
    for (let j = 0; j < columns; j++, at++) {
      if (keep[at]) {
        rows[i] = 1;
        cols[j] = 1;
      }
    }
  }
  return { rows, cols };
}

/** Indices of the set flags, ascending. */
function setIndices(flags: Uint8Array): Int32Array {
  return Int32Array.from(flags.keys()).filter((j) => flags[j]);
}

/**
 * Runs the model over `keep` (1 kept, 0 pruned), handing each bit and its probability of
 * being 1 to `visit` in coding order: the column flags, the row flags (each kind under its
 * own adaptive probability), then the entries of live rows × live columns.
 */
function walk(keep: Uint8Array, columns: number, visit: (bit: number, p1: number) => void): void {
  const live = liveLines(keep, columns);
  const flags = new AdaptiveBits(2);
  for (const [kind, lines] of [live.cols, live.rows].entries()) {
    for (const bit of lines) {
      visit(bit, flags.p[kind]);
      flags.update(kind, bit);
    }
  }
  const liveColumns = setIndices(live.cols);
  const model = new AdaptiveBits(CONTEXTS);
  const columnKept = new Int32Array(columns);
  let liveRows = 0;
  for (let i = 0; i < live.rows.length; i++) {
    if (!live.rows[i]) continue;
    let rowKept = 0;
    let left = 0;
    for (let t = 0; t < liveColumns.length; t++) {
      const j = liveColumns[t];
      const ctx = ((level(rowKept, t) * LEVELS + level(columnKept[j], liveRows)) << 1) | left;
      const bit = keep[i * columns + j];
      visit(bit, model.p[ctx]);
      model.update(ctx, bit);
      rowKept += bit;
      columnKept[j] += bit;
      left = bit;
    }
    liveRows++;
  }
}

/** Throws unless `columns` divides `count` (the matrix the model reads). */
function checkColumns(count: number, columns: number): void {
  if (!(Number.isInteger(columns) && columns >= 1 && count % columns === 0)) throw new Error(`mask columns ${columns} do not divide ${count} entries`);
}

/** The width the mask is coded at: `columns`, or 1 for an empty tensor (a matrix of any width; one column keeps the reader's bound simple). */
function codedWidth(count: number, columns: number): number {
  checkColumns(count, columns);
  return count === 0 ? 1 : columns;
}

/** Writes `keep` as `columns` (varint) and the rANS stream. */
export function writeContextMask(w: ByteWriter, keep: Uint8Array, columns: number): void {
  const width = codedWidth(keep.length, columns);
  const encoder = new RansBitEncoder();
  walk(keep, width, (bit, p1) => encoder.add(bit, p1));
  w.varint(width);
  encoder.finish(w);
}

/** Bits the model assigns to `keep`: the size a perfect coder under it would reach. */
export function maskModelBits(keep: Uint8Array, columns: number): number {
  let bits = 0;
  walk(keep, codedWidth(keep.length, columns), (bit, p1) => (bits += bitCost(p1, bit)));
  return bits;
}

/** Reads a mask of `count` entries written by `writeContextMask` (1 kept, 0 pruned). */
export function readContextMask(r: ByteReader, count: number, what: string): Uint8Array {
  const at = r.offset;
  const columns = r.varint(`${what}: columns`, Math.max(1, count));
  if (columns === 0 || count % columns !== 0) throw new NncFormatError(at, `${what}: a column count that divides ${count}`, `got ${columns}`);
  const decoder = new RansBitDecoder(r, what);
  const rows = count / columns;
  const flags = new AdaptiveBits(2);
  const liveFlags = (n: number, kind: number): Uint8Array => {
    const out = new Uint8Array(n);
    for (let k = 0; k < n; k++) {
      out[k] = decodeBit(decoder, flags.p[kind]);
      flags.update(kind, out[k]);
    }
    return out;
  };
  const liveCols = liveFlags(columns, 0);
  const liveRows = liveFlags(rows, 1);
  const liveColumns = setIndices(liveCols);
  const model = new AdaptiveBits(CONTEXTS);
  const keep = new Uint8Array(count);
  const columnKept = new Int32Array(columns);
  // The hot loop of decoding: `decodeBit` and `AdaptiveBits.update` written out, so the
  // coder's state and position stay in locals (about 2x faster than the calls).
  const p = model.p;
  const seen = model.seen;
  const lastStep = SHIFT_AFTER.length - 1;
  const bytes = decoder.bytes;
  const stop = decoder.stop;
  let x = decoder.state;
  let pos = decoder.pos;
  let rowsSeen = 0;
  for (let i = 0; i < rows; i++) {
    if (!liveRows[i]) continue;
    const base = i * columns;
    let rowKept = 0;
    let left = 0;
    for (let t = 0; t < liveColumns.length; t++) {
      const j = liveColumns[t];
      const ctx = ((level(rowKept, t) * LEVELS + level(columnKept[j], rowsSeen)) << 1) | left;
      const p1 = p[ctx];
      const slot = x & (PROB_ONE - 1);
      let bit: number;
      if (slot < p1) {
        bit = 1;
        x = Math.imul(p1, x >> PROB_BITS) + slot;
      } else {
        bit = 0;
        x = Math.imul(PROB_ONE - p1, x >> PROB_BITS) + slot - p1;
      }
      // A step leaves x ≥ 2^8, so at most two bytes are read: one check per entry keeps reads in the padding.
      while (x < RANS_L) x = (x << 8) | bytes[pos++];
      if (pos > stop) throw decoder.overrun();
      const n = seen[ctx];
      const shift = SHIFT_AFTER[n];
      if (n < lastStep) seen[ctx] = n + 1;
      p[ctx] = bit ? p1 + ((PROB_ONE - p1) >> shift) : p1 - (p1 >> shift);
      keep[base + j] = bit;
      rowKept += bit;
      columnKept[j] += bit;
      left = bit;
    }
    rowsSeen++;
  }
  decoder.state = x;
  decoder.pos = pos;
  decoder.end();
  return keep;
}

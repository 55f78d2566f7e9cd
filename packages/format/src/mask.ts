/**
 * Context-modelled positions of a sparse tensor's survivors. The tensor is read as a matrix
 * of rows × `columns` (the last axis: a Dense kernel's units, a conv kernel's filters), in
 * row-major order, and each entry's "kept" bit is coded with binary rANS under an adaptive
 * probability chosen by its context:
 * - how dense its row has been so far (a dead input channel or pixel is a zero row),
 * - how dense its column has been in the rows above (a pruned-away unit or filter is a zero column),
 * - whether the entry to its left was kept.
 * Pruned networks are far from uniform in both directions, so this beats order-0 codes of
 * zero runs, which see only the overall density. The model's own cost (−Σ log2 p over the
 * bits) is what the stream approaches; `maskModelBits` gives it for comparison.
 */
import { ByteReader, ByteWriter } from './bytes';
import { NncFormatError } from './errors';
import { AdaptiveBits, bitCost, PROB_BITS, PROB_ONE, RANS_L, RansBitDecoder, RansBitEncoder, SHIFT_AFTER } from './rans';

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

/**
 * Runs the model over `keep` (1 kept, 0 pruned), handing each bit and its probability of
 * being 1 to `visit` in coding order.
 */
function walk(keep: Uint8Array, columns: number, visit: (bit: number, p1: number) => void): void {
  const model = new AdaptiveBits(CONTEXTS);
  const columnKept = new Uint32Array(columns);
  const rows = keep.length / columns;
  for (let i = 0, at = 0; i < rows; i++) {
    let rowKept = 0;
    let left = 0;
    for (let j = 0; j < columns; j++, at++) {
      const ctx = ((level(rowKept, j) * LEVELS + level(columnKept[j], i)) << 1) | left;
      const bit = keep[at];
      visit(bit, model.p[ctx]);
      model.update(ctx, bit);
      rowKept += bit;
      columnKept[j] += bit;
      left = bit;
    }
  }
}

/** Throws unless `columns` divides `count` (the matrix the model reads). */
function checkColumns(count: number, columns: number): void {
  if (!(Number.isInteger(columns) && columns >= 1 && count % columns === 0)) throw new Error(`mask columns ${columns} do not divide ${count} entries`);
}

/** Writes `keep` as `columns` (varint) and the rANS stream. */
export function writeContextMask(w: ByteWriter, keep: Uint8Array, columns: number): void {
  checkColumns(keep.length, columns);
  const encoder = new RansBitEncoder();
  walk(keep, columns, (bit, p1) => encoder.add(bit, p1));
  // An empty tensor is a matrix of any width; one column keeps the reader's bound simple.
  w.varint(keep.length === 0 ? 1 : columns);
  encoder.finish(w);
}

/** Bits the model assigns to `keep`: the size a perfect coder under it would reach. */
export function maskModelBits(keep: Uint8Array, columns: number): number {
  checkColumns(keep.length, columns);
  let bits = 0;
  walk(keep, columns, (bit, p1) => (bits += bitCost(p1, bit)));
  return bits;
}

/** Reads a mask of `count` entries written by `writeContextMask` (1 kept, 0 pruned). */
export function readContextMask(r: ByteReader, count: number, what: string): Uint8Array {
  const at = r.offset;
  const columns = r.varint(`${what}: columns`, Math.max(1, count));
  if (columns === 0 || count % columns !== 0) throw new NncFormatError(at, `${what}: a column count that divides ${count}`, `got ${columns}`);
  const decoder = new RansBitDecoder(r, what);
  const model = new AdaptiveBits(CONTEXTS);
  const keep = new Uint8Array(count);
  const columnKept = new Uint32Array(columns);
  const rows = count / columns;
  // The hot loop of decoding: `decodeBit` and `AdaptiveBits.update` written out, so the
  // coder's state and position stay in locals (about 2x faster than the calls).
  const p = model.p;
  const seen = model.seen;
  const lastStep = SHIFT_AFTER.length - 1;
  const bytes = decoder.bytes;
  const stop = decoder.stop;
  let x = decoder.state;
  let pos = decoder.pos;
  for (let i = 0, k = 0; i < rows; i++) {
    let rowKept = 0;
    let left = 0;
    for (let j = 0; j < columns; j++, k++) {
      const ctx = ((level(rowKept, j) * LEVELS + level(columnKept[j], i)) << 1) | left;
      const p1 = p[ctx];
      const slot = x & (PROB_ONE - 1);
      let bit: number;
      if (slot < p1) {
        bit = 1;
        x = p1 * (x >>> PROB_BITS) + slot;
      } else {
        bit = 0;
        x = (PROB_ONE - p1) * (x >>> PROB_BITS) + slot - p1;
      }
      while (x < RANS_L) {
        x = (x << 8) | bytes[pos];
        if (pos < stop) pos++;
        else throw decoder.overrun();
      }
      const n = seen[ctx];
      const shift = SHIFT_AFTER[n];
      if (n < lastStep) seen[ctx] = n + 1;
      p[ctx] = bit ? p1 + ((PROB_ONE - p1) >> shift) : p1 - (p1 >> shift);
      if (bit) {
        keep[k] = 1;
        rowKept++;
        columnKept[j]++;
      }
      left = bit;
    }
  }
  decoder.state = x;
  decoder.pos = pos;
  decoder.end();
  return keep;
}

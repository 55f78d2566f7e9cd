/**
 * LZ77 with canonical Huffman coding, for the container's header (model topology JSON is
 * highly repetitive: per-layer configs repeat the same keys and values). Deflate's ideas in
 * three streams of this package's own primitives, so the format stays dependency-free and
 * browser-safe:
 *
 *   varint  decoded length n
 *   varint  count of literal/length symbols, then those symbols Huffman-coded
 *           (0–255 a literal byte, 256 + c a match whose length − 3 is in bucket c)
 *   varint  count of distance symbols (one per match), then those Huffman-coded
 *           (bucket of distance − 1)
 *   varint  byte length of the extra bits, then the extra bits: per match, the length's
 *           then the distance's low bits below their bucket, most significant first
 *
 * A bucket of v ≥ 0 is v itself below 4; above, the position of v's top bit and the bit
 * under it, with the remaining low bits as extra bits (so buckets grow geometrically).
 */
import { BitWriter } from './bits';
import { ByteReader, ByteWriter } from './bytes';
import { NncFormatError } from './errors';
import { readHuffman, writeHuffman } from './huffman';

const MIN_MATCH = 3;
const MAX_MATCH = 258;
const WINDOW = 1 << 15;
/** Candidates tried per position: deterministic, and bounded so pathological input stays linear. */
const MAX_CHAIN = 256;
const HASH_BITS = 15;
/** Buckets of 0..255 (match length − 3) and 0..32767 (distance − 1). */
const LENGTH_CODES = 16;
const DISTANCE_CODES = 30;
const LITLEN_ALPHABET = 256 + LENGTH_CODES;
/** Most bytes one coded bit can stand for: a 258-byte match in (at best) one bit per stream. */
const MAX_EXPANSION = MAX_MATCH * 8;

/** v's bucket code, and how many low bits stay as extra bits. */
function bucketOf(v: number): { code: number; extraBits: number } {
  if (v < 4) return { code: v, extraBits: 0 };
  const top = 31 - Math.clz32(v);
  return { code: 4 + (top - 2) * 2 + ((v >>> (top - 1)) & 1), extraBits: top - 1 };
}

/** Writes `data` LZ-coded, in the layout above. */
export function writeLz(w: ByteWriter, data: Uint8Array): void {
  const n = data.length;
  const litlen: number[] = [];
  const distances: number[] = [];
  const extra = new BitWriter();
  const head = new Int32Array(1 << HASH_BITS).fill(-1);
  const prev = new Int32Array(n);
  const hash = (i: number): number => ((data[i] << 10) ^ (data[i + 1] << 5) ^ data[i + 2]) & ((1 << HASH_BITS) - 1);
  const insert = (i: number): void => {
    if (i + MIN_MATCH > n) return;
    const h = hash(i);
    prev[i] = head[h];
    head[h] = i;
  };
  /** Longest earlier match for position i (positions before i inserted, i not yet). */
  const longest = (i: number): { length: number; distance: number } => {
    let length = 0;
    let distance = 0;
    if (i + MIN_MATCH > n) return { length, distance };
    const max = Math.min(MAX_MATCH, n - i);
    for (let j = head[hash(i)], chain = MAX_CHAIN; j >= 0 && i - j <= WINDOW && chain > 0; j = prev[j], chain--) {
      let l = 0;
      while (l < max && data[j + l] === data[i + l]) l++;
      if (l > length) {
        length = l;
        distance = i - j;
        if (l === max) break;
      }
    }
    return length >= MIN_MATCH ? { length, distance } : { length: 0, distance: 0 };
  };
  const emitBucketed = (v: number): number => {
    const { code, extraBits } = bucketOf(v);
    if (extraBits > 0) extra.write(v & ((1 << extraBits) - 1), extraBits);
    return code;
  };
  for (let i = 0; i < n; ) {
    const match = longest(i);
    insert(i);
    // Lazy matching: a longer match one byte on is worth a literal now.
    if (match.length > 0 && match.length < MAX_MATCH && longest(i + 1).length > match.length) {
      litlen.push(data[i]);
      i++;
      continue;
    }
    if (match.length === 0) {
      litlen.push(data[i]);
      i++;
      continue;
    }
    litlen.push(256 + emitBucketed(match.length - MIN_MATCH));
    distances.push(emitBucketed(match.distance - 1));
    for (let k = 1; k < match.length; k++) insert(i + k);
    i += match.length;
  }
  w.varint(n).varint(litlen.length);
  writeHuffman(w, litlen, LITLEN_ALPHABET);
  w.varint(distances.length);
  writeHuffman(w, distances, DISTANCE_CODES);
  const extraBytes = extra.finish();
  w.varint(extraBytes.length).bytes(extraBytes);
}

/** Reads what `writeLz` wrote, at most `maxLength` bytes decoded; errors name the offset and what was expected. */
export function readLz(r: ByteReader, maxLength: number, what: string): Uint8Array {
  const start = r.offset;
  const n = r.varint(`${what}: decoded length`, Math.min(maxLength, MAX_EXPANSION * r.remaining));
  const symbols = readHuffman(r, r.varint(`${what}: count of literal/length symbols`, n), LITLEN_ALPHABET, `${what} literals and lengths`);
  const distanceCodes = readHuffman(r, r.varint(`${what}: count of distances`, symbols.length), DISTANCE_CODES, `${what} distances`);
  const extraAt = r.offset;
  const extra = r.bytesOf(r.varint(`${what}: extra bits length`, r.remaining), `${what} extra bits`);
  let bitPos = 0;
  const readBits = (count: number): number => {
    if (bitPos + count > extra.length * 8) throw new NncFormatError(extraAt, `more ${what} extra bits`, `they end after ${extra.length * 8}`);
    let v = 0;
    for (let k = 0; k < count; k++, bitPos++) v = (v << 1) | ((extra[bitPos >>> 3] >>> (7 - (bitPos & 7))) & 1);
    return v;
  };
  const unbucket = (code: number): number => {
    if (code < 4) return code;
    const top = ((code - 4) >>> 1) + 2;
    return (1 << top) | (((code - 4) & 1) << (top - 1)) | readBits(top - 1);
  };
  const out = new Uint8Array(n);
  let pos = 0;
  let d = 0;
  for (let s = 0; s < symbols.length; s++) {
    const symbol = symbols[s];
    if (symbol < 256) {
      if (pos >= n) throw new NncFormatError(start, `${what}: ${n} decoded bytes`, `literal ${s} goes past them`);
      out[pos++] = symbol;
      continue;
    }
    const length = unbucket(symbol - 256) + MIN_MATCH;
    if (d >= distanceCodes.length) throw new NncFormatError(start, `${what}: a distance for match ${d}`, `only ${distanceCodes.length} are stored`);
    const distance = unbucket(distanceCodes[d++]) + 1;
    if (distance > pos) throw new NncFormatError(start, `${what}: match ${d - 1} within the ${pos} bytes decoded so far`, `its distance is ${distance}`);
    if (pos + length > n) throw new NncFormatError(start, `${what}: ${n} decoded bytes`, `match ${d - 1} goes past them`);
    for (let k = 0; k < length; k++, pos++) out[pos] = out[pos - distance];
  }
  if (pos !== n) throw new NncFormatError(start, `${what}: ${n} decoded bytes`, `the symbols make ${pos}`);
  if (d !== distanceCodes.length) throw new NncFormatError(start, `${what}: one distance per match`, `${distanceCodes.length - d} left over`);
  if (extra.length !== Math.ceil(bitPos / 8)) throw new NncFormatError(extraAt, `${what}: ${Math.ceil(bitPos / 8)} bytes of extra bits`, `${extra.length} are stored`);
  return out;
}

/**
 * Canonical Huffman coding of integer symbols (Deep Compression's last stage, and the
 * entropy coder behind every codec here). A code is described by its code lengths alone:
 * the table costs a few bytes, and decoding rebuilds the codes from it.
 */
import { BitWriter } from './bits';
import { ByteReader, ByteWriter } from './bytes';
import { NncFormatError } from './errors';

/** Longest code. 24 keeps every code in one 32-bit accumulator write. */
export const MAX_CODE_LENGTH = 24;
/** Bits the decoding table looks at once. */
const TABLE_BITS = 10;

/**
 * Huffman code lengths for `freq` (0 for absent symbols), at most `maxLength` bits: when the
 * optimal code is longer, frequencies are halved (rounding up) until it fits. Deterministic:
 * ties break by symbol.
 */
export function huffmanLengths(freq: ArrayLike<number>, maxLength = MAX_CODE_LENGTH): Uint8Array {
  const n = freq.length;
  const lengths = new Uint8Array(n);
  const present: number[] = [];
  for (let s = 0; s < n; s++) if (freq[s] > 0) present.push(s);
  if (present.length === 0) return lengths;
  if (present.length === 1) {
    lengths[present[0]] = 1;
    return lengths;
  }
  const weights = present.map((s) => freq[s]);
  for (;;) {
    const depth = treeDepths(weights);
    if (depth.every((d) => d <= maxLength)) {
      present.forEach((s, i) => (lengths[s] = depth[i]));
      return lengths;
    }
    for (let i = 0; i < weights.length; i++) weights[i] = Math.ceil(weights[i] / 2);
  }
}

/** Leaf depths of a Huffman tree over `weights` (two-queue construction, ties to the leaf first). */
function treeDepths(weights: readonly number[]): number[] {
  const m = weights.length;
  const order = Array.from({ length: m }, (_, i) => i).sort((a, b) => weights[a] - weights[b] || a - b);
  // Nodes 0..m-1 are leaves; m.. are internal, created in non-decreasing weight order.
  const weight = new Float64Array(2 * m - 1);
  const parent = new Int32Array(2 * m - 1).fill(-1);
  for (let i = 0; i < m; i++) weight[i] = weights[i];
  let leaf = 0;
  let internalHead = m;
  let next = m;
  const take = (): number => {
    if (leaf < m && (internalHead >= next || weight[order[leaf]] <= weight[internalHead])) return order[leaf++];
    return internalHead++;
  };
  while (next < 2 * m - 1) {
    const a = take();
    const b = take();
    weight[next] = weight[a] + weight[b];
    parent[a] = next;
    parent[b] = next;
    next++;
  }
  const depth = new Array<number>(m);
  const nodeDepth = new Int32Array(2 * m - 1);
  for (let v = 2 * m - 3; v >= 0; v--) nodeDepth[v] = nodeDepth[parent[v]] + 1;
  for (let i = 0; i < m; i++) depth[i] = nodeDepth[i];
  return depth;
}

/** The symbols that have a code, in canonical order: shorter codes first, then by symbol. */
function canonicalOrder(lengths: Uint8Array): number[] {
  return [...lengths.keys()].filter((s) => lengths[s] > 0).sort((a, b) => lengths[a] - lengths[b] || a - b);
}

/** Canonical codes for `lengths` (`symbols`: their canonical order). */
function canonicalCodes(lengths: Uint8Array, symbols: readonly number[] = canonicalOrder(lengths)): Uint32Array {
  const codes = new Uint32Array(lengths.length);
  let code = 0;
  let prev = 0;
  for (const s of symbols) {
    code <<= lengths[s] - prev;
    prev = lengths[s];
    codes[s] = code++;
  }
  return codes;
}

/** Code lengths as (length, run) pairs: alphabets are often long runs of 0 (absent). */
function writeLengths(w: ByteWriter, lengths: Uint8Array): void {
  w.varint(lengths.length);
  for (let s = 0; s < lengths.length; ) {
    let run = 1;
    while (s + run < lengths.length && lengths[s + run] === lengths[s]) run++;
    w.u8(lengths[s]).varint(run);
    s += run;
  }
}

function readLengths(r: ByteReader, maxAlphabet: number, what: string): Uint8Array {
  const size = r.varint(`${what}: alphabet size`, maxAlphabet);
  const lengths = new Uint8Array(size);
  let kraft = 0; // Σ 2^(MAX − len), must not exceed 2^MAX
  for (let s = 0; s < size; ) {
    const at = r.offset;
    const len = r.u8(`${what}: code length`);
    if (len > MAX_CODE_LENGTH) throw new NncFormatError(at, `${what}: a code length ≤ ${MAX_CODE_LENGTH}`, `got ${len}`);
    const run = r.varint(`${what}: run of code lengths`, size - s);
    if (run === 0) throw new NncFormatError(at, `${what}: a run of at least 1`);
    lengths.fill(len, s, s + run);
    if (len > 0) kraft += run * 2 ** (MAX_CODE_LENGTH - len);
    if (kraft > 2 ** MAX_CODE_LENGTH) throw new NncFormatError(at, `${what}: code lengths that form a prefix code`, 'they are over-subscribed');
    s += run;
  }
  return lengths;
}

/**
 * Writes `symbols` (each < alphabet): the code-length table, the bit stream's byte length,
 * then the bit stream.
 */
export function writeHuffman(w: ByteWriter, symbols: ArrayLike<number>, alphabet: number): void {
  const freq = new Float64Array(alphabet);
  for (let i = 0; i < symbols.length; i++) freq[symbols[i]]++;
  const lengths = huffmanLengths(freq);
  writeLengths(w, lengths);
  const codes = canonicalCodes(lengths);
  const bits = new BitWriter();
  for (let i = 0; i < symbols.length; i++) bits.write(codes[symbols[i]], lengths[symbols[i]]);
  const stream = bits.finish();
  w.varint(stream.length).bytes(stream);
}

/** Bytes `writeHuffman` would use for `symbols` (for codecs choosing between layouts). */
export function huffmanSize(symbols: ArrayLike<number>, alphabet: number): number {
  const w = new ByteWriter();
  writeHuffman(w, symbols, alphabet);
  return w.length;
}

/** Reads `count` symbols written by `writeHuffman`; every symbol is < the table's alphabet ≤ maxAlphabet. */
export function readHuffman(r: ByteReader, count: number, maxAlphabet: number, what: string): Uint32Array {
  const lengths = readLengths(r, maxAlphabet, what);
  const streamLength = r.varint(`${what}: bit stream length`, r.remaining);
  const stream = r.sub(streamLength, `${what}: bit stream`);
  const out = new Uint32Array(count);
  if (count === 0) return out;
  // Decoding tables: per length, how many codes, the first code and where its symbols start.
  const counts = new Uint32Array(MAX_CODE_LENGTH + 1);
  for (const len of lengths) counts[len]++;
  counts[0] = 0;
  const sorted = canonicalOrder(lengths);
  if (sorted.length === 0) throw new NncFormatError(stream.base, `${what}: a code table with at least one symbol`, `${count} symbols to decode`);
  const first = new Int32Array(MAX_CODE_LENGTH + 1);
  const index = new Int32Array(MAX_CODE_LENGTH + 1);
  let code = 0;
  let idx = 0;
  for (let len = 1; len <= MAX_CODE_LENGTH; len++) {
    code = (code + counts[len - 1]) << 1;
    first[len] = code;
    index[len] = idx;
    idx += counts[len];
  }
  // Table-driven: the next TABLE_BITS bits index a table of (symbol, length) for every code
  // that short; longer codes continue bit by bit from there (canonical decoding).
  const bytes = stream.bytes;
  const totalBits = bytes.length * 8;
  const tableSymbol = new Int32Array(1 << TABLE_BITS).fill(-1);
  const tableLength = new Uint8Array(1 << TABLE_BITS);
  const codes = canonicalCodes(lengths, sorted);
  for (const s of sorted) {
    const len = lengths[s];
    if (len > TABLE_BITS) break; // canonical order: every later code is longer too
    const from = codes[s] << (TABLE_BITS - len);
    const to = (codes[s] + 1) << (TABLE_BITS - len);
    tableSymbol.fill(s, from, to);
    tableLength.fill(len, from, to);
  }
  /** The `n` bits at `pos`, zero past the end. */
  const peek = (pos: number, n: number): number => {
    let v = 0;
    for (let got = 0; got < n; ) {
      const byte = pos >>> 3;
      const offset = pos & 7;
      const take = Math.min(8 - offset, n - got);
      const b = byte < bytes.length ? bytes[byte] : 0;
      v = (v << take) | ((b >>> (8 - offset - take)) & ((1 << take) - 1));
      got += take;
      pos += take;
    }
    return v;
  };
  // The bytes with 3 zero bytes after them, so the table's window is read without bounds checks.
  const padded = new Uint8Array(bytes.length + 3);
  padded.set(bytes);
  let pos = 0;
  for (let i = 0; i < count; i++) {
    // TABLE_BITS from bit `pos`: they lie within the 3 bytes from pos's byte (offset ≤ 7, 7 + 10 ≤ 24).
    const at = pos >>> 3;
    const head = (((padded[at] << 16) | (padded[at + 1] << 8) | padded[at + 2]) >>> (24 - TABLE_BITS - (pos & 7))) & ((1 << TABLE_BITS) - 1);
    let len = tableLength[head];
    if (len > 0) {
      out[i] = tableSymbol[head];
    } else {
      let c = head;
      len = TABLE_BITS;
      for (;;) {
        if (len === MAX_CODE_LENGTH) throw new NncFormatError(stream.base + (pos >>> 3), `${what}: a valid code`, `symbol ${i} matches none`);
        c = (c << 1) | peek(pos + len, 1);
        len++;
        const k = c - first[len];
        if (k >= 0 && k < counts[len]) {
          out[i] = sorted[index[len] + k];
          break;
        }
      }
    }
    pos += len;
    if (pos > totalBits) throw new NncFormatError(stream.base + bytes.length, `more bits of ${what}`, 'but the bit stream ended');
  }
  return out;
}

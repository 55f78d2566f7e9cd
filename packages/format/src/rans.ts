/**
 * rANS, range asymmetric numeral systems (Duda 2013, "Asymmetric numeral systems: entropy
 * coding combining speed of Huffman coding with compression rate of arithmetic coding"), in
 * its byte-wise form: a 31-bit state renormalised a byte at a time. It spends a fraction of a
 * bit where Huffman spends at least one, so it wins on skewed distributions (a dominant
 * symbol, positions of few survivors); decoding is a table look-up and a multiply per symbol.
 *
 * Two uses here: static multi-symbol coding with the frequency table in the stream
 * (`writeRans`/`readRans`), and binary coding with probabilities an adaptive model supplies
 * (`RansBitEncoder`/`RansBitDecoder`, behind the context-modelled masks of `./mask`).
 *
 * rANS decodes in the reverse order of encoding, so encoders collect what to code, then run
 * backwards. A stream is its byte length, then its bytes: the final state, then the
 * renormalisation bytes in decoding order. The decoder must end exactly at the encoder's
 * initial state having read every byte, which catches most corrupt streams.
 */
import { ByteReader, ByteWriter } from './bytes';
import { NncFormatError } from './errors';

/** Lower end of the state interval [L, 256·L). */
export const RANS_L = 1 << 23;
/**
 * Frequency resolution of the multi-symbol coder: frequencies sum to 2^12. Decoding looks up
 * a table of 2^12 slots, which stays in the first-level cache (2^15 slots did not, and
 * decoded at half the speed); the cost is a floor of 1/4096 on a symbol's probability.
 */
export const RANS_SCALE_BITS = 12;
const RANS_M = 1 << RANS_SCALE_BITS;
/** Resolution of binary probabilities (of a 1 bit). */
export const PROB_BITS = 15;
export const PROB_ONE = 1 << PROB_BITS;

/** Collects renormalisation bytes while encoding backwards; `finish` puts them in decoding order. */
class ReverseBytes {
  private buffer = new Uint8Array(256);
  length = 0;

  push(b: number): void {
    if (this.length === this.buffer.length) {
      const grown = new Uint8Array(this.buffer.length * 2);
      grown.set(this.buffer);
      this.buffer = grown;
    }
    this.buffer[this.length++] = b;
  }

  /** The final state (4 bytes, most significant first), then the bytes in reverse order of pushing. */
  finish(state: number): Uint8Array {
    this.push(state & 0xff);
    this.push((state >>> 8) & 0xff);
    this.push((state >>> 16) & 0xff);
    this.push(state >>> 24);
    return this.buffer.slice(0, this.length).reverse();
  }
}

/** Encodes one symbol of frequency `freq` starting at `start` (of 2^scaleBits) into state `x`. */
function put(x: number, start: number, freq: number, scaleBits: number, out: ReverseBytes): number {
  const xMax = (RANS_L >>> scaleBits) * 256 * freq;
  while (x >= xMax) {
    out.push(x & 0xff);
    x = Math.floor(x / 256);
  }
  return Math.floor(x / freq) * (1 << scaleBits) + (x % freq) + start;
}

/** Reads a stream's length and bytes and its initial state; errors name `what`. */
class StreamReader {
  /** The stream's bytes with zeros after them, so decoders read past the end without bounds checks (finish() reports an overrun). */
  readonly bytes: Uint8Array;
  readonly length: number;
  readonly base: number;
  pos = 4;
  state: number;

  constructor(r: ByteReader, what: string) {
    const length = r.varint(`${what}: rANS stream length`, r.remaining);
    const stream = r.sub(length, `${what}: rANS stream`);
    if (length < 4) throw new NncFormatError(stream.base, `${what}: a rANS stream of at least 4 bytes`, `got ${length}`);
    this.length = length;
    this.bytes = new Uint8Array(length + 8);
    this.bytes.set(stream.bytes);
    this.base = stream.base;
    const b = this.bytes;
    this.state = ((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0;
    if (this.state < RANS_L || this.state >= 2 ** 31) throw new NncFormatError(this.base, `${what}: a rANS state in [2^23, 2^31)`, `got ${this.state}`);
  }

  /** Throws unless decoding ended where encoding began: every byte read, the initial state reached. */
  finish(what: string): void {
    if (this.pos !== this.length || this.state !== RANS_L) {
      throw new NncFormatError(this.base + Math.min(this.pos, this.length), `${what}: a rANS stream that decodes to its end`, this.pos > this.length ? 'it ran out of bytes' : `it ends in state ${this.state} with ${this.length - this.pos} bytes unread`);
    }
  }
}

// --- multi-symbol, static frequencies ----------------------------------------------------

/**
 * Frequencies summing to 2^12 for the counts (zero stays zero, every present symbol gets at
 * least one), or undefined when more than 2^12 symbols are present. Deterministic: rounding
 * surplus goes to or comes from the largest frequencies, ties by symbol.
 */
export function ransFrequencies(counts: ArrayLike<number>): Uint32Array | undefined {
  let total = 0;
  let present = 0;
  for (let s = 0; s < counts.length; s++) {
    total += counts[s];
    if (counts[s] > 0) present++;
  }
  const freq = new Uint32Array(counts.length);
  if (present === 0 || present > RANS_M) return present === 0 ? freq : undefined;
  let sum = 0;
  for (let s = 0; s < counts.length; s++) {
    if (counts[s] === 0) continue;
    freq[s] = Math.max(1, Math.round((counts[s] * RANS_M) / total));
    sum += freq[s];
  }
  if (sum !== RANS_M) {
    const bySize = [...freq.keys()].filter((s) => freq[s] > 0).sort((a, b) => freq[b] - freq[a] || a - b);
    if (sum < RANS_M) freq[bySize[0]] += RANS_M - sum;
    // Over: take one from each of the largest in turn, never below 1 (present ≤ 2^12 makes this end).
    while (sum > RANS_M) {
      for (const s of bySize) {
        if (sum === RANS_M) break;
        if (freq[s] > 1) {
          freq[s]--;
          sum--;
        }
      }
    }
  }
  return freq;
}

/**
 * Writes `symbols` (each < alphabet) with static rANS: the present symbols and their
 * frequencies, then the stream. Returns false, writing nothing, when more symbols are
 * present than the frequency resolution holds (Huffman codes those).
 */
export function writeRans(w: ByteWriter, symbols: ArrayLike<number>, alphabet: number): boolean {
  const counts = new Float64Array(alphabet);
  for (let i = 0; i < symbols.length; i++) counts[symbols[i]]++;
  const freq = ransFrequencies(counts);
  if (!freq) return false;
  if (symbols.length === 0) {
    w.varint(0); // no symbols present, no stream
    return true;
  }
  const start = new Uint32Array(alphabet);
  let present = 0;
  for (let s = 0, acc = 0; s < alphabet; s++) {
    start[s] = acc;
    acc += freq[s];
    if (freq[s] > 0) present++;
  }
  w.varint(present);
  for (let s = 0, prev = -1; s < alphabet; s++) {
    if (freq[s] === 0) continue;
    w.varint(s - prev - 1).varint(freq[s] - 1);
    prev = s;
  }
  const out = new ReverseBytes();
  let x = RANS_L;
  for (let i = symbols.length - 1; i >= 0; i--) x = put(x, start[symbols[i]], freq[symbols[i]], RANS_SCALE_BITS, out);
  const stream = out.finish(x);
  w.varint(stream.length).bytes(stream);
  return true;
}

/**
 * Reads `count` symbols written by `writeRans`; every symbol is < maxAlphabet. With `map`
 * (one word per symbol, e.g. a codebook's float32 bit patterns) each symbol comes out as its
 * map entry, in the same pass.
 */
export function readRans(r: ByteReader, count: number, maxAlphabet: number, what: string, map?: Uint32Array): Uint32Array {
  const tableAt = r.offset;
  const present = r.varint(`${what}: rANS symbol count`, Math.min(maxAlphabet, RANS_M));
  // Per slot: the symbol, and its frequency and slot − start packed in one word (freq · 2^16 + bias).
  const slotSymbol = new Uint32Array(present > 0 ? RANS_M : 0);
  const slotStep = new Uint32Array(present > 0 ? RANS_M : 0);
  let sum = 0;
  for (let k = 0, prev = -1; k < present; k++) {
    const s = prev + 1 + r.varint(`${what}: rANS symbol`, maxAlphabet);
    const f = 1 + r.varint(`${what}: rANS frequency`, RANS_M - 1);
    if (s >= maxAlphabet) throw new NncFormatError(tableAt, `${what}: rANS symbols < ${maxAlphabet}`, `got ${s}`);
    if (sum + f > RANS_M) throw new NncFormatError(tableAt, `${what}: rANS frequencies summing to ${RANS_M}`, 'they sum to more');
    slotSymbol.fill(map ? map[s] : s, sum, sum + f);
    for (let slot = sum; slot < sum + f; slot++) slotStep[slot] = f * 65536 + (slot - sum);
    sum += f;
    prev = s;
  }
  if (present > 0 && sum !== RANS_M) throw new NncFormatError(tableAt, `${what}: rANS frequencies summing to ${RANS_M}`, `they sum to ${sum}`);
  const out = new Uint32Array(count);
  if (count === 0 && present === 0) return out;
  if (present === 0) throw new NncFormatError(tableAt, `${what}: a rANS table with at least one symbol`, `${count} symbols to decode`);
  const s = new StreamReader(r, what);
  const bytes = s.bytes;
  // A step leaves x ≥ 2^11 (frequency ≥ 1, x ≥ 2^23 before), so renormalising reads at most
  // two bytes: checking the position once per symbol keeps reads within the 8 padding bytes.
  const end = s.length + 4;
  let x = s.state;
  let pos = s.pos;
  const mask = RANS_M - 1;
  for (let i = 0; i < count; i++) {
    const slot = x & mask;
    out[i] = slotSymbol[slot];
    const step = slotStep[slot];
    // x < 2^31 throughout, so signed shifts and Math.imul keep every step in int32 (a plain
    // multiply of two unsigned shifts makes some engines fall back to doubles).
    x = Math.imul(step >> 16, x >> RANS_SCALE_BITS) + (step & 0xffff);
    while (x < RANS_L) x = (x << 8) | bytes[pos++];
    if (pos > end) throw new NncFormatError(s.base + s.length, `${what}: more rANS bytes`, 'the stream ran out');
  }
  s.pos = pos;
  s.state = x;
  s.finish(what);
  return out;
}

// --- binary, probabilities from a model ------------------------------------------------------

/**
 * Adaptive probability of a 1 bit per context, learning fast at first and steadier later:
 * the step after n bits in a context is about 1/(n+2), down to 1/128 (a count-based estimate
 * while counts are small, a moving one after).
 */
export class AdaptiveBits {
  readonly p: Uint16Array;
  /** Bits seen per context, up to the last step of SHIFT_AFTER. */
  readonly seen: Uint8Array;

  constructor(contexts: number) {
    this.p = new Uint16Array(contexts).fill(PROB_ONE / 2);
    this.seen = new Uint8Array(contexts);
  }

  update(ctx: number, bit: number): void {
    const n = this.seen[ctx];
    const shift = SHIFT_AFTER[n];
    if (n < SHIFT_AFTER.length - 1) this.seen[ctx] = n + 1;
    const p = this.p[ctx];
    this.p[ctx] = bit ? p + ((PROB_ONE - p) >> shift) : p - (p >> shift);
  }
}

/** Shift of the update after n bits: 1 + ⌊log2(n + 1)⌋, at most 7 (so p stays within [127, 2^15 − 127]). */
export const SHIFT_AFTER = Uint8Array.from({ length: 64 }, (_, n) => Math.min(7, 1 + Math.floor(Math.log2(n + 1))));

/** Cost in bits of coding `bit` with probability `p1` (of 2^15) of a 1. */
export function bitCost(p1: number, bit: number): number {
  return -Math.log2((bit ? p1 : PROB_ONE - p1) / PROB_ONE);
}

/** Binary rANS encoder: record bits with their probabilities in coding order, then `finish`. */
export class RansBitEncoder {
  private bits = new Uint8Array(1024);
  private probs = new Uint16Array(1024);
  private n = 0;

  add(bit: number, p1: number): void {
    if (this.n === this.bits.length) {
      const bits = new Uint8Array(this.n * 2);
      bits.set(this.bits);
      const probs = new Uint16Array(this.n * 2);
      probs.set(this.probs);
      this.bits = bits;
      this.probs = probs;
    }
    this.bits[this.n] = bit;
    this.probs[this.n++] = p1;
  }

  /** Writes the stream (length, then bytes). */
  finish(w: ByteWriter): void {
    const out = new ReverseBytes();
    let x = RANS_L;
    for (let i = this.n - 1; i >= 0; i--) {
      const p1 = this.probs[i];
      x = this.bits[i] ? put(x, 0, p1, PROB_BITS, out) : put(x, p1, PROB_ONE - p1, PROB_BITS, out);
    }
    const stream = out.finish(x);
    w.varint(stream.length).bytes(stream);
  }
}

/**
 * Binary rANS decoder over a stream `RansBitEncoder` wrote. `bit(p1)` decodes one bit; hot
 * loops (the context-modelled masks) may instead run `decodeBit` on the public state and
 * write it back, which keeps the state in registers.
 */
export class RansBitDecoder {
  private readonly s: StreamReader;
  /** The stream's bytes, zero-padded; the state and read position, for `decodeBit`. */
  readonly bytes: Uint8Array;
  state: number;
  pos: number;
  /** Reads stop here: past it the stream is corrupt (see `decodeBit`). */
  readonly stop: number;

  constructor(
    r: ByteReader,
    private readonly what: string,
  ) {
    this.s = new StreamReader(r, what);
    this.bytes = this.s.bytes;
    this.state = this.s.state;
    this.pos = this.s.pos;
    this.stop = this.bytes.length - 4;
  }

  bit(p1: number): number {
    return decodeBit(this, p1);
  }

  /** An error for a stream that ran past its end. */
  overrun(): NncFormatError {
    return new NncFormatError(this.s.base + this.s.length, `${this.what}: more rANS bytes`, 'the stream ran out');
  }

  end(): void {
    this.s.pos = this.pos;
    this.s.state = this.state;
    this.s.finish(this.what);
  }
}

/** One bit with probability `p1` (of 2^15) of a 1, from the decoder's state. */
export function decodeBit(d: RansBitDecoder, p1: number): number {
  let x = d.state;
  const slot = x & (PROB_ONE - 1);
  let bit: number;
  if (slot < p1) {
    bit = 1;
    x = Math.imul(p1, x >> PROB_BITS) + slot;
  } else {
    bit = 0;
    x = Math.imul(PROB_ONE - p1, x >> PROB_BITS) + slot - p1;
  }
  if (x < RANS_L) {
    let pos = d.pos;
    const bytes = d.bytes;
    do {
      x = (x << 8) | bytes[pos];
      if (pos < d.stop) pos++;
      else throw d.overrun();
    } while (x < RANS_L);
    d.pos = pos;
  }
  d.state = x;
  return bit;
}

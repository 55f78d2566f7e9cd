import { ByteWriter } from '../bytes';
import { NncEncodeError, NncFormatError } from '../errors';
import { huffmanSize, readHuffman, writeHuffman } from '../huffman';
import { readContextMask, writeContextMask } from '../mask';
import { CodecParams, EncodeContext, stringParam, TensorCodec } from './codec';

/** Longest zero run one symbol says; longer runs are split (the top symbol means "RUN zeros, no value"). */
const RUN = 255;

/** True for +0 exactly (bit pattern 0): −0 is a value of its own, so lossless codecs keep it. */
const isZero = (bits: number): boolean => bits === 0;

/**
 * Zero runs before each non-zero entry (an entry equal to 0: a +0 bit pattern, or a pruned
 * position of a 0/1 mask) as symbols < RUN, with RUN as "RUN zeros and go on": the
 * order-0 code of positions the sparse codec's run layout Huffman-codes (alphabet RUN + 1).
 */
export function zeroRunSymbols(entries: ArrayLike<number>): number[] {
  const out: number[] = [];
  let run = 0;
  for (let i = 0; i < entries.length; i++) {
    if (entries[i] === 0) {
      if (++run === RUN) {
        out.push(RUN);
        run = 0;
      }
    } else {
      out.push(run);
      run = 0;
    }
  }
  return out;
}

/** Columns of the matrix a tensor is read as: its last axis when the shape is known and fits, else one row. */
export function maskColumns(count: number, context?: EncodeContext): number {
  const shape = context?.shape;
  if (shape && shape.length > 0 && shape.reduce((a, b) => a * b, 1) === count && shape[shape.length - 1] > 0) return shape[shape.length - 1];
  return Math.max(1, count);
}

/**
 * Pruned zeros apart from the values: the positions of the non-zero entries — a bitmap,
 * Huffman-coded zero runs, or a context-modelled rANS code (`../mask`: row and column
 * densities), whichever is smallest — then the non-zero values in order,
 * encoded by the inner codec (`options.inner`, default float32, with `options.innerOptions`).
 * Zero is +0 only. Lossless exactly when the inner codec is.
 */
export const sparseCodec: TensorCodec = {
  id: 'sparse',
  lossless: false, // as lossless as the inner codec: the header's maxError says

  encode(values, options, codecs, context) {
    const innerId = typeof options.inner === 'string' ? options.inner : 'float32';
    const inner = codecs.get(innerId);
    if (!inner?.encode || innerId === 'sparse') throw new NncEncodeError(`codec sparse: inner codec "${innerId}" cannot encode`);
    const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
    const keep = Uint8Array.from(bits, (b) => (isZero(b) ? 0 : 1));
    // Copied as bits, not numbers, so NaN payloads reach a lossless inner codec intact.
    const nonZeroBits = new Uint32Array(keep.reduce((n, k) => n + k, 0));
    for (let i = 0, k = 0; i < values.length; i++) if (keep[i]) nonZeroBits[k++] = bits[i];
    const nonZero = new Float32Array(nonZeroBits.buffer);
    const runs = zeroRunSymbols(bits);
    const w = new ByteWriter().varint(nonZero.length);
    const layouts: Uint8Array[] = [];
    const map = new Uint8Array(Math.ceil(values.length / 8));
    for (let i = 0; i < values.length; i++) if (keep[i]) map[i >>> 3] |= 0x80 >>> (i & 7);
    layouts.push(new ByteWriter().u8(0).bytes(map).finish());
    if (huffmanSize(runs, RUN + 1) + 4 < map.length) {
      const runLayout = new ByteWriter().u8(1).varint(runs.length);
      writeHuffman(runLayout, runs, RUN + 1);
      layouts.push(runLayout.finish());
    }
    const contextMask = new ByteWriter().u8(2);
    writeContextMask(contextMask, keep, maskColumns(values.length, context));
    layouts.push(contextMask.finish());
    // The first of the smallest: deterministic, and old layouts keep their bytes on a tie.
    w.bytes(layouts.reduce((a, b) => (b.length < a.length ? b : a)));
    const encoded = inner.encode(nonZero, (options.innerOptions ?? {}) as CodecParams, codecs);
    w.bytes(encoded.bytes);
    return { params: { inner: innerId, innerParams: encoded.params }, bytes: w.finish() };
  },
  decode(r, params, count, codecs) {
    const innerId = stringParam(params, 'inner', r, 'sparse');
    const inner = codecs.get(innerId);
    if (!inner || innerId === 'sparse') throw new NncFormatError(r.base, 'codec sparse: a known inner codec', `got "${innerId}"`);
    const innerParams = params.innerParams;
    if (typeof innerParams !== 'object' || innerParams === null || Array.isArray(innerParams)) throw new NncFormatError(r.base, 'codec sparse: params.innerParams as an object');
    const nonZeroCount = r.varint('count of non-zero values', count);
    const layoutAt = r.offset;
    const layout = r.u8('zero layout (0 bitmap, 1 runs, 2 context-modelled)');
    let keep: Uint8Array = new Uint8Array(count);
    let found = 0;
    if (layout === 0) {
      const map = r.bytesOf(Math.ceil(count / 8), 'bitmap of non-zero entries');
      for (let i = 0; i < count; i++) if (map[i >>> 3] & (0x80 >>> (i & 7))) keep[i] = 1;
      for (let i = 0; i < count; i++) found += keep[i];
    } else if (layout === 1) {
      // Each symbol stands for at least one entry (a value, or RUN zeros).
      const symbols = readHuffman(r, r.varint('count of zero-run symbols', count), RUN + 1, 'zero runs');
      let pos = 0;
      for (const s of symbols) {
        pos += s;
        if (s === RUN) continue;
        if (pos >= count) throw new NncFormatError(layoutAt, `zero runs that stay within ${count} entries`, `a value lands at ${pos}`);
        keep[pos++] = 1;
        found++;
      }
    } else if (layout === 2) {
      keep = readContextMask(r, count, 'context-modelled positions');
      for (let i = 0; i < count; i++) found += keep[i];
    } else {
      throw new NncFormatError(layoutAt, 'zero layout 0 (bitmap), 1 (runs) or 2 (context-modelled)', `got ${layout}`);
    }
    if (found !== nonZeroCount) throw new NncFormatError(layoutAt, `${nonZeroCount} non-zero positions`, `the layout marks ${found}`);
    const innerBytes = r.sub(r.remaining, `values of inner codec ${innerId}`);
    const values = inner.decode(innerBytes, innerParams as CodecParams, nonZeroCount, codecs);
    innerBytes.expectEnd(`the values of inner codec ${innerId}`);
    const out = new Uint32Array(count);
    const valueBits = new Uint32Array(values.buffer, values.byteOffset, values.length);
    let k = 0;
    for (let i = 0; i < count; i++) if (keep[i]) out[i] = valueBits[k++];
    return new Float32Array(out.buffer);
  },
};

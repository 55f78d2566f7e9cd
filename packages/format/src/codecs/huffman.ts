import { ByteWriter } from '../bytes';
import { NncFormatError } from '../errors';
import { readHuffman, writeHuffman } from '../huffman';
import type { EncodedValues, TensorCodec } from './codec';
import { float32Codec } from './float';
import { paletteOf } from './palette';

/** Most distinct values a palette holds (beyond this, float32 is smaller anyway). */
export const PALETTE_MAX = 1 << 20;

/** Palette layout: the distinct bit patterns, then each value's index Huffman-coded. */
function writePalette(bits: Uint32Array): Uint8Array | undefined {
  const palette = paletteOf(bits, PALETTE_MAX);
  if (!palette) return undefined;
  const w = new ByteWriter().varint(palette.entries.length);
  for (const b of palette.entries) w.u32(b);
  writeHuffman(w, palette.indices, palette.entries.length);
  return w.finish();
}

/** Byte-plane layout: the four bytes of every float32, each plane Huffman-coded on its own (most significant first). */
function writePlanes(bits: Uint32Array): Uint8Array {
  const w = new ByteWriter();
  const plane = new Uint8Array(bits.length);
  for (let shift = 24; shift >= 0; shift -= 8) {
    for (let i = 0; i < bits.length; i++) plane[i] = (bits[i] >>> shift) & 0xff;
    writeHuffman(w, plane, 256);
  }
  return w.finish();
}

/**
 * Lossless Huffman coding of float32 bit patterns, in whichever layout is smallest:
 * - a palette — the distinct values (sorted), then each value's index, Huffman-coded: small
 *   for tensors with few distinct values, as quantised weights (the nsfwjs MobileNetV2 holds
 *   ≤ 256 per tensor) or pruned ones;
 * - byte planes (`params.layout: "planes"`) — each of the four bytes of the values coded as
 *   its own stream: for trained float32 weights, where every value is distinct but the sign
 *   and exponent byte takes a few bits (about 1.2x smaller than float32 instead of the
 *   palette's 0.6x);
 * and where neither beats the plain bits (tiny tensors, whose code tables cost more than
 * they save), the bits as they are (`params.layout: "raw"`), so it never takes more bytes
 * than float32.
 */
export const huffmanCodec: TensorCodec = {
  id: 'huffman',
  lossless: true,
  encode(values, _options, codecs): EncodedValues {
    const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
    const palette = writePalette(bits);
    // Byte planes take at least one bit per value in each of the four planes: a palette
    // within n/2 bytes wins without coding them (the usual case for quantised tensors).
    if (palette && palette.length <= values.length / 2) return { params: {}, bytes: palette };
    const planes = writePlanes(bits);
    const raw = float32Codec.encode!(values, {}, codecs).bytes;
    if (palette && palette.length <= Math.min(planes.length, raw.length)) return { params: {}, bytes: palette };
    if (planes.length <= raw.length) return { params: { layout: 'planes' }, bytes: planes };
    return { params: { layout: 'raw' }, bytes: raw };
  },
  decode(r, params, count, codecs) {
    const at = r.offset;
    const layout = params.layout ?? 'palette';
    if (layout === 'raw') return float32Codec.decode(r, {}, count, codecs);
    if (layout === 'planes') {
      const out = new Uint32Array(count);
      for (let shift = 24; shift >= 0; shift -= 8) {
        const plane = readHuffman(r, count, 256, `byte plane ${3 - shift / 8}`);
        for (let i = 0; i < count; i++) out[i] |= plane[i] << shift;
      }
      return new Float32Array(out.buffer);
    }
    if (layout !== 'palette') throw new NncFormatError(r.base, 'codec huffman: params.layout "palette", "planes" or "raw"', `got ${JSON.stringify(layout)}`);
    const size = r.varint('palette size', PALETTE_MAX);
    if (size === 0 && count > 0) throw new NncFormatError(at, 'a palette with at least one value', `${count} values to decode`);
    const palette = new Uint32Array(size);
    for (let i = 0; i < size; i++) palette[i] = r.u32('palette value');
    const indices = readHuffman(r, count, size, 'palette indices');
    const out = new Uint32Array(count);
    for (let i = 0; i < count; i++) {
      if (indices[i] >= size) throw new NncFormatError(at, `palette indices < ${size}`, `index ${i} is ${indices[i]}`);
      out[i] = palette[indices[i]];
    }
    return new Float32Array(out.buffer);
  },
};

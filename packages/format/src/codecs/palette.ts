import { ByteWriter } from '../bytes';
import { NncEncodeError, NncFormatError } from '../errors';
import { readHuffman, writeHuffman } from '../huffman';
import type { TensorCodec } from './codec';

/** Most distinct values a palette holds (beyond this, float32 is smaller anyway). */
export const PALETTE_MAX = 1 << 20;

/**
 * Lossless: the distinct float32 bit patterns of the tensor (sorted), then each value's
 * index into them, canonical-Huffman coded. Small for tensors with few distinct values —
 * quantised weights (the nsfwjs MobileNetV2 holds ≤ 256 per tensor) or pruned ones.
 */
export const paletteCodec: TensorCodec = {
  id: 'huffman',
  lossless: true,
  encode(values) {
    const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
    const distinct = [...new Set(bits)].sort((a, b) => a - b);
    if (distinct.length > PALETTE_MAX) throw new NncEncodeError(`codec huffman: ${distinct.length} distinct values, more than ${PALETTE_MAX}`);
    const index = new Map(distinct.map((b, i) => [b, i] as const));
    const w = new ByteWriter().varint(distinct.length);
    for (const b of distinct) w.u32(b);
    writeHuffman(w, Uint32Array.from(bits, (b) => index.get(b) as number), distinct.length);
    return { params: {}, bytes: w.finish() };
  },
  decode(r, _params, count) {
    const at = r.offset;
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

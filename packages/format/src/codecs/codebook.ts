import { ByteWriter } from '../bytes';
import { NncEncodeError, NncFormatError } from '../errors';
import { codingTag, encodeSymbols, readCodingTag, readSymbols } from '../symbols';
import type { TensorCodec } from './codec';
import { paletteOf } from './palette';

/** Most entries a codebook holds: shared weights come in a few dozen clusters, not thousands. */
export const CODEBOOK_MAX = 1 << 16;

/**
 * A codebook and one index per value: the form weight sharing (k-means clustering of a
 * layer's weights, Han, Mao & Dally 2016) leaves a tensor in. Layout: the entry count, the
 * entries as float32 bit patterns (ascending), an entropy-coder tag, then the indices coded
 * with Huffman or rANS, whichever is smaller (rANS wins when one cluster dominates).
 * Lossless: the entries are the tensor's own distinct bit patterns, so clustering happens
 * before encoding (the weight-sharing plugin), and encoding stores exactly what training
 * left. A tensor with more than `CODEBOOK_MAX` distinct values is not one to store this way.
 */
export const codebookCodec: TensorCodec = {
  id: 'codebook',
  lossless: true,
  encode(values) {
    const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
    const palette = paletteOf(bits, CODEBOOK_MAX);
    if (!palette) throw new NncEncodeError(`codec codebook: ${new Set(bits).size} distinct values, more than ${CODEBOOK_MAX} entries; cluster the weights first (weight sharing) or use another codec`);
    const { entries, indices } = palette;
    const w = new ByteWriter().varint(entries.length);
    for (const b of entries) w.u32(b);
    const coded = encodeSymbols(indices, Math.max(1, entries.length));
    w.u8(codingTag(coded.coding)).bytes(coded.bytes);
    return { params: {}, bytes: w.finish() };
  },
  decode(r, _params, count) {
    const at = r.offset;
    const size = r.varint('codebook: entry count', CODEBOOK_MAX);
    if (size === 0 && count > 0) throw new NncFormatError(at, 'codebook: at least one entry', `${count} values to decode`);
    const entries = new Uint32Array(size);
    for (let i = 0; i < size; i++) entries[i] = r.u32('codebook: entry');
    const coding = readCodingTag(r, 'codebook');
    // Every index is < size (both coders check their symbols against it), so the map is total.
    const out = readSymbols(r, count, Math.max(1, size), 'codebook: indices', coding, entries);
    return new Float32Array(out.buffer, out.byteOffset, count);
  },
};

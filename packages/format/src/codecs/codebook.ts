import { ByteReader, ByteWriter } from '../bytes';
import { NncEncodeError, NncFormatError } from '../errors';
import { codingTag, encodeSymbols, readCodingTag, readSymbols } from '../symbols';
import { channelsParam, CodecParams, EncodedValues, numberParam, outputChannels, TensorCodec } from './codec';
import { exactHalf, halfToFloat32Bits } from './float';
import { paletteOf } from './palette';

/** Most entries a codebook holds: shared weights come in a few dozen clusters, not thousands. */
export const CODEBOOK_MAX = 1 << 16;

/** One codebook per output channel: the entries of each (ascending) and every value's index in its channel's codebook. */
function channelPalettes(bits: Uint32Array, channels: number): { readonly sizes: Uint32Array; readonly entries: Uint32Array; readonly indices: Uint32Array } | undefined {
  const sizes = new Uint32Array(channels);
  const entries: number[] = [];
  const indices = new Uint32Array(bits.length);
  const members = new Uint32Array(bits.length / channels);
  for (let c = 0; c < channels; c++) {
    for (let i = c, k = 0; i < bits.length; i += channels) members[k++] = bits[i];
    const palette = paletteOf(members, CODEBOOK_MAX);
    // Entries of 32 bits for more than every second value cannot pay: the tensor is not shared per channel.
    if (!palette || entries.length + palette.entries.length > bits.length / 2) return undefined;
    sizes[c] = palette.entries.length;
    for (const e of palette.entries) entries.push(e);
    for (let i = c, k = 0; i < bits.length; i += channels) indices[i] = palette.indices[k++];
  }
  return { sizes, entries: Uint32Array.from(entries), indices };
}

/** Reads one entry as float32 bits: 32 bits stored, or 16 (`params.entryBits: 16`). */
function entryReader(params: CodecParams, r: ByteReader): () => number {
  if (params.entryBits === undefined) return () => r.u32('codebook: entry');
  const width = numberParam(params, 'entryBits', r, 'codebook');
  if (width !== 16) throw new NncFormatError(r.base, 'codec codebook: params.entryBits 16 (or absent: 32)', `got ${width}`);
  return () => halfToFloat32Bits(r.u16('codebook: entry'));
}

/**
 * A codebook and one index per value: the form weight sharing (k-means clustering of a
 * layer's weights, Han, Mao & Dally 2016) leaves a tensor in. Layout: the entry count, the
 * entries as float32 bit patterns (ascending), an entropy-coder tag, then the indices coded
 * with Huffman or rANS, whichever is smaller (rANS wins when one cluster dominates).
 *
 * Per channel (`params.channels`, when the shape is known and it is smaller): one codebook per
 * output channel (each: its entry count and entries), then the indices, each into its own
 * channel's codebook, in one stream. Sharing clustered per channel leaves a kernel with a
 * few values per filter, but thousands over the tensor: one codebook would index them all.
 *
 * Entries take 16 bits instead of 32 (`params.entryBits: 16`) when every one is exactly a
 * float16.
 *
 * Lossless: the entries are the tensor's own distinct bit patterns, so clustering happens
 * before encoding (the weight-sharing plugin), and encoding stores exactly what training
 * left. A tensor with more than `CODEBOOK_MAX` distinct values (in a channel, per channel) is
 * not one to store this way.
 */
export const codebookCodec: TensorCodec = {
  id: 'codebook',
  lossless: true,
  encode(values, _options, _codecs, context): EncodedValues {
    const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
    const palette = paletteOf(bits, CODEBOOK_MAX);
    const channels = outputChannels(values.length, context);
    const split = channels > 1 && (!palette || palette.entries.length > 2) ? channelPalettes(bits, channels) : undefined;
    // Entries in 16 bits when every one of them is a float16 (weight sharing with `entries:
    // float16` keeps them so): lossless, and per-filter codebooks cost half. Either layout's
    // entries are all of the tensor's distinct values, so one of them answers for both.
    const half = (palette?.entries ?? split?.entries)?.every((b) => exactHalf(b) >= 0) ?? false;
    const entry = (w: ByteWriter, b: number): ByteWriter => (half ? w.u16(exactHalf(b)) : w.u32(b));
    const layout = (extra: Record<string, number>): Record<string, number> => (half ? { ...extra, entryBits: 16 } : extra);
    let whole: Uint8Array | undefined;
    if (palette) {
      const { entries, indices } = palette;
      const w = new ByteWriter().varint(entries.length);
      for (const b of entries) entry(w, b);
      const coded = encodeSymbols(indices, Math.max(1, entries.length));
      whole = w.u8(codingTag(coded.coding)).bytes(coded.bytes).finish();
    }
    let perChannel: Uint8Array | undefined;
    if (split) {
      const w = new ByteWriter();
      let largest = 1;
      for (let c = 0, at = 0; c < channels; at += split.sizes[c], c++) {
        w.varint(split.sizes[c]);
        for (let j = 0; j < split.sizes[c]; j++) entry(w, split.entries[at + j]);
        largest = Math.max(largest, split.sizes[c]);
      }
      const coded = encodeSymbols(split.indices, largest);
      perChannel = w.u8(codingTag(coded.coding)).bytes(coded.bytes).finish();
    }
    if (perChannel && (!whole || perChannel.length < whole.length)) return { params: layout({ channels }), bytes: perChannel };
    if (whole) return { params: layout({}), bytes: whole };
    throw new NncEncodeError(`codec codebook: ${new Set(bits).size} distinct values, more than ${CODEBOOK_MAX} entries${channels > 1 ? ' (and in a channel)' : ''}; cluster the weights first (weight sharing) or use another codec`);
  },
  decode(r, params, count) {
    const readEntry = entryReader(params, r);
    if (params.channels !== undefined) {
      const channels = channelsParam(params, r, 'codebook', count);
      const sizes = new Uint32Array(channels);
      const starts = new Uint32Array(channels);
      const entries: number[] = [];
      let largest = 1;
      for (let c = 0; c < channels; c++) {
        const at = r.offset;
        sizes[c] = r.varint('codebook: channel entry count', CODEBOOK_MAX);
        if (sizes[c] === 0 && count > 0) throw new NncFormatError(at, `codebook: at least one entry in channel ${c}`, `${count / channels} values to decode`);
        starts[c] = entries.length;
        for (let j = 0; j < sizes[c]; j++) entries.push(readEntry());
        largest = Math.max(largest, sizes[c]);
      }
      const coding = readCodingTag(r, 'codebook');
      const at = r.offset;
      const indices = readSymbols(r, count, largest, 'codebook: indices', coding);
      const out = new Uint32Array(count);
      for (let i = 0, c = 0; i < count; i++) {
        const index = indices[i];
        if (index >= sizes[c]) throw new NncFormatError(at, `codebook: index of value ${i} below channel ${c}'s ${sizes[c]} entries`, `got ${index}`);
        out[i] = entries[starts[c] + index];
        if (++c === channels) c = 0;
      }
      return new Float32Array(out.buffer, 0, count);
    }
    const at = r.offset;
    const size = r.varint('codebook: entry count', CODEBOOK_MAX);
    if (size === 0 && count > 0) throw new NncFormatError(at, 'codebook: at least one entry', `${count} values to decode`);
    const entries = new Uint32Array(size);
    for (let i = 0; i < size; i++) entries[i] = readEntry();
    const coding = readCodingTag(r, 'codebook');
    // Every index is < size (both coders check their symbols against it), so the map is total.
    const out = readSymbols(r, count, Math.max(1, size), 'codebook: indices', coding, entries);
    return new Float32Array(out.buffer, out.byteOffset, count);
  },
};

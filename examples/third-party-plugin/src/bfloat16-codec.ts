/**
 * A codec from outside the monorepo: bfloat16, the top 16 bits of each float32 (sign, the
 * full 8-bit exponent, 7 bits of mantissa), rounded to nearest even. Half the bytes of
 * float32 with float32's range, so no weight overflows as it can in float16; relative error
 * at most 2^-8. NaN and ±Infinity are kept.
 *
 * Declared in the plugin's `codecs` (and exported as the package's `codecs`), it is in the
 * registry of every run that lists the plugin and of `nncompress encode/decode/inspect` in
 * this project: `encode: { codec: bfloat16 }` in a config uses it.
 */
import type { ByteReader, EncodedValues, TensorCodec } from '@nncompress/format';

const bits = new Uint32Array(1);
const asFloat = new Float32Array(bits.buffer);

/** The bfloat16 pattern of one float32, rounded to nearest even (NaN stays a quiet NaN). */
export function toBfloat16(x: number): number {
  asFloat[0] = x;
  const b = bits[0];
  if (Number.isNaN(x)) return (b >>> 16) | 0x0040;
  return ((b + 0x7fff + ((b >>> 16) & 1)) >>> 16) & 0xffff;
}

/** The float32 value of a bfloat16 pattern. */
export function fromBfloat16(h: number): number {
  bits[0] = h << 16;
  return asFloat[0];
}

export const bfloat16Codec: TensorCodec = {
  id: 'bfloat16',
  lossless: false,
  encode(values: Float32Array): EncodedValues {
    const bytes = new Uint8Array(2 * values.length);
    for (let i = 0; i < values.length; i++) {
      const h = toBfloat16(values[i]);
      bytes[2 * i] = h & 0xff;
      bytes[2 * i + 1] = h >>> 8;
    }
    return { params: {}, bytes };
  },
  decode(r: ByteReader, _params, count: number): Float32Array {
    const bytes = r.bytesOf(2 * count, 'bfloat16 values');
    const out = new Float32Array(count);
    for (let i = 0; i < count; i++) out[i] = fromBfloat16(bytes[2 * i] | (bytes[2 * i + 1] << 8));
    return out;
  },
};

import { ByteReader } from '../bytes';
import { NncEncodeError } from '../errors';
import type { EncodedValues, TensorCodec } from './codec';

/**
 * float32 as stored by tfjs: little-endian IEEE 754, bit for bit. Bytes are copied, never
 * read as numbers, so NaN payloads survive (a number round trip may canonicalise them).
 */
export const float32Codec: TensorCodec = {
  id: 'float32',
  lossless: true,
  encode(values): EncodedValues {
    return { params: {}, bytes: new Uint8Array(values.buffer, values.byteOffset, values.byteLength).slice() };
  },
  decode(r: ByteReader, _params, count): Float32Array {
    return new Float32Array(r.bytesOf(4 * count, 'float32 values').slice().buffer);
  },
};

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE half from a float32, rounding to nearest even. NaN stays NaN, ±Inf stays ±Inf. */
export function toHalf(x: number): number {
  f32[0] = x;
  const bits = u32[0];
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  const mant = bits & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    const m = mant | 0x800000;
    const shift = 14 - e;
    const half = m >>> shift;
    const rest = m & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    return sign | (half + (rest > mid || (rest === mid && half & 1) ? 1 : 0));
  }
  const half = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  // Rounding up may carry into the exponent (and to Inf at the top): that is the right answer.
  return sign | (half + (rest > 0x1000 || (rest === 0x1000 && half & 1) ? 1 : 0));
}

export function fromHalf(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/**
 * The float16 bits of the float32 bit pattern `b` when that float16 is `b` exactly (−0,
 * infinities and NaN payloads included: the round trip is checked bit for bit); −1 otherwise.
 */
export function exactHalf(b: number): number {
  u32[0] = b;
  const h = toHalf(f32[0]);
  f32[0] = fromHalf(h);
  return u32[0] === b ? h : -1;
}

/** The float32 bit pattern of the float16 bits `h`. */
export function halfToFloat32Bits(h: number): number {
  f32[0] = fromHalf(h);
  return u32[0];
}

let halves: Float32Array | undefined;
/** Every half's float32 value, built on first use (256 KiB): decoding is one lookup per value. */
function halfTable(): Float32Array {
  if (!halves) {
    halves = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) halves[h] = fromHalf(h);
  }
  return halves;
}

/** The largest finite half. */
export const HALF_MAX = 65504;

/**
 * float16, a plain cast (round to nearest even). Lossy: finite values beyond ±65504 are
 * rejected rather than silently turned into Inf; NaN and ±Inf are kept as NaN and ±Inf.
 * Error ≤ 2^-11·|x| for normal halves, ≤ 2^-25 below 2^-14.
 */
export const float16Codec: TensorCodec = {
  id: 'float16',
  lossless: false,
  encode(values): EncodedValues {
    const bytes = new Uint8Array(values.length * 2);
    const view = new DataView(bytes.buffer);
    for (let i = 0; i < values.length; i++) {
      const x = values[i];
      // 65520 and up round to Inf; below that they round to 65504.
      if (Number.isFinite(x) && Math.abs(x) >= 65520) throw new NncEncodeError(`codec float16: index ${i} is ${x}, outside the float16 range (±${HALF_MAX})`);
      view.setUint16(2 * i, toHalf(x), true);
    }
    return { params: {}, bytes };
  },
  decode(r, _params, count): Float32Array {
    const halves = halfTable();
    const bytes = r.bytesOf(2 * count, 'float16 values');
    const out = new Float32Array(count);
    for (let i = 0; i < count; i++) out[i] = halves[bytes[2 * i] | (bytes[2 * i + 1] << 8)];
    return out;
  },
};

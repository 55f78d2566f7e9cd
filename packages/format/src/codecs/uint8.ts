import { NncFormatError } from '../errors';
import { numberParam, requireFinite, TensorCodec } from './codec';

/**
 * tfjs-converter's uint8 affine quantisation, per tensor: scale = (max − min)/255, min
 * nudged so that 0 is exactly representable when min ≤ 0 ≤ max, q = round((x − min)/scale),
 * decoded as q·scale + min. A constant tensor has scale 1 and decodes exactly. Lossy:
 * non-finite values are rejected. Error ≤ scale/2 (the nudge can push the top value one
 * half step beyond the grid, where it is clamped). Decoded values are clamped to float32's
 * finite range: near ±3.4e38 the nudged grid's end can lie past it, and a finite tensor must
 * not decode to ±Infinity (clamping only moves such a value closer to the original).
 */
/** The largest finite float32, 2^128 − 2^104. */
const FLOAT32_MAX = 3.4028234663852886e38;

export function affineRange(values: Float32Array): { min: number; scale: number } {
  let lo = Infinity;
  let hi = -Infinity;
  for (const x of values) {
    if (x < lo) lo = x;
    if (x > hi) hi = x;
  }
  if (values.length === 0 || lo === hi) return { min: values.length ? lo : 0, scale: 1 };
  const scale = (hi - lo) / 255;
  if (lo <= 0 && hi >= 0) return { min: -Math.round(-lo / scale) * scale, scale };
  return { min: lo, scale };
}

export const uint8Codec: TensorCodec = {
  id: 'uint8',
  lossless: false,
  encode(values) {
    requireFinite(values, 'uint8');
    const { min, scale } = affineRange(values);
    const bytes = new Uint8Array(values.length);
    for (let i = 0; i < values.length; i++) bytes[i] = Math.min(255, Math.max(0, Math.round((values[i] - min) / scale)));
    return { params: { min, scale }, bytes };
  },
  decode(r, params, count) {
    const min = numberParam(params, 'min', r, 'uint8');
    const scale = numberParam(params, 'scale', r, 'uint8');
    if (!(scale > 0)) throw new NncFormatError(r.base, 'codec uint8: params.scale > 0', `got ${scale}`);
    const q = r.bytesOf(count, 'uint8 codes');
    const out = new Float32Array(count);
    for (let i = 0; i < count; i++) out[i] = Math.min(FLOAT32_MAX, Math.max(-FLOAT32_MAX, q[i] * scale + min));
    return out;
  },
};

import { NncFormatError } from '../errors';
import { channelsParam, EncodedValues, FLOAT32_MAX, numberParam, outputChannels, requireFinite, TensorCodec } from './codec';

/**
 * tfjs-converter's uint8 affine quantisation, per tensor: scale = (max − min)/255, min
 * nudged so that 0 is exactly representable when min ≤ 0 ≤ max, q = round((x − min)/scale),
 * decoded as q·scale + min. A constant tensor has scale 1 and decodes exactly. Lossy:
 * non-finite values are rejected. Error ≤ scale/2 (the nudge can push the top value one
 * half step beyond the grid, where it is clamped). Decoded values are clamped to float32's
 * finite range: near ±3.4e38 the nudged grid's end can lie past it, and a finite tensor must
 * not decode to ±Infinity (clamping only moves such a value closer to the original).
 *
 * With `options.perChannel` and a known shape, each output channel gets its own min and
 * scale (`params.channels`; the mins and scales lead the codes as float32 pairs): compact
 * networks have channels of very different ranges (a depthwise filter next to its
 * neighbour), and one per-tensor grid spends most of its 256 levels on the widest.
 */
/** The largest finite float32, 2^128 − 2^104. */

export function affineRange(values: ArrayLike<number>): { min: number; scale: number } {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const x = values[i];
    if (x < lo) lo = x;
    if (x > hi) hi = x;
  }
  if (values.length === 0 || lo === hi) return { min: values.length ? lo : 0, scale: 1 };
  const scale = (hi - lo) / 255;
  if (lo <= 0 && hi >= 0) return { min: -Math.round(-lo / scale) * scale, scale };
  return { min: lo, scale };
}

const quantise = (x: number, min: number, scale: number): number => Math.min(255, Math.max(0, Math.round((x - min) / scale)));
const dequantise = (q: number, min: number, scale: number): number => Math.min(FLOAT32_MAX, Math.max(-FLOAT32_MAX, q * scale + min));

export const uint8Codec: TensorCodec = {
  id: 'uint8',
  lossless: false,
  encode(values, options, _codecs, context): EncodedValues {
    requireFinite(values, 'uint8');
    const channels = options.perChannel === true ? outputChannels(values.length, context) : 1;
    if (channels > 1) {
      const out = new Uint8Array(8 * channels + values.length);
      const view = new DataView(out.buffer);
      const codes = out.subarray(8 * channels);
      for (let c = 0; c < channels; c++) {
        const members = new Float32Array(values.length / channels);
        for (let i = c, k = 0; i < values.length; i += channels) members[k++] = values[i];
        // Stored as float32, so the grid is taken from the rounded numbers the decoder will use.
        const range = affineRange(members);
        const min = Math.fround(range.min);
        const scale = Math.fround(range.scale) || 1;
        view.setFloat32(8 * c, min, true);
        view.setFloat32(8 * c + 4, scale, true);
        for (let i = c; i < values.length; i += channels) codes[i] = quantise(values[i], min, scale);
      }
      return { params: { channels }, bytes: out };
    }
    const { min, scale } = affineRange(values);
    const bytes = new Uint8Array(values.length);
    for (let i = 0; i < values.length; i++) bytes[i] = quantise(values[i], min, scale);
    return { params: { min, scale }, bytes };
  },
  decode(r, params, count) {
    if (params.channels !== undefined) {
      const channels = channelsParam(params, r, 'uint8', count);
      const mins = new Float64Array(channels);
      const scales = new Float64Array(channels);
      for (let c = 0; c < channels; c++) {
        const at = r.offset;
        mins[c] = r.f32('uint8: channel min');
        scales[c] = r.f32('uint8: channel scale');
        if (!Number.isFinite(mins[c]) || !(scales[c] > 0) || !Number.isFinite(scales[c])) throw new NncFormatError(at, 'uint8: a finite channel min and a finite scale > 0', `got ${mins[c]} and ${scales[c]}`);
      }
      const q = r.bytesOf(count, 'uint8 codes');
      const out = new Float32Array(count);
      for (let i = 0, c = 0; i < count; i++) {
        out[i] = dequantise(q[i], mins[c], scales[c]);
        if (++c === channels) c = 0;
      }
      return out;
    }
    const min = numberParam(params, 'min', r, 'uint8');
    const scale = numberParam(params, 'scale', r, 'uint8');
    if (!(scale > 0)) throw new NncFormatError(r.base, 'codec uint8: params.scale > 0', `got ${scale}`);
    const q = r.bytesOf(count, 'uint8 codes');
    const out = new Float32Array(count);
    for (let i = 0; i < count; i++) out[i] = dequantise(q[i], min, scale);
    return out;
  },
};

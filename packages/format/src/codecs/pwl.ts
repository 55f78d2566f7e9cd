import type { ByteReader } from '../bytes';
import { NncFormatError } from '../errors';
import { readSymbols, SYMBOL_CODINGS, SymbolCoding } from '../symbols';
import { channelsParam, CodecParams, FLOAT32_MAX, TensorCodec } from './codec';

/** Most segments and levels a piecewise-linear tensor may declare (guards crafted input). */
export const PWL_MAX_SYMBOLS = 1 << 22;

/**
 * One segment of the piecewise-linear fit of a tensor's sorted values: ranks
 * [start, start + length) lie near the line alpha + slope·t (t the rank within the segment),
 * and the segment has `levels` + 1 code points along it, evenly spaced in rank.
 */
export interface PwlSegment {
  readonly alpha: number;
  /** Index into the slope table (segments with near-equal slopes share one: "parallel lines"). */
  readonly slope: number;
  readonly length: number;
  /** Level count K: code points t = (length − 1)·q/K for q = 0..K (K = 0: one point, alpha). */
  readonly levels: number;
}

/** The value of code point q of a segment; encoder and decoder both use exactly this. */
export function pwlValue(alpha: number, slope: number, length: number, levels: number, q: number): number {
  return levels === 0 ? Math.fround(alpha) : Math.fround(alpha + (slope * (length - 1) * q) / levels);
}

/**
 * Decoder of the piecewise-linear codec (its encoder, which fits the segments, is in
 * @nncompress/plugin-piecewise-linear; the decoder lives here so a file decodes with this
 * package alone). Layout: segment count, slope count, the slopes (float32), per segment
 * alpha (float32), slope index, length and level count (varints), then one symbol per value
 * (the segment's first symbol + q), canonical-Huffman coded, or rANS coded when
 * `params.entropy` is "rans".
 *
 * Per channel (`params.channels`): one float32 scale per output channel first (entry i in
 * channel i mod the count), then the layout above for the values divided by their channel's
 * scale; each value decodes as its code point times its scale, rounded to float32. One fit
 * then serves filters whose ranges differ a hundredfold, each at its own resolution.
 */
export const pwlCodec: TensorCodec = {
  id: 'pwl',
  lossless: false,
  decode(r, params, count) {
    if (params.channels === undefined) return decodeSegments(r, params, count);
    const channels = channelsParam(params, r, 'pwl', count);
    const scales = new Float32Array(channels);
    for (let c = 0; c < channels; c++) {
      const at = r.offset;
      scales[c] = r.f32('pwl: channel scale');
      if (!(scales[c] > 0 && Number.isFinite(scales[c]))) throw new NncFormatError(at, 'pwl: a finite channel scale > 0', `got ${scales[c]}`);
    }
    return decodeSegments(r, params, count, scales);
  },
};

/** The segment table and the coded symbols: a tensor's values, or with `scales` (per channel) code point × its channel's scale. */
function decodeSegments(r: ByteReader, params: CodecParams, count: number, scales?: Float32Array): Float32Array {
  const entropy = params.entropy ?? 'huffman';
  if (!SYMBOL_CODINGS.includes(entropy as SymbolCoding)) throw new NncFormatError(r.base, 'codec pwl: params.entropy "huffman" or "rans"', `got ${JSON.stringify(entropy)}`);
  const segmentCount = r.varint('pwl: segment count', Math.max(1, count));
  const slopeCount = r.varint('pwl: slope count', segmentCount);
  const slopes = new Float64Array(slopeCount);
  for (let i = 0; i < slopeCount; i++) slopes[i] = r.f32('pwl: slope');
  const firstSymbol = new Float64Array(segmentCount + 1);
  const segments: PwlSegment[] = [];
  for (let s = 0; s < segmentCount; s++) {
    const at = r.offset;
    const alpha = r.f32('pwl: segment alpha');
    const slope = r.varint('pwl: segment slope index', Math.max(0, slopeCount - 1));
    if (slopeCount === 0) throw new NncFormatError(at, 'pwl: a slope table with at least one slope');
    const length = r.varint('pwl: segment length', count);
    const levels = r.varint('pwl: segment level count', PWL_MAX_SYMBOLS);
    if (!Number.isFinite(alpha) || !Number.isFinite(slopes[slope])) throw new NncFormatError(at, 'pwl: finite segment numbers');
    firstSymbol[s + 1] = firstSymbol[s] + levels + 1;
    if (firstSymbol[s + 1] > PWL_MAX_SYMBOLS) throw new NncFormatError(at, `pwl: at most ${PWL_MAX_SYMBOLS} code points in all`);
    segments.push({ alpha, slope, length, levels });
  }
  const alphabet = firstSymbol[segmentCount];
  const table = new Float32Array(alphabet);
  segments.forEach((g, s) => {
    for (let q = 0; q <= g.levels; q++) table[firstSymbol[s] + q] = pwlValue(g.alpha, slopes[g.slope], g.length, g.levels, q);
  });
  if (!scales) {
    const out = readSymbols(r, count, alphabet, 'pwl: codes', entropy as SymbolCoding, new Uint32Array(table.buffer));
    return new Float32Array(out.buffer, out.byteOffset, count);
  }
  // One pass from symbols to scaled values (a separate pass for the scales cost a sixth of the speed).
  const symbols = readSymbols(r, count, alphabet, 'pwl: codes', entropy as SymbolCoding);
  const out = new Float32Array(symbols.buffer, symbols.byteOffset, count);
  let overflow = false;
  for (let i = 0, c = 0; i < count; i++) {
    const x = table[symbols[i]] * scales[c];
    out[i] = x;
    if (x > FLOAT32_MAX || x < -FLOAT32_MAX) overflow = true;
    if (++c === scales.length) c = 0;
  }
  // A crafted scale could carry a product past float32's range; every decoder here keeps to finite values.
  if (overflow) for (let i = 0; i < count; i++) out[i] = Math.min(FLOAT32_MAX, Math.max(-FLOAT32_MAX, out[i]));
  return out;
}

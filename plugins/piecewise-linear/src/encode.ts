import { nearestInSorted } from '@nncompress/core/model';
import { ByteReader, ByteWriter, EncodeContext, EncodedValues, largestAbs, maxAbsError, NncEncodeError, outputChannels, pwlCodec, pwlValue, requireFinite, smallestBoundWithin, writeHuffman, encodeSymbols } from '@nncompress/format';
import { chordSegment, fitSegments, mergeShort, shareSlopes } from './fit';

export interface PwlEncodeOptions {
  /** Largest deviation of a segment's line from the sorted values, as a fraction of the tensor's range. */
  readonly p?: number;
  /** Segments shorter than this many values merge with a neighbour. */
  readonly pm?: number;
  /** Code-point step along a segment, as a fraction of its length: 1/pd + 1 code points per segment. */
  readonly pd?: number;
  /** Relative slope difference under which segments share one slope ("parallel lines"); 0: off. */
  readonly parallel?: number;
  /**
   * Error-bound mode: the largest |decoded − original| allowed (absolute). Overrides pd: each
   * segment gets just enough code points, and the fit's p is at most half of it.
   */
  readonly maxError?: number;
  /**
   * One scale per output channel (its largest |w|; needs the shape): the fit runs over the
   * values divided by their channel's scale, so p, pd and the bound act per channel, each at
   * its own range, and the whole tensor stays within maxError.
   */
  readonly perChannel?: boolean;
}

export const pwlDefaults = { p: 0.005, pm: 64, pd: 1 / 16, parallel: 0.05 } as const;

interface CodePoint {
  readonly value: number;
  readonly symbol: number;
}

/** Sorted copy of the values. */
function sortedCopy(values: Float32Array): Float32Array {
  return values.slice().sort();
}

/**
 * Encodes a tensor with the piecewise-linear codec (decoded by @nncompress/format's `pwl`).
 * Each value gets the symbol of the code point nearest to it; symbols are Huffman-coded.
 * In error-bound mode the result is decoded and checked, and the bound tightened a little
 * while float rounding of the stored numbers leaves any value over it.
 */
export function encodePwl(values: Float32Array, options: PwlEncodeOptions = {}, context?: EncodeContext): EncodedValues {
  const channels = options.perChannel === true ? outputChannels(values.length, context) : 1;
  if (channels > 1) return encodePerChannel(values, channels, options);
  if (options.maxError === undefined) return encodeOnce(values, options);
  for (let attempt = 0; ; attempt++) {
    const encoded = encodeOnce(values, { ...options, maxError: options.maxError * (1 - 1e-4 * (2 ** attempt - 1)) });
    const decoded = pwlCodec.decode(new ByteReader(encoded.bytes), encoded.params, values.length, { get: () => undefined });
    if (maxAbsError(values, decoded) <= options.maxError || attempt >= 12) return encoded;
  }
}

/**
 * Per channel: scales are the channels' largest |w|; the scaled values are fitted with the
 * bound divided by the largest scale, so channel c's error is at most maxError · scale_c /
 * largest scale — its own share of the bound — and decoding (code point × scale, rounded to
 * float32) is checked against maxError like `encodePwl`.
 */
function encodePerChannel(values: Float32Array, channels: number, options: PwlEncodeOptions): EncodedValues {
  requireFinite(values, 'pwl');
  const scales = new Float32Array(channels).fill(0);
  for (let i = 0; i < values.length; i++) scales[i % channels] = Math.max(scales[i % channels], Math.abs(values[i]));
  const largest = scales.reduce((a, b) => Math.max(a, b), 0);
  if (largest === 0) return encodePwl(values, { ...options, perChannel: false });
  // An all-zero channel gets the smallest normal float32 as its scale: whatever code point its zeros take, they decode within 2^-126 of zero.
  for (let c = 0; c < channels; c++) if (!(scales[c] > 0)) scales[c] = 2 ** -126;
  const scaled = Float32Array.from(values, (v, i) => v / scales[i % channels]);
  for (let attempt = 0; ; attempt++) {
    const inner = options.maxError === undefined ? undefined : (options.maxError / largest) * (1 - 1e-4 * (2 ** attempt - 1));
    const encoded = encodePwl(scaled, { ...options, perChannel: false, maxError: inner });
    const w = new ByteWriter();
    for (const s of scales) w.f32(s);
    const result = { params: { ...encoded.params, channels }, bytes: w.bytes(encoded.bytes).finish() };
    if (options.maxError === undefined || attempt >= 12) return result;
    const decoded = pwlCodec.decode(new ByteReader(result.bytes), result.params, values.length, { get: () => undefined });
    if (maxAbsError(values, decoded) <= options.maxError) return result;
  }
}

/** Size-target mode for one tensor: see `smallestBoundWithin`. */
export function encodePwlToSize(values: Float32Array, targetBytes: number, options: Omit<PwlEncodeOptions, 'maxError'> = {}, context?: EncodeContext): EncodedValues & { readonly maxError: number } {
  requireFinite(values, 'pwl');
  const { encoded, bound } = smallestBoundWithin((maxError) => encodePwl(values, { ...options, maxError }, context), targetBytes, largestAbs(values));
  return { ...encoded, maxError: bound };
}

function encodeOnce(values: Float32Array, options: PwlEncodeOptions): EncodedValues {
  requireFinite(values, 'pwl');
  const p = options.p ?? pwlDefaults.p;
  const pm = options.pm ?? pwlDefaults.pm;
  const pd = options.pd ?? pwlDefaults.pd;
  const parallel = options.parallel ?? pwlDefaults.parallel;
  const bound = options.maxError;
  if (!(p >= 0) || !(pm >= 1) || !(pd > 0 && pd <= 1) || !(parallel >= 0) || (bound !== undefined && !(bound > 0))) {
    throw new NncEncodeError(`codec pwl: options need p ≥ 0, pm ≥ 1, 0 < pd ≤ 1, parallel ≥ 0 and maxError > 0 (got ${JSON.stringify(options)})`);
  }
  const w = new ByteWriter();
  if (values.length === 0) {
    w.varint(0).varint(0);
    writeHuffman(w, [], 0);
    return { params: {}, bytes: w.finish() };
  }
  const sorted = sortedCopy(values);
  const range = sorted[sorted.length - 1] - sorted[0];
  // In error-bound mode the fit may use at most half the bound (code points take the rest),
  // and uses all of that half unless p asks for a closer fit.
  const pAbs = bound === undefined ? p * range : Math.min(options.p === undefined ? Infinity : p * range, bound / 2);
  const maxDeviation = bound === undefined ? Infinity : bound / 2;
  const merged = mergeShort(sorted, fitSegments(sorted, pAbs), pm, maxDeviation);
  const shared = shareSlopes(sorted, merged, parallel);
  // A shared slope may fit a segment worse; in error-bound mode such a segment keeps its own.
  const fitted = shared.segments.map((g) => (g.deviation > maxDeviation ? chordSegment(sorted, g.start, g.length) : g));
  const slopeOf = fitted.map((g) => Math.fround(g.slope));
  const slopes = [...new Set(slopeOf)];
  const slopeIndex = new Map(slopes.map((v, i) => [v, i] as const));

  const points: CodePoint[] = [];
  let symbol = 0;
  w.varint(fitted.length).varint(slopes.length);
  for (const s of slopes) w.f32(s);
  fitted.forEach((g, i) => {
    const alpha = Math.fround(g.alpha);
    const slope = slopeOf[i];
    const span = Math.abs(slope) * (g.length - 1);
    let levels: number;
    if (span === 0) levels = 0;
    else if (bound === undefined) levels = Math.max(1, Math.round(1 / pd));
    else levels = Math.max(1, Math.ceil(span / (2 * Math.max(bound - g.deviation, bound / 4))));
    w.f32(alpha).varint(slopeIndex.get(slope) as number).varint(g.length).varint(levels);
    for (let q = 0; q <= levels; q++) points.push({ value: pwlValue(alpha, slope, g.length, levels, q), symbol: symbol + q });
    symbol += levels + 1;
  });
  points.sort((a, b) => a.value - b.value || a.symbol - b.symbol);
  const codeValues = Float64Array.from(points, (c) => c.value);
  const symbols = new Uint32Array(values.length);
  for (let i = 0; i < values.length; i++) symbols[i] = points[nearestInSorted(codeValues, values[i])].symbol;
  // Huffman or rANS, whichever is smaller: rANS when a few code points (those near zero) dominate.
  const coded = encodeSymbols(symbols, symbol);
  w.bytes(coded.bytes);
  return { params: coded.coding === 'huffman' ? {} : { entropy: coded.coding }, bytes: w.finish() };
}


import type { ByteReader } from '../bytes';
import { NncEncodeError, NncFormatError } from '../errors';

export type JsonValue = null | boolean | number | string | JsonValue[] | { readonly [key: string]: JsonValue };
export type CodecParams = { readonly [key: string]: JsonValue };

export interface EncodedValues {
  /** Stored in the container's header; must be JSON. */
  readonly params: CodecParams;
  readonly bytes: Uint8Array;
}

/** What an encoder may know of a tensor beyond its values. */
export interface EncodeContext {
  /** The tensor's shape (its last axis: a Dense kernel's units, a conv kernel's filters); absent when the caller has only values. */
  readonly shape?: readonly number[];
}

/** What a decoder may look up: other codecs (for wrappers such as `sparse`). */
export interface CodecLookup {
  get(id: string): TensorCodec | undefined;
}

/**
 * A tensor codec. NaN/Inf rule: lossless codecs decode bit for bit (NaN payloads, −0 and ±Inf
 * included); lossy codecs reject non-finite input with an error naming the index.
 */
export interface TensorCodec {
  readonly id: string;
  readonly lossless: boolean;
  /** Absent on decode-only codecs (an encoder another package provides). */
  encode?(values: Float32Array, options: CodecParams, codecs: CodecLookup, context?: EncodeContext): EncodedValues;
  /** Decodes `count` values from `r`, which holds exactly this tensor's bytes. */
  decode(r: ByteReader, params: CodecParams, count: number, codecs: CodecLookup): Float32Array;
  /**
   * Codecs `encodeTensor` also tries (with their default options) whenever this one is asked
   * for, keeping the smallest encoding that is no less accurate than asked: within the
   * choice's `maxError` when it gives one, else within this codec's own error. Piecewise-linear
   * lists float16, because a bias of a few dozen values costs less as halves than as a segment
   * table. One rule for every caller, so `nncompress encode` and a pipeline write the same bytes.
   */
  readonly alsoTry?: readonly string[];
  /** True when `encode` takes `options.maxError`, the largest |decoded − original| allowed: error-bound and size-target modes need it. */
  readonly errorBound?: boolean;
}

/** The largest finite float32: lossy decoders clamp to it, so crafted numbers cannot decode to ±Inf. */
export const FLOAT32_MAX = 3.4028234663852886e38;

/** A finite number parameter, or a format error naming it. */
export function numberParam(params: CodecParams, key: string, r: ByteReader, codec: string): number {
  const v = params[key];
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new NncFormatError(r.base, `codec ${codec}: params.${key} as a finite number`, `got ${JSON.stringify(v)}`);
  return v;
}

/** `params.channels` of a per-channel layout: a whole number dividing `count`, or a format error naming it. */
export function channelsParam(params: CodecParams, r: ByteReader, codec: string, count: number): number {
  const channels = numberParam(params, 'channels', r, codec);
  if (!(Number.isInteger(channels) && channels >= 1 && count % channels === 0)) throw new NncFormatError(r.base, `codec ${codec}: params.channels, a whole number dividing ${count}`, `got ${channels}`);
  return channels;
}

export function stringParam(params: CodecParams, key: string, r: ByteReader, codec: string): string {
  const v = params[key];
  if (typeof v !== 'string') throw new NncFormatError(r.base, `codec ${codec}: params.${key} as a string`, `got ${JSON.stringify(v)}`);
  return v;
}

/** Throws unless every value is finite (the rule for lossy codecs). */
export function requireFinite(values: Float32Array, codec: string): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) throw new NncEncodeError(`codec ${codec} is lossy and takes finite values only; index ${i} is ${values[i]}`);
  }
}

/**
 * Output channels of a weight of `shape`: its last axis, or the one before when the last is 1
 * (a depthwise kernel [kh, kw, channels, 1]); entry i belongs to channel i mod the count.
 * 1 when the shape is unknown or does not describe the values.
 */
export function outputChannels(count: number, context?: EncodeContext): number {
  const shape = context?.shape;
  if (!shape || shape.length < 2 || shape.reduce((a, b) => a * b, 1) !== count) return 1;
  const last = shape[shape.length - 1];
  return last === 1 ? shape[shape.length - 2] : last;
}

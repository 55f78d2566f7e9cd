import { ByteReader } from './bytes';
import { NncEncodeError } from './errors';
import type { CodecParams, EncodeContext } from './codecs/codec';
import { CodecRegistry, codecs as defaultRegistry } from './codecs/registry';

export interface EncodedTensor {
  readonly codec: string;
  readonly params: CodecParams;
  readonly bytes: Uint8Array;
  /**
   * Largest |decoded − original| over the tensor, measured by decoding: 0 only when it decodes
   * bit for bit (a −0 decoded as +0, numerically equal, counts as the smallest positive number).
   */
  readonly maxError: number;
}

export interface EncodeChoice {
  /** Codec id (default float32). */
  readonly codec?: string;
  readonly options?: CodecParams;
  /** `auto` (default): also try `sparse` around the codec when there are zeros, keep the smaller. */
  readonly sparse?: 'auto' | 'never' | 'always';
  /** The tensor's shape, when known: layouts that read it as a matrix (the sparse codec's context-modelled positions) use it. */
  readonly shape?: readonly number[];
}

/**
 * The codec id that is a choice, not a codec: per tensor, the smallest encoding any codec of
 * the registry gives within the error bound — zero (bit for bit) unless one is stated.
 */
export const AUTO_CODEC = 'auto';

/** Largest |x| over the values (0 for none): the scale a relative error bound is taken of. */
export function largestAbs(values: Float32Array): number {
  let largest = 0;
  for (const x of values) largest = Math.max(largest, Math.abs(x));
  return largest;
}

/** Largest absolute difference; a NaN decoded as NaN counts as exact, any other NaN mismatch as Infinity. */
export function maxAbsError(original: Float32Array, decoded: Float32Array): number {
  if (original.length !== decoded.length) return Infinity;
  let worst = 0;
  for (let i = 0; i < original.length; i++) {
    const a = original[i];
    const b = decoded[i];
    if (a === b) continue;
    if (Number.isNaN(a) && Number.isNaN(b)) continue;
    const d = Math.abs(a - b);
    if (!(d <= worst)) worst = Number.isNaN(d) ? Infinity : d;
  }
  return worst;
}

function bitExact(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/** Encodes one tensor's values and measures the error by decoding the result; never larger than float32. */
export function encodeTensor(values: Float32Array, choice: EncodeChoice = {}, registry: CodecRegistry = defaultRegistry): EncodedTensor {
  const id = choice.codec ?? 'float32';
  const options = choice.options ?? {};
  const sparse = choice.sparse ?? 'auto';
  // encodeWith refuses an unknown codec, so the lookup below finds one.
  const context: EncodeContext = { shape: choice.shape };
  let best = encodeWith(values, id, options, sparse, registry, context);
  const bound = typeof options.maxError === 'number' ? options.maxError : best.maxError;
  for (const other of registry.get(id)!.alsoTry ?? []) {
    let alternative: EncodedTensor;
    try {
      alternative = encodeWith(values, other, {}, sparse, registry, context);
    } catch (err) {
      // Values the alternative cannot hold (beyond float16's range, say): it is not a choice.
      if (err instanceof NncEncodeError) continue;
      throw err;
    }
    if (alternative.bytes.length < best.bytes.length && alternative.maxError <= bound) best = alternative;
  }
  return best;
}

/** The smallest of codec `id` alone and inside `sparse`, never larger than float32, with its measured error. */
function encodeWith(values: Float32Array, id: string, options: CodecParams, sparse: 'auto' | 'never' | 'always', registry: CodecRegistry, context: EncodeContext): EncodedTensor {
  const codec = registry.get(id);
  if (!codec) throw new Error(`unknown codec "${id}" (known: ${registry.ids().join(', ')})`);
  if (!codec.encode) throw new Error(`codec "${id}" can decode but not encode here`);
  const candidates: { codec: string; params: CodecParams; bytes: Uint8Array }[] = [];
  const hasZeros = values.some((v) => Object.is(v, 0));
  if (sparse !== 'always') candidates.push({ codec: id, ...codec.encode(values, options, registry, context) });
  if (sparse === 'always' || (sparse === 'auto' && hasZeros && id !== 'sparse')) {
    candidates.push({ codec: 'sparse', ...(registry.get('sparse')!.encode!(values, { inner: id, innerOptions: options }, registry, context)) });
  }
  // No tensor is stored larger than its float32 bytes, whatever the codec's overhead (a
  // piecewise-linear segment table costs more than a bias of a few dozen values).
  if (id !== 'float32' && candidates.every((c) => c.bytes.length > 4 * values.length)) {
    candidates.push({ codec: 'float32', ...registry.get('float32')!.encode!(values, {}, registry, context) });
  }
  const best = candidates.reduce((a, b) => (b.bytes.length < a.bytes.length ? b : a));
  const decoded = registry.get(best.codec)!.decode(new ByteReader(best.bytes), best.params, values.length, registry);
  const exact = bitExact(values, decoded);
  if (codec.lossless && !exact) throw new Error(`codec "${id}" is lossless but did not round-trip this tensor bit for bit`);
  return { ...best, maxError: exact ? 0 : Math.max(Number.MIN_VALUE, maxAbsError(values, decoded)) };
}

/**
 * `auto`: every codec of the registry that encodes (inside `sparse` too, as `sparse` says),
 * the smallest whose measured error is within `bound`; codecs that take a bound get it, the
 * others (float16, uint8) count only where they happen to be within it. The first of equal
 * sizes in registry order wins, so the choice is deterministic.
 */
function encodeAuto(values: Float32Array, bound: number, sparse: 'auto' | 'never' | 'always', registry: CodecRegistry, context: EncodeContext): EncodedTensor {
  let best: EncodedTensor | undefined;
  for (const id of registry.ids()) {
    const codec = registry.get(id)!;
    if (!codec.encode || id === 'sparse') continue;
    if (codec.errorBound && !codec.lossless && bound === 0) continue;
    let candidate: EncodedTensor;
    try {
      candidate = encodeWith(values, id, codec.errorBound && bound > 0 ? { maxError: bound } : {}, sparse, registry, context);
    } catch (err) {
      // Values this codec cannot hold (non-finite values for a lossy codec, too many distinct values for a codebook).
      if (err instanceof NncEncodeError) continue;
      throw err;
    }
    if (candidate.maxError <= bound && (!best || candidate.bytes.length < best.bytes.length)) best = candidate;
  }
  // float32 is always within any bound, so there is a best.
  return best!;
}

/**
 * The absolute error bound of a tensor: `maxError`, or `relativeError` times the tensor's
 * largest |value|; undefined when neither is given (or the tensor is all zeros).
 */
export function errorBound(values: Float32Array, bound: { readonly maxError?: number; readonly relativeError?: number }): number | undefined {
  if (bound.maxError !== undefined) return bound.maxError;
  const largest = bound.relativeError === undefined ? 0 : largestAbs(values);
  return largest > 0 ? bound.relativeError! * largest : undefined;
}

/**
 * The smallest error bound in (0, largest] whose encoding by `encodeAt` fits in
 * `targetBytes` (bisection on a log scale), with that encoding; or the smallest encoding
 * found when none fits.
 */
export function smallestBoundWithin<T extends { readonly bytes: Uint8Array }>(encodeAt: (bound: number) => T, targetBytes: number, largest: number): { readonly encoded: T; readonly bound: number } {
  let lo = 0;
  let hi = Math.max(largest, 1e-30);
  let bound = hi;
  let best: { encoded: T; bound: number } | undefined;
  let smallest: { encoded: T; bound: number } | undefined;
  for (let i = 0; i < 40; i++) {
    const encoded = encodeAt(bound);
    if (!smallest || encoded.bytes.length < smallest.encoded.bytes.length) smallest = { encoded, bound };
    if (encoded.bytes.length <= targetBytes) {
      best = { encoded, bound };
      hi = bound;
    } else {
      lo = bound;
    }
    if (lo > 0 && hi / lo < 1.01) break;
    bound = lo === 0 ? hi / 4 : Math.sqrt(lo * hi);
  }
  return (best ?? smallest) as { encoded: T; bound: number };
}

/** How one weight tensor is encoded: a codec and its options, an accuracy or size mode, the sparse layouts. */
export interface WeightEncoding {
  /** Codec id, from the registry used, or `auto` (the smallest encoding within the bound, lossless without one). */
  readonly codec: string;
  /** The codec's own options (piecewise-linear's p, pm, pd, parallel, say). */
  readonly options?: CodecParams;
  /** Error-bound mode: the largest |decoded − original| of any weight. */
  readonly maxError?: number;
  /** Error-bound mode per tensor: the bound is this fraction of the tensor's largest |w|. */
  readonly relativeError?: number;
  /** Size-target mode: each tensor gets the smallest error bound whose encoding fits this many bits per entry. */
  readonly bitsPerWeight?: number;
  readonly sparse?: 'auto' | 'never' | 'always';
}

/**
 * Encodes one weight tensor as `how` says: the one rule behind `nncompress encode` and a
 * pipeline's encode stage, so both write the same bytes. The error-bound and size modes need
 * a codec that takes a bound (`TensorCodec.errorBound`).
 */
export function encodeWeights(values: Float32Array, how: WeightEncoding, registry: CodecRegistry = defaultRegistry, shape?: readonly number[]): EncodedTensor {
  const problem = weightEncodingProblem(how, registry);
  if (problem) throw new Error(`${problem.key}: ${problem.message}`);
  const base = how.options ?? {};
  if (how.codec === AUTO_CODEC) return encodeAuto(values, errorBound(values, how) ?? 0, how.sparse ?? 'auto', registry, { shape });
  if (how.bitsPerWeight !== undefined) {
    const target = Math.ceil((how.bitsPerWeight * values.length) / 8);
    return smallestBoundWithin((bound) => encodeTensor(values, { codec: how.codec, sparse: how.sparse, shape, options: { ...base, maxError: bound } }, registry), target, largestAbs(values)).encoded;
  }
  const bound = errorBound(values, how);
  return encodeTensor(values, { codec: how.codec, sparse: how.sparse, shape, options: bound === undefined ? base : { ...base, maxError: bound } }, registry);
}

/**
 * Why `how` cannot encode with `registry`, and the key at fault; undefined when it can.
 * Callers check before any work and name the key their own way (a config path, a flag).
 */
export function weightEncodingProblem(how: WeightEncoding, registry: CodecRegistry): { readonly key: keyof WeightEncoding; readonly message: string } | undefined {
  if (how.codec === AUTO_CODEC) {
    if (how.maxError !== undefined && how.relativeError !== undefined) return { key: 'relativeError', message: 'maxError and relativeError are alternatives; give one' };
    if (how.bitsPerWeight !== undefined) return { key: 'bitsPerWeight', message: 'a size target needs one codec that takes an error bound (auto picks the smallest encoding within a bound: give maxError or relativeError)' };
    if (how.options !== undefined) return { key: 'options', message: "auto tries every codec with its defaults; name a codec to give it options" };
    return undefined;
  }
  const codec = registry.get(how.codec);
  if (!codec?.encode || how.codec === 'sparse') {
    const usable = registry.ids().filter((id) => registry.get(id)?.encode && id !== 'sparse');
    return { key: 'codec', message: `no codec "${how.codec}" can encode here (available: ${[AUTO_CODEC, ...usable].join(', ')})` };
  }
  const modes = (['maxError', 'relativeError', 'bitsPerWeight'] as const).filter((m) => how[m] !== undefined);
  if (modes.length > 1) return { key: modes[1], message: `${modes.join(' and ')} are alternatives; give one` };
  if (modes.length === 1 && !codec.errorBound) {
    const bounded = registry.ids().filter((id) => registry.get(id)?.errorBound);
    return { key: modes[0], message: `codec ${how.codec} takes no error bound (codecs that do: ${bounded.join(', ') || 'none here'})` };
  }
  return undefined;
}

import { ByteReader } from './bytes';
import { NncEncodeError } from './errors';
import type { CodecParams } from './codecs/codec';
import { CodecRegistry, codecs as defaultRegistry } from './codecs/registry';

export interface EncodedTensor {
  readonly codec: string;
  readonly params: CodecParams;
  readonly bytes: Uint8Array;
  /** Largest |decoded − original| over the tensor, measured by decoding (0: bit for bit). */
  readonly maxError: number;
}

export interface EncodeChoice {
  /** Codec id (default float32). */
  readonly codec?: string;
  readonly options?: CodecParams;
  /** `auto` (default): also try `sparse` around the codec when there are zeros, keep the smaller. */
  readonly sparse?: 'auto' | 'never' | 'always';
}

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
  const codec = registry.get(id);
  if (!codec) throw new Error(`unknown codec "${id}" (known: ${registry.ids().join(', ')})`);
  const options = choice.options ?? {};
  const sparse = choice.sparse ?? 'auto';
  let best = encodeWith(values, id, options, sparse, registry);
  const bound = typeof options.maxError === 'number' ? options.maxError : best.maxError;
  for (const other of codec.alsoTry ?? []) {
    let alternative: EncodedTensor;
    try {
      alternative = encodeWith(values, other, {}, sparse, registry);
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
function encodeWith(values: Float32Array, id: string, options: CodecParams, sparse: 'auto' | 'never' | 'always', registry: CodecRegistry): EncodedTensor {
  const codec = registry.get(id);
  if (!codec) throw new Error(`unknown codec "${id}" (known: ${registry.ids().join(', ')})`);
  if (!codec.encode) throw new Error(`codec "${id}" can decode but not encode here`);
  const candidates: { codec: string; params: CodecParams; bytes: Uint8Array }[] = [];
  const hasZeros = values.some((v) => Object.is(v, 0));
  if (sparse !== 'always') candidates.push({ codec: id, ...codec.encode(values, options, registry) });
  if (sparse === 'always' || (sparse === 'auto' && hasZeros && id !== 'sparse')) {
    candidates.push({ codec: 'sparse', ...(registry.get('sparse')!.encode!(values, { inner: id, innerOptions: options }, registry)) });
  }
  // No tensor is stored larger than its float32 bytes, whatever the codec's overhead (a
  // piecewise-linear segment table costs more than a bias of a few dozen values).
  if (id !== 'float32' && candidates.every((c) => c.bytes.length > 4 * values.length)) {
    candidates.push({ codec: 'float32', ...registry.get('float32')!.encode!(values, {}, registry) });
  }
  const best = candidates.reduce((a, b) => (b.bytes.length < a.bytes.length ? b : a));
  const decoded = registry.get(best.codec)!.decode(new ByteReader(best.bytes), best.params, values.length, registry);
  const exact = bitExact(values, decoded);
  if (codec.lossless && !exact) throw new Error(`codec "${id}" is lossless but did not round-trip this tensor bit for bit`);
  return { ...best, maxError: exact ? 0 : maxAbsError(values, decoded) };
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

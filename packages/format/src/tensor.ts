import { ByteReader } from './bytes';
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
  if (!codec.encode) throw new Error(`codec "${id}" can decode but not encode here`);
  const options = choice.options ?? {};
  const candidates: { codec: string; params: CodecParams; bytes: Uint8Array }[] = [];
  const sparse = choice.sparse ?? 'auto';
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

import fc from 'fast-check';
import { ByteReader, ByteWriter, codecs, encodeTensor, fromHalf, huffmanLengths, largestAbs, maxAbsError, MAX_CODE_LENGTH, NncEncodeError, readHuffman, toHalf, writeHuffman } from '../src';

const bitsOf = (a: Float32Array): number[] => [...new Uint32Array(a.buffer, a.byteOffset, a.length)];

/** Decodes an encoded tensor with the registry, as a reader would. */
function decode(encoded: ReturnType<typeof encodeTensor>, count: number): Float32Array {
  const r = new ByteReader(encoded.bytes);
  const out = codecs.get(encoded.codec)!.decode(r, encoded.params, count, codecs);
  r.expectEnd('the tensor');
  return out;
}

/** Tensors with pruned zeros, −0, ties, sizes 0 and 1, tiny and huge magnitudes. */
const finiteValue = fc.oneof(
  { weight: 3, arbitrary: fc.constant(0) },
  { weight: 1, arbitrary: fc.constant(-0) },
  { weight: 4, arbitrary: fc.float({ min: -1, max: 1, noNaN: true }) },
  { weight: 1, arbitrary: fc.float({ noNaN: true, noDefaultInfinity: true }) },
  { weight: 1, arbitrary: fc.constantFrom(1e-30, -3.5e-41, 0.5, 0.5, 0.5) },
);
const tensor = fc.oneof(
  fc.array(finiteValue, { maxLength: 300 }),
  fc.array(finiteValue, { minLength: 0, maxLength: 1 }),
  fc.array(fc.constantFrom(0, 0, 0, 0, 0.25, -1.5), { maxLength: 2000 }),
).map((xs) => Float32Array.from(xs));
const withNonFinite = fc.array(fc.oneof(finiteValue, fc.constantFrom(NaN, Infinity, -Infinity)), { maxLength: 200 }).map((xs) => Float32Array.from(xs));

describe('canonical Huffman', () => {
  it('round-trips any symbol sequence, with code lengths ≤ the maximum', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 600 }).chain((alphabet) => fc.tuple(fc.constant(alphabet), fc.array(fc.integer({ min: 0, max: alphabet - 1 }), { maxLength: 500 }))), ([alphabet, symbols]) => {
        const w = new ByteWriter();
        writeHuffman(w, symbols, alphabet);
        const r = new ByteReader(w.finish());
        expect([...readHuffman(r, symbols.length, alphabet, 'test')]).toEqual(symbols);
        r.expectEnd('the stream');
      }),
    );
  });

  it('limits code lengths on a Fibonacci-skewed alphabet and stays a prefix code', () => {
    const freq = [1, 1];
    while (freq.length < 40) freq.push(freq[freq.length - 1] + freq[freq.length - 2]);
    const lengths = huffmanLengths(freq);
    expect(Math.max(...lengths)).toBeLessThanOrEqual(MAX_CODE_LENGTH);
    expect(lengths.reduce((s, l) => s + 2 ** -l, 0)).toBeLessThanOrEqual(1);
    // Unlimited, the same frequencies need 39 bits.
    expect(Math.max(...huffmanLengths(freq, 64))).toBe(39);
  });
});

describe('largestAbs', () => {
  it('is the largest magnitude, 0 for an empty tensor', () => {
    expect(largestAbs(Float32Array.of(-3, 2, 0))).toBe(3);
    expect(largestAbs(Float32Array.of(-0, 0.5))).toBe(0.5);
    expect(largestAbs(new Float32Array(0))).toBe(0);
  });
});

describe('float16 conversion', () => {
  it('rounds to nearest even, keeps ±Inf and NaN, and underflows to signed zero', () => {
    expect(fromHalf(toHalf(1))).toBe(1);
    expect(fromHalf(toHalf(65504))).toBe(65504);
    expect(fromHalf(toHalf(1 + 2 ** -11))).toBe(1); // a tie: to even
    expect(fromHalf(toHalf(1 + 3 * 2 ** -11))).toBe(1 + 2 ** -9);
    expect(fromHalf(toHalf(2 ** -24))).toBe(2 ** -24);
    expect(Object.is(fromHalf(toHalf(-(2 ** -26))), -0)).toBe(true);
    expect(fromHalf(toHalf(Infinity))).toBe(Infinity);
    expect(Number.isNaN(fromHalf(toHalf(NaN)))).toBe(true);
  });
});

describe('codecs round-trip within their stated bounds', () => {
  it('float32 and huffman are bit-exact, NaN payloads, ±Inf and −0 included (sparse or not)', () => {
    fc.assert(
      fc.property(withNonFinite, fc.constantFrom('float32', 'huffman'), fc.constantFrom('auto' as const, 'never' as const, 'always' as const), (values, codec, sparse) => {
        const encoded = encodeTensor(values, { codec, sparse });
        expect(encoded.maxError).toBe(0);
        expect(bitsOf(decode(encoded, values.length))).toEqual(bitsOf(values));
      }),
    );
  });

  it('keeps NaN payloads bit for bit (float32, huffman, and both inside sparse)', () => {
    const bits = Uint32Array.of(0x7fa00001, 0, 0xffc12345, 0x3f800000, 0, 0x80000000);
    const values = new Float32Array(bits.buffer);
    for (const codec of ['float32', 'huffman']) {
      for (const sparse of ['never', 'always'] as const) {
        const encoded = encodeTensor(values, { codec, sparse });
        expect(encoded.maxError).toBe(0);
        expect(bitsOf(decode(encoded, values.length))).toEqual([...bits]);
      }
    }
  });

  it('huffman picks a palette, byte planes or the raw bits, whichever is smallest, never more bytes than float32', () => {
    const layoutOf = (values: Float32Array) => {
      const encoded = encodeTensor(values, { codec: 'huffman', sparse: 'never' });
      expect(bitsOf(decode(encoded, values.length))).toEqual(bitsOf(values));
      expect(encoded.bytes.length).toBeLessThanOrEqual(4 * values.length);
      return { layout: encoded.params.layout ?? 'palette', bytes: encoded.bytes.length };
    };
    // Trained-like weights: all distinct, small magnitudes, so the sign/exponent byte is cheap.
    const trained = Float32Array.from({ length: 20000 }, (_, i) => 0.05 * Math.sin(i * 12.9898) * Math.cos(i * 78.233));
    const planes = layoutOf(trained);
    expect(planes.layout).toBe('planes');
    expect(planes.bytes).toBeLessThan(0.9 * 4 * trained.length);
    expect(layoutOf(Float32Array.from({ length: 5000 }, (_, i) => [0.5, -0.25, 1][i % 3])).layout).toBe('palette');
    expect(layoutOf(Float32Array.of(0.1, -7, 3e9))).toEqual({ layout: 'raw', bytes: 12 });
    fc.assert(
      fc.property(fc.oneof(fc.float32Array({ maxLength: 3000 }), fc.array(fc.float({ min: -1, max: 1, noNaN: true }), { maxLength: 3000 }).map((xs) => Float32Array.from(xs))), (values) => {
        layoutOf(values);
      }),
      { numRuns: 200 },
    );
    const bad = encodeTensor(trained, { codec: 'huffman', sparse: 'never' });
    expect(() => codecs.get('huffman')!.decode(new ByteReader(bad.bytes), { layout: 'zip' }, trained.length, codecs)).toThrow('at byte 0: expected codec huffman: params.layout "palette", "planes" or "raw", got "zip"');
  });

  it('float16: error ≤ 2^-11·|x| (normal) or 2^-25 (subnormal), and beyond ±65504 is an error', () => {
    fc.assert(
      fc.property(tensor, (values) => {
        fc.pre(values.every((x) => Math.abs(x) < 65504));
        const encoded = encodeTensor(values, { codec: 'float16' });
        const decoded = decode(encoded, values.length);
        values.forEach((x, i) => expect(Math.abs(decoded[i] - x)).toBeLessThanOrEqual(Math.max(2 ** -11 * Math.abs(x), 2 ** -25)));
        expect(maxAbsError(values, decoded)).toBe(encoded.maxError);
      }),
    );
    expect(() => encodeTensor(Float32Array.of(1, 70000), { codec: 'float16' })).toThrow(new NncEncodeError('codec float16: index 1 is 70000, outside the float16 range (±65504)'));
    expect(bitsOf(decode(encodeTensor(Float32Array.of(Infinity, -Infinity), { codec: 'float16' }), 2))).toEqual(bitsOf(Float32Array.of(Infinity, -Infinity)));
  });

  it('uint8: error ≤ scale/2 with 0 exact, and non-finite input is an error naming the index', () => {
    fc.assert(
      fc.property(tensor, (values) => {
        const encoded = encodeTensor(values, { codec: 'uint8', sparse: 'never' });
        const decoded = decode(encoded, values.length);
        const scale = encoded.params.scale as number;
        const range = values.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
        const bound = scale / 2 + 2 ** -23 * (range + scale);
        values.forEach((x, i) => {
          expect(Math.abs(decoded[i] - x)).toBeLessThanOrEqual(bound);
          if (x === 0) expect(decoded[i]).toBe(0);
        });
        expect(encoded.maxError).toBeLessThanOrEqual(bound);
      }),
    );
    expect(() => encodeTensor(Float32Array.of(1, 2, NaN), { codec: 'uint8' })).toThrow('codec uint8 is lossy and takes finite values only; index 2 is NaN');
  });

  it('sparse around uint8 keeps every pruned zero exactly and the values within scale/2', () => {
    fc.assert(
      fc.property(tensor, (values) => {
        // The codec itself (encodeTensor would store a tensor this small as float32).
        const encoded = { codec: 'sparse', maxError: 0, ...codecs.get('sparse')!.encode!(values, { inner: 'uint8', innerOptions: {} }, codecs) };
        const decoded = decode(encoded, values.length);
        const scale = (encoded.params.innerParams as { scale: number }).scale;
        values.forEach((x, i) => {
          if (Object.is(x, 0)) expect(Object.is(decoded[i], 0)).toBe(true);
          else expect(Math.abs(decoded[i] - x)).toBeLessThanOrEqual(scale / 2 + 2 ** -23 * (Math.abs(x) + scale));
        });
      }),
      // Once found by a random run: the zero nudge put the grid's top past float32's range.
      { examples: [[Float32Array.of(-1.1155325282008419e32, 3.4028224522648084e38)]] },
    );
  });

  it('sparse picks runs for a mostly-zero tensor and a bitmap for a random half-zero one; auto keeps the smaller encoding', () => {
    const pruned = new Float32Array(10000);
    for (let i = 0; i < pruned.length; i += 37) pruned[i] = 1 + (i % 5);
    const encodedPruned = encodeTensor(pruned, { codec: 'float32' });
    expect(encodedPruned.codec).toBe('sparse');
    expect(encodedPruned.bytes.length).toBeLessThan(0.1 * pruned.length * 4);
    // Random half-zero: one bit per position is the entropy, which the bitmap meets exactly.
    let seed = 7;
    const halfZero = Float32Array.from({ length: 2000 }, (_, i) => ((seed = (seed * 1103515245 + 12345) >>> 0) & 0x10000 ? 0 : i + 1));
    const r = new ByteReader(encodeTensor(halfZero, { codec: 'float32', sparse: 'always' }).bytes);
    r.varint('count');
    expect(r.u8('layout')).toBe(0); // bitmap
    const dense = Float32Array.from({ length: 100 }, (_, i) => i + 1);
    expect(encodeTensor(dense, { codec: 'float32' }).codec).toBe('float32');
  });

  it('never stores a tensor larger than its float32 bytes, whatever the codec and sparse setting', () => {
    fc.assert(
      fc.property(tensor, fc.constantFrom('float16', 'uint8', 'huffman'), fc.constantFrom('auto', 'never', 'always'), (values, codec, sparse) => {
        fc.pre(codec !== 'float16' || values.every((v) => Math.abs(v) <= 65504));
        const encoded = encodeTensor(values, { codec, sparse: sparse as 'auto' | 'never' | 'always' });
        expect(encoded.bytes.length).toBeLessThanOrEqual(4 * values.length);
        const decoded = decode(encoded, values.length);
        expect(maxAbsError(values, decoded)).toBeLessThanOrEqual(encoded.maxError);
      }),
      { numRuns: 400, examples: [[Float32Array.of(0.25), 'uint8', 'never']] },
    );
  });

  it('names an unknown codec', () => {
    expect(() => encodeTensor(Float32Array.of(1), { codec: 'zip' })).toThrow(/^unknown codec "zip" \(known: float32, float16, uint8, huffman, sparse/);
  });
});

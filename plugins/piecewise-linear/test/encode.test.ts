import fc from 'fast-check';
import { ByteReader, ByteWriter, CodecRegistry, EncodedValues, encodeSymbols, encodeTensor, maxAbsError, NncFormatError, pwlCodec, readNnc, writeNnc } from '@nncompress/format';
import { encodePwl, encodePwlToSize, fitSegments, mergeShort, shareSlopes } from '@nncompress/plugin-piecewise-linear';

const decode = (encoded: EncodedValues, count: number): Float32Array => {
  const r = new ByteReader(encoded.bytes);
  const out = pwlCodec.decode(r, encoded.params, count, { get: () => undefined });
  r.expectEnd('pwl tensor');
  return out;
};

/** Weight-like tensors: roughly normal values, pruned zeros, ties, sizes 0 and 1, wide ranges. */
const tensor = fc
  .record({
    n: fc.oneof(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 3, max: 3000 })),
    scale: fc.constantFrom(1e-3, 0.05, 1, 1e4, 1e20),
    zeros: fc.double({ min: 0, max: 0.95, noNaN: true }),
    seed: fc.integer({ min: 1, max: 1 << 30 }),
  })
  .map(({ n, scale, zeros, seed }) => {
    let s = seed;
    const rand = (): number => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32);
    return Float32Array.from({ length: n }, () => {
      if (rand() < zeros) return 0;
      const g = Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
      return g * scale;
    });
  });

describe('piecewise-linear fit', () => {
  it('keeps every sorted value within p of its segment, and segments tile the ranks', () => {
    fc.assert(
      fc.property(tensor, fc.double({ min: 1e-4, max: 0.2, noNaN: true }), (values, pRel) => {
        const sorted = values.slice().sort();
        fc.pre(sorted.length > 0);
        const p = pRel * (sorted[sorted.length - 1] - sorted[0]);
        const segments = fitSegments(sorted, p);
        let next = 0;
        for (const g of segments) {
          expect(g.start).toBe(next);
          next += g.length;
          for (let t = 0; t < g.length; t++) expect(Math.abs(sorted[g.start + t] - (g.alpha + g.slope * t))).toBeLessThanOrEqual(p * (1 + 1e-9) + 1e-12 * Math.abs(sorted[g.start + t]));
        }
        expect(next).toBe(sorted.length);
        const merged = mergeShort(sorted, segments, 16);
        expect(merged.reduce((n, g) => n + g.length, 0)).toBe(sorted.length);
        if (merged.length > 1) for (const g of merged) expect(g.length).toBeGreaterThanOrEqual(16);
        const shared = shareSlopes(sorted, merged, 0.1);
        expect(shared.slopes.length).toBeLessThanOrEqual(merged.length);
      }),
      { numRuns: 150 },
    );
  });

  it('a straight line is one segment, and two lines with a kink are two', () => {
    const line = Float32Array.from({ length: 100 }, (_, i) => 0.5 * i - 3);
    expect(fitSegments(line, 1e-6)).toHaveLength(1);
    const kink = Float32Array.from({ length: 100 }, (_, i) => (i < 50 ? i : 50 + 10 * (i - 50)));
    const segments = fitSegments(kink, 1e-3);
    expect(segments.map((g) => g.length)).toEqual([51, 49]);
  });
});

describe('pwl codec', () => {
  it('error-bound mode: every decoded value is within maxError, on any tensor', () => {
    fc.assert(
      fc.property(tensor, fc.double({ min: 1e-3, max: 0.3, noNaN: true }), (values, rel) => {
        let range = 0;
        for (const x of values) range = Math.max(range, Math.abs(x));
        const maxError = Math.max(rel * range, 1e-30);
        const encoded = encodePwl(values, { maxError });
        const decoded = decode(encoded, values.length);
        expect(maxAbsError(values, decoded)).toBeLessThanOrEqual(maxError);
      }),
      { numRuns: 150 },
    );
  });

  it('default mode decodes within the fit deviation plus half a code-point step, and sizes 0 and 1 work', () => {
    fc.assert(
      fc.property(tensor, (values) => {
        const encoded = encodePwl(values, { p: 0.01, pd: 1 / 8, pm: 8, parallel: 0 });
        const decoded = decode(encoded, values.length);
        let lo = Infinity;
        let hi = -Infinity;
        for (const x of values) {
          lo = Math.min(lo, x);
          hi = Math.max(hi, x);
        }
        // Merging short segments may exceed p; the bound that always holds is the range.
        if (values.length) expect(maxAbsError(values, decoded)).toBeLessThanOrEqual(hi - lo);
      }),
      { numRuns: 100 },
    );
    expect(decode(encodePwl(new Float32Array(0)), 0)).toHaveLength(0);
    expect([...decode(encodePwl(Float32Array.of(0.75)), 1)]).toEqual([0.75]);
    expect([...decode(encodePwl(Float32Array.of(2, 2, 2)), 3)]).toEqual([2, 2, 2]);
  });

  it('rejects NaN and ±Inf and bad options with one clear line', () => {
    expect(() => encodePwl(Float32Array.of(1, NaN))).toThrow('codec pwl is lossy and takes finite values only; index 1 is NaN');
    expect(() => encodePwl(Float32Array.of(1, Infinity))).toThrow('index 1 is Infinity');
    expect(() => encodePwl(Float32Array.of(1, 2), { pd: 0 })).toThrow(/^codec pwl: options need p ≥ 0, pm ≥ 1, 0 < pd ≤ 1/);
  });

  it('size-target mode fits the target when it can, and tighter targets cost accuracy', () => {
    const values = Float32Array.from({ length: 5000 }, (_, i) => Math.sin(i * 12.9898) * Math.exp(-((i % 97) / 40)));
    const loose = encodePwlToSize(values, 3000);
    const tight = encodePwlToSize(values, 1200);
    expect(loose.bytes.length).toBeLessThanOrEqual(3000);
    expect(tight.bytes.length).toBeLessThanOrEqual(1200);
    const errLoose = maxAbsError(values, decode(loose, values.length));
    const errTight = maxAbsError(values, decode(tight, values.length));
    expect(errLoose).toBeLessThanOrEqual(loose.maxError);
    expect(errTight).toBeGreaterThan(errLoose);
  });

  it('round-trips through the container with sparse zeros, decoded by @nncompress/format alone', () => {
    const registry = new CodecRegistry();
    registry.register({ ...pwlCodec, encode: (v, o) => encodePwl(v, o) });
    const values = Float32Array.from({ length: 4000 }, (_, i) => (i % 10 ? 0 : Math.sin(i)));
    const encoded = encodeTensor(values, { codec: 'pwl', options: { maxError: 0.01 } }, registry);
    expect(encoded.codec).toBe('sparse');
    const file = writeNnc(null, [{ name: 'w', shape: [4000], ...encoded }]);
    // A reader with the built-in (decode-only) registry.
    const decoded = readNnc(file).decode('w');
    expect(maxAbsError(values, decoded)).toBeLessThanOrEqual(0.01);
    values.forEach((x, i) => x === 0 && expect(decoded[i]).toBe(0));
  });

  it('per channel: the whole tensor within maxError, and each channel within its own share of it (maxError · its largest |w| / the largest)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 9 }), fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 1 << 30 }), fc.double({ min: 1e-3, max: 0.3, noNaN: true }), fc.boolean(), (channels, rows, seed, rel, depthwise) => {
        let s = seed;
        const rand = (): number => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32);
        // Channel c spans about 10^-(c mod 4): filters of very different ranges, a few all zero.
        const values = Float32Array.from({ length: channels * rows }, (_, i) => (i % channels === 5 ? 0 : (rand() - 0.5) * 10 ** -(i % channels % 4)));
        const scales = new Float64Array(channels);
        values.forEach((v, i) => (scales[i % channels] = Math.max(scales[i % channels], Math.abs(v))));
        const largest = Math.max(...scales);
        if (largest === 0) return;
        const maxError = rel * largest;
        const shape = depthwise ? [rows, 1, channels, 1] : [rows, channels];
        const encoded = encodePwl(values, { maxError, perChannel: true }, { shape });
        expect(encoded.params.channels).toBe(channels);
        const decoded = decode(encoded, values.length);
        expect(maxAbsError(values, decoded)).toBeLessThanOrEqual(maxError);
        values.forEach((v, i) => {
          const c = i % channels;
          // The channel's share, plus float32 rounding of the scaled value and of its product with the scale.
          // (An all-zero channel's scale is 2^-126: its zeros decode within that of zero.)
          expect(Math.abs(decoded[i] - v)).toBeLessThanOrEqual(scales[c] === 0 ? 2 ** -126 : (maxError * scales[c]) / largest + 2 ** -22 * scales[c]);
        });
      }),
      { numRuns: 150 },
    );
  });

  it('per channel keeps a narrow filter beside a wide one, where one fit for the tensor flattens it', () => {
    const rows = 2000;
    const values = Float32Array.from({ length: 2 * rows }, (_, i) => Math.sin(i * 12.9898) * (i % 2 ? 0.01 : 1));
    const narrow = (decoded: Float32Array): number => Math.max(...Array.from({ length: rows }, (_, r) => Math.abs(decoded[2 * r + 1] - values[2 * r + 1])));
    const one = decode(encodePwl(values, { maxError: 0.02 }, { shape: [rows, 2] }), values.length);
    const split = decode(encodePwl(values, { maxError: 0.02, perChannel: true }, { shape: [rows, 2] }), values.length);
    // One fit: the narrow filter (|w| ≤ 0.01) is inside a single step of the bound; per channel: within 2% of its range.
    expect(narrow(one)).toBeGreaterThan(0.002);
    expect(narrow(split)).toBeLessThanOrEqual(0.0002 * 1.001);
  });

  it('refuses a per-channel stream with a bad scale or channel count, naming the byte, and clamps a crafted scale to finite values', () => {
    const encoded = encodePwl(Float32Array.of(1, 0.01, -1, -0.01), { maxError: 0.001, perChannel: true }, { shape: [2, 2] });
    const broken = encoded.bytes.slice();
    new DataView(broken.buffer).setFloat32(4, 0, true);
    expect(() => decode({ ...encoded, bytes: broken }, 4)).toThrow(/^at byte 4: expected pwl: a finite channel scale > 0, got 0/);
    expect(() => decode({ ...encoded, params: { ...encoded.params, channels: 3 } }, 4)).toThrow(/params.channels, a whole number dividing 4, got 3/);
    // Crafted by hand: scale 3e38, one segment of one code point at 2: the product passes float32's range and decodes clamped, not as Inf.
    const symbols = encodeSymbols([0], 1);
    const crafted = new ByteWriter().f32(3e38).varint(1).varint(1).f32(0).f32(2).varint(0).varint(1).varint(0).bytes(symbols.bytes).finish();
    const params = { channels: 1, ...(symbols.coding === 'rans' ? { entropy: 'rans' } : {}) };
    expect([...decode({ params, bytes: crafted }, 1)]).toEqual([Math.fround(3.4028234663852886e38)]);
  });

  it('per channel, corrupted anywhere: decodes to finite values or throws NncFormatError naming a byte', () => {
    const values = Float32Array.from({ length: 600 }, (_, i) => Math.sin(i * 1.7) * 10 ** -(i % 3));
    const encoded = encodePwl(values, { maxError: 0.001, perChannel: true }, { shape: [200, 3] });
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), fc.integer({ min: -8, max: 0 }), (edits, cut) => {
        const bytes = encoded.bytes.slice(0, encoded.bytes.length + cut);
        for (const [at, v] of edits) bytes[at % bytes.length] = v;
        try {
          expect(decode({ ...encoded, bytes }, values.length).every(Number.isFinite)).toBe(true);
        } catch (err) {
          expect(err).toBeInstanceOf(NncFormatError);
          expect((err as Error).message).toMatch(/^at byte \d+: expected .+/);
        }
      }),
      { numRuns: 500 },
    );
  });
});


/**
 * rANS (static multi-symbol and model-driven binary), the context-modelled masks built on it,
 * the codebook codec and `auto`: round trips, sizes against the entropy they approach, and
 * corrupt streams refused with the byte named.
 */
import fc from 'fast-check';
import {
  AdaptiveBits,
  AUTO_CODEC,
  ByteReader,
  ByteWriter,
  codecs,
  encodeTensor,
  encodeWeights,
  huffmanSize,
  maskModelBits,
  NncEncodeError,
  NncFormatError,
  PROB_BITS,
  RANS_SCALE_BITS,
  RansBitDecoder,
  RansBitEncoder,
  ransFrequencies,
  readContextMask,
  readRans,
  writeContextMask,
  writeRans,
  encodeSymbols,
  fromHalf,
  toHalf,
  zeroRunSymbols,
} from '../src';

/** A seeded linear congruential stream in [0, 1). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

/** Order-0 entropy of the symbols, in bytes. */
function entropyBytes(symbols: ArrayLike<number>): number {
  const counts = new Map<number, number>();
  for (let i = 0; i < symbols.length; i++) counts.set(symbols[i], (counts.get(symbols[i]) ?? 0) + 1);
  let bits = 0;
  for (const c of counts.values()) bits -= c * Math.log2(c / symbols.length);
  return bits / 8;
}

function ransBytes(symbols: ArrayLike<number>, alphabet: number): Uint8Array {
  const w = new ByteWriter();
  expect(writeRans(w, symbols, alphabet)).toBe(true);
  return w.finish();
}

const bitsOf = (a: Float32Array): number[] => [...new Uint32Array(a.buffer, a.byteOffset, a.length)];

describe('static rANS', () => {
  it('normalises counts to frequencies summing to 2^12, every present symbol at least 1, absent ones 0', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constant(0), fc.nat(5), fc.nat(100000)), { minLength: 1, maxLength: 400 }), (counts) => {
        const freq = ransFrequencies(counts)!;
        const sum = freq.reduce((a, b) => a + b, 0);
        if (counts.every((c) => c === 0)) expect(sum).toBe(0);
        else expect(sum).toBe(2 ** RANS_SCALE_BITS);
        counts.forEach((c, s) => (c === 0 ? expect(freq[s]).toBe(0) : expect(freq[s]).toBeGreaterThanOrEqual(1)));
      }),
    );
    expect(ransFrequencies(new Array(2 ** RANS_SCALE_BITS + 1).fill(1))).toBeUndefined();
  });

  it('round-trips any symbol sequence', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 600 }).chain((alphabet) => fc.tuple(fc.constant(alphabet), fc.array(fc.nat(alphabet - 1), { maxLength: 3000 }))), ([alphabet, symbols]) => {
        const bytes = ransBytes(symbols, alphabet);
        const r = new ByteReader(bytes);
        expect([...readRans(r, symbols.length, alphabet, 'test')]).toEqual(symbols);
        r.expectEnd('the stream');
      }),
      { numRuns: 200 },
    );
  });

  it('comes within a few bytes of the entropy on a skewed source, where Huffman spends a bit a symbol', () => {
    const next = lcg(3);
    // 96% one symbol: entropy ≈ 0.3 bits a symbol, Huffman ≥ 1.
    const symbols = Uint32Array.from({ length: 20000 }, () => (next() < 0.96 ? 0 : 1 + Math.floor(next() * 6)));
    const bytes = ransBytes(symbols, 7);
    const table = 1 + 7 * 3;
    expect(bytes.length).toBeLessThanOrEqual(entropyBytes(symbols) * 1.01 + table + 8);
    expect(bytes.length).toBeLessThan(0.5 * huffmanSize(symbols, 7));
    expect(encodeSymbols(symbols, 7).coding).toBe('rans');
    // Uniform over 8: Huffman's 3 bits are the entropy, and its smaller table wins.
    const uniform = Uint32Array.from({ length: 4000 }, () => Math.floor(next() * 8));
    expect(encodeSymbols(uniform, 8).coding).toBe('huffman');
  });

  it('refuses a corrupt stream with a located format error, or decodes valid symbols', () => {
    const next = lcg(11);
    const symbols = Uint32Array.from({ length: 500 }, () => (next() < 0.8 ? 2 : Math.floor(next() * 9)));
    const good = ransBytes(symbols, 9);
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 3 }), fc.integer({ min: -6, max: 0 }), (edits, cut) => {
        const bytes = good.slice(0, good.length + cut);
        for (const [pos, v] of edits) bytes[pos % bytes.length] = v;
        try {
          const out = readRans(new ByteReader(bytes, 100), symbols.length, 9, 'codes');
          expect(out.every((s) => s < 9)).toBe(true);
        } catch (err) {
          expect(err).toBeInstanceOf(NncFormatError);
          expect((err as Error).message).toMatch(/^at byte \d+: expected codes: /);
        }
      }),
      { numRuns: 500 },
    );
    // Cut short: the decoder runs out and says so.
    expect(() => readRans(new ByteReader(good.slice(0, good.length - 1)), symbols.length, 9, 'codes')).toThrow(NncFormatError);
  });
});

describe('binary rANS under a model', () => {
  it('round-trips bits with any probabilities and costs at most a few bytes over −Σ log2 p', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 1, max: 2 ** PROB_BITS - 1 })), { maxLength: 2000 }), (pairs) => {
        const encoder = new RansBitEncoder();
        let ideal = 0;
        for (const [bit, p] of pairs) {
          encoder.add(bit ? 1 : 0, p);
          ideal -= Math.log2((bit ? p : 2 ** PROB_BITS - p) / 2 ** PROB_BITS);
        }
        const w = new ByteWriter();
        encoder.finish(w);
        const bytes = w.finish();
        const decoder = new RansBitDecoder(new ByteReader(bytes), 'bits');
        for (const [bit, p] of pairs) expect(decoder.bit(p)).toBe(bit ? 1 : 0);
        decoder.end();
        // The stream's own length prefix, the 4-byte final state, and rounding.
        expect(bytes.length).toBeLessThanOrEqual(Math.ceil(ideal / 8) + 8);
      }),
      { numRuns: 200 },
    );
  });

  it('learns a context: its probability moves towards the bits it sees, never to 0 or 1', () => {
    const model = new AdaptiveBits(2);
    for (let i = 0; i < 1000; i++) model.update(0, 1);
    for (let i = 0; i < 1000; i++) model.update(1, 0);
    expect(model.p[0]).toBeGreaterThan(0.99 * 2 ** PROB_BITS);
    expect(model.p[0]).toBeLessThan(2 ** PROB_BITS);
    expect(model.p[1]).toBeLessThan(0.01 * 2 ** PROB_BITS);
    expect(model.p[1]).toBeGreaterThan(0);
  });
});

describe('context-modelled masks', () => {
  const mask = fc
    .tuple(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 0, max: 40 }), fc.double({ min: 0, max: 1, noNaN: true }), fc.nat())
    .map(([columns, rows, density, seed]) => {
      const next = lcg(seed);
      return { columns, keep: Uint8Array.from({ length: rows * columns }, () => (next() < density ? 1 : 0)) };
    });

  it('round-trips any mask and stays within a few bytes of the cost its model assigns', () => {
    fc.assert(
      fc.property(mask, ({ columns, keep }) => {
        const w = new ByteWriter();
        writeContextMask(w, keep, columns);
        const bytes = w.finish();
        const r = new ByteReader(bytes);
        expect([...readContextMask(r, keep.length, 'mask')]).toEqual([...keep]);
        r.expectEnd('the mask');
        expect(bytes.length).toBeLessThanOrEqual(Math.ceil(maskModelBits(keep, columns) / 8) + 8);
      }),
      { numRuns: 200 },
    );
  });

  it('beats Huffman-coded zero runs on a mask with dead rows and columns (a pruned layer)', () => {
    const next = lcg(5);
    const rows = 400;
    const columns = 120;
    const liveRow = Array.from({ length: rows }, () => next() < 0.4);
    const liveColumn = Array.from({ length: columns }, () => next() < 0.5);
    const keep = Uint8Array.from({ length: rows * columns }, (_, i) => (liveRow[Math.floor(i / columns)] && liveColumn[i % columns] && next() < 0.3 ? 1 : 0));
    const runs = zeroRunSymbols(keep);
    const w = new ByteWriter();
    writeContextMask(w, keep, columns);
    expect(w.length).toBeLessThan(0.75 * huffmanSize(runs, 256));
    // And the sparse codec picks it, given the shape.
    const values = Float32Array.from(keep, (k, i) => (k ? 1 + (i % 3) : 0));
    const encoded = encodeTensor(values, { codec: 'codebook', shape: [rows, columns] });
    expect(encoded.codec).toBe('sparse');
    const r = new ByteReader(encoded.bytes);
    r.varint('count');
    expect(r.u8('layout')).toBe(2);
    expect(bitsOf(codecs.get('sparse')!.decode(new ByteReader(encoded.bytes), encoded.params, values.length, codecs))).toEqual(bitsOf(values));
  });

  it('refuses a column count that does not divide the tensor, and a corrupt stream, naming the byte', () => {
    const w = new ByteWriter();
    writeContextMask(w, Uint8Array.of(1, 0, 0, 1, 0, 1), 3);
    const bytes = w.finish();
    expect(() => readContextMask(new ByteReader(bytes, 40), 7, 'positions')).toThrow(/^at byte 40: expected positions: a column count that divides 7, got 3/);
    const broken = bytes.slice();
    broken[broken.length - 1] ^= 0xff;
    expect(() => readContextMask(new ByteReader(broken), 6, 'positions')).toThrow(NncFormatError);
  });
});

describe('codebook codec', () => {
  const shared = fc
    .tuple(fc.array(fc.float({ noNaN: false }), { minLength: 1, maxLength: 40 }), fc.array(fc.nat(), { maxLength: 3000 }))
    .map(([entries, picks]) => Float32Array.from(picks, (k) => entries[k % entries.length]));

  it('round-trips any tensor bit for bit (NaN payloads, −0, ±Inf included), and its stated error is 0', () => {
    fc.assert(
      fc.property(shared, fc.constantFrom('auto' as const, 'never' as const, 'always' as const), (values, sparse) => {
        const encoded = encodeTensor(values, { codec: 'codebook', sparse });
        expect(encoded.maxError).toBe(0);
        const out = codecs.get(encoded.codec)!.decode(new ByteReader(encoded.bytes), encoded.params, values.length, codecs);
        expect(bitsOf(out)).toEqual(bitsOf(values));
      }),
      { numRuns: 200 },
    );
  });

  it('stores 16 clusters with one dominant in fewer bits a weight than a palette with Huffman indices', () => {
    const next = lcg(9);
    const entries = Float32Array.from({ length: 16 }, (_, i) => (i - 7.5) / 40);
    const values = Float32Array.from({ length: 50000 }, () => entries[next() < 0.7 ? 7 : Math.floor(next() * 16)]);
    const codebook = encodeTensor(values, { codec: 'codebook', sparse: 'never' });
    const huffman = encodeTensor(values, { codec: 'huffman', sparse: 'never' });
    expect(codebook.bytes.length).toBeLessThan(huffman.bytes.length);
    expect((8 * codebook.bytes.length) / values.length).toBeLessThan(2.2);
  });

  /** A kernel shared per output channel: `channels` filters, each with its own few values at its own scale. */
  const perChannel = fc
    .tuple(fc.integer({ min: 2, max: 12 }), fc.integer({ min: 1, max: 60 }), fc.integer({ min: 1, max: 16 }), fc.integer({ min: 0, max: 2 ** 31 }), fc.boolean())
    .map(([channels, rows, k, seed, depthwise]) => {
      const next = lcg(seed);
      const entries = Array.from({ length: channels }, (_, c) => Array.from({ length: k }, () => Math.fround((next() - 0.5) * 10 ** (c % 4))));
      const values = Float32Array.from({ length: channels * rows }, (_, i) => entries[i % channels][Math.floor(next() * k)]);
      return { values, shape: depthwise ? [1, rows, channels, 1] : [rows, channels] };
    });

  it('with the shape, keeps the smaller of one codebook and one per output channel, and round-trips either bit for bit', () => {
    fc.assert(
      fc.property(perChannel, ({ values, shape }) => {
        const withShape = encodeTensor(values, { codec: 'codebook', sparse: 'never', shape });
        const whole = encodeTensor(values, { codec: 'codebook', sparse: 'never' });
        expect(whole.params.channels).toBeUndefined();
        expect(withShape.bytes.length).toBeLessThanOrEqual(whole.bytes.length);
        if (withShape.params.channels !== undefined) expect(withShape.params.channels).toBe(shape[shape.length - 1] === 1 ? shape[shape.length - 2] : shape[shape.length - 1]);
        const out = codecs.get(withShape.codec)!.decode(new ByteReader(withShape.bytes), withShape.params, values.length, codecs);
        expect(bitsOf(out)).toEqual(bitsOf(values));
      }),
      { numRuns: 200 },
    );
  });

  it('stores 64 filters of 16 values each (1,024 over the tensor) per channel, in well under the bytes of one codebook', () => {
    const next = lcg(4);
    const channels = 64;
    const entries = Array.from({ length: channels }, (_, c) => Float32Array.from({ length: 16 }, (_, j) => ((j - 7.5) / 8) * 1.1 ** c));
    const values = Float32Array.from({ length: channels * 512 }, (_, i) => entries[i % channels][Math.floor(next() * 16)]);
    const split = encodeTensor(values, { codec: 'codebook', sparse: 'never', shape: [512, channels] });
    const whole = encodeTensor(values, { codec: 'codebook', sparse: 'never' });
    expect(split.params.channels).toBe(channels);
    // Per channel: 64 × 16 entries of 4 bytes and 4 bits an index (20,480 bytes); one codebook: 1,024 entries and 10 bits an index (45,056).
    expect(split.bytes.length).toBeLessThan(21000);
    expect(whole.bytes.length).toBeGreaterThan(40000);
  });

  it('refuses a per-channel stream whose index passes its channel\'s codebook, or whose channel count does not divide the values, naming it', () => {
    const symbols = encodeSymbols([1, 1], 2);
    const w = new ByteWriter().varint(1).u32(0x3f800000).varint(2).u32(0x40000000).u32(0x40400000).u8(symbols.coding === 'rans' ? 1 : 0).bytes(symbols.bytes);
    const bytes = w.finish();
    const decode = (params: { channels: number }, count: number): Float32Array => codecs.get('codebook')!.decode(new ByteReader(bytes), params, count, codecs);
    expect(() => decode({ channels: 2 }, 2)).toThrow(NncFormatError);
    expect(() => decode({ channels: 2 }, 2)).toThrow(/index of value 0 below channel 0's 1 entries, got 1/);
    expect(() => decode({ channels: 3 }, 2)).toThrow(/params.channels, a whole number dividing 2, got 3/);
  });

  /** Values drawn from float16 numbers (−0, ±Inf and NaN among them): what weight sharing with float16 entries leaves. */
  const halfShared = fc
    .tuple(fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 1, maxLength: 40 }), fc.array(fc.nat(), { maxLength: 3000 }), fc.integer({ min: 1, max: 6 }))
    .map(([halves, picks, channels]) => ({ values: Float32Array.from(picks.slice(0, picks.length - (picks.length % channels)), (k) => fromHalf(halves[k % halves.length])), channels }));

  it('stores entries that are all float16 numbers in 16 bits, and round-trips them bit for bit', () => {
    fc.assert(
      fc.property(halfShared, ({ values, channels }) => {
        const encoded = encodeTensor(values, { codec: 'codebook', sparse: 'never', shape: [values.length / channels, channels] });
        if (encoded.codec === 'codebook') expect(encoded.params.entryBits).toBe(16);
        const out = codecs.get(encoded.codec)!.decode(new ByteReader(encoded.bytes), encoded.params, values.length, codecs);
        expect(bitsOf(out)).toEqual(bitsOf(values));
      }),
      { numRuns: 200 },
    );
  });

  it('saves exactly two bytes an entry when the entries are float16 numbers, in one codebook and per channel', () => {
    const next = lcg(5);
    const channels = 32;
    const exact = Array.from({ length: channels }, (_, c) => Float32Array.from({ length: 8 }, (_, j) => fromHalf(toHalf(((j - 3.5) / 8) * 1.3 ** c))));
    const values = Float32Array.from({ length: channels * 256 }, (_, i) => exact[i % channels][Math.floor(next() * 8)]);
    // The same tensor one float32 ulp off float16's grid: every bit pattern + 1 keeps the
    // entries distinct and in the same order, so only the entries' width differs.
    const offGrid = new Float32Array(Uint32Array.from(new Uint32Array(values.buffer), (b) => b + 1).buffer);
    for (const shape of [undefined, [256, channels]]) {
      const half = encodeTensor(values, { codec: 'codebook', sparse: 'never', shape });
      const full = encodeTensor(offGrid, { codec: 'codebook', sparse: 'never', shape });
      expect(half.params.entryBits).toBe(16);
      expect(full.params.entryBits).toBeUndefined();
      expect(half.params.channels).toBe(full.params.channels);
      const entries = half.params.channels !== undefined ? channels * 8 : new Set(values).size;
      expect(full.bytes.length - half.bytes.length).toBe(2 * entries);
    }
  });

  it('refuses an entry width other than 16 or 32 bits, naming it', () => {
    const bytes = new ByteWriter().varint(1).u16(0x3c00).u8(0).finish();
    expect(() => codecs.get('codebook')!.decode(new ByteReader(bytes), { entryBits: 8 }, 1, codecs)).toThrow(/params.entryBits 16 \(or absent: 32\), got 8/);
  });

  it('refuses more distinct values than a codebook holds, with the count', () => {
    const values = Float32Array.from({ length: 70000 }, (_, i) => i);
    expect(() => encodeTensor(values, { codec: 'codebook', sparse: 'never' })).toThrow(NncEncodeError);
    expect(() => encodeTensor(values, { codec: 'codebook', sparse: 'never' })).toThrow(/70000 distinct values, more than 65536/);
  });
});

describe('auto', () => {
  const tensor = fc
    .tuple(fc.array(fc.float({ min: -2, max: 2, noNaN: true }), { minLength: 1, maxLength: 12 }), fc.array(fc.oneof(fc.constant(-1), fc.nat()), { maxLength: 800 }), fc.constantFrom(true, false))
    .map(([entries, picks, few]) => Float32Array.from(picks, (k, i) => (k < 0 ? 0 : few ? entries[k % entries.length] : Math.fround(Math.sin(i + k)))));

  it('is lossless without a bound and never larger than any single lossless codec, float32 included', () => {
    fc.assert(
      fc.property(tensor, (values) => {
        const chosen = encodeWeights(values, { codec: AUTO_CODEC });
        expect(chosen.maxError).toBe(0);
        const out = codecs.get(chosen.codec)!.decode(new ByteReader(chosen.bytes), chosen.params, values.length, codecs);
        expect(bitsOf(out)).toEqual(bitsOf(values));
        for (const id of ['float32', 'huffman', 'codebook']) {
          let single: number;
          try {
            single = encodeWeights(values, { codec: id }).bytes.length;
          } catch {
            continue;
          }
          expect(chosen.bytes.length).toBeLessThanOrEqual(single);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('with a bound, keeps to it and is no larger than uint8 when uint8 is within it', () => {
    fc.assert(
      fc.property(tensor, fc.double({ min: 1e-4, max: 0.5, noNaN: true }), (values, bound) => {
        const chosen = encodeWeights(values, { codec: AUTO_CODEC, maxError: bound });
        expect(chosen.maxError).toBeLessThanOrEqual(bound);
        const uint8 = encodeWeights(values, { codec: 'uint8' });
        if (uint8.maxError <= bound) expect(chosen.bytes.length).toBeLessThanOrEqual(uint8.bytes.length);
      }),
      { numRuns: 100 },
    );
  });

  it('refuses options, a size target and two bounds, naming the key', () => {
    expect(() => encodeWeights(Float32Array.of(1), { codec: AUTO_CODEC, bitsPerWeight: 2 })).toThrow(/^bitsPerWeight: a size target needs one codec/);
    expect(() => encodeWeights(Float32Array.of(1), { codec: AUTO_CODEC, options: { p: 1 } })).toThrow(/^options: auto tries every codec/);
    expect(() => encodeWeights(Float32Array.of(1), { codec: AUTO_CODEC, maxError: 1, relativeError: 0.1 })).toThrow(/^relativeError: maxError and relativeError are alternatives/);
  });
});

describe('uint8 with per-channel scales', () => {
  const decodeWith = (encoded: ReturnType<typeof encodeTensor>, count: number): Float32Array => {
    const r = new ByteReader(encoded.bytes);
    const out = codecs.get(encoded.codec)!.decode(r, encoded.params, count, codecs);
    r.expectEnd('the tensor');
    return out;
  };

  it('keeps each channel within half its own step, where one grid for the tensor loses the narrow channel', () => {
    // Two output channels (the last axis): one spans ±0.01, the other ±10.
    const values = Float32Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? 0.01 : 10) * Math.sin(i));
    const perChannel = encodeTensor(values, { codec: 'uint8', sparse: 'never', shape: [100, 2], options: { perChannel: true } });
    const perTensor = encodeTensor(values, { codec: 'uint8', sparse: 'never', shape: [100, 2] });
    expect(perChannel.params).toEqual({ channels: 2 });
    const decoded = decodeWith(perChannel, values.length);
    for (let i = 0; i < values.length; i += 2) expect(Math.abs(decoded[i] - values[i])).toBeLessThanOrEqual((0.02 / 255 / 2) * 1.01 + 1e-9);
    // The narrow channel under one grid: every value rounds to the zero step.
    const coarse = decodeWith(perTensor, values.length);
    expect(Math.max(...Array.from({ length: 100 }, (_, k) => Math.abs(coarse[2 * k] - values[2 * k])))).toBeGreaterThan(0.005);
  });

  it('on any tensor: within each channel\'s scale/2, channels from the last axis (the one before for a depthwise kernel)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 30 }), fc.boolean(), fc.nat(), (channels, rows, depthwise, seed) => {
        const next = lcg(seed);
        const spread = Array.from({ length: channels }, () => 10 ** (4 * next() - 2));
        const values = Float32Array.from({ length: rows * channels }, (_, i) => spread[i % channels] * (2 * next() - 1));
        const shape = depthwise ? [rows, channels, 1] : [rows, channels];
        const encoded = encodeTensor(values, { codec: 'uint8', sparse: 'never', shape, options: { perChannel: true } });
        const decoded = decodeWith(encoded, values.length);
        for (let c = 0; c < channels; c++) {
          let lo = Infinity;
          let hi = -Infinity;
          for (let i = c; i < values.length; i += channels) [lo, hi] = [Math.min(lo, values[i]), Math.max(hi, values[i])];
          const step = hi > lo ? (hi - lo) / 255 : 0;
          for (let i = c; i < values.length; i += channels) expect(Math.abs(decoded[i] - values[i])).toBeLessThanOrEqual(step * 0.5001 + Math.abs(values[i]) * 1e-6 + 1e-12);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('refuses a channel count that does not divide the tensor, and a bad scale, naming the byte', () => {
    const values = Float32Array.from({ length: 40 }, (_, i) => i);
    const encoded = encodeTensor(values, { codec: 'uint8', sparse: 'never', shape: [20, 2], options: { perChannel: true } });
    expect(encoded.params).toEqual({ channels: 2 });
    expect(() => codecs.get('uint8')!.decode(new ByteReader(encoded.bytes, 30), { channels: 3 }, 40, codecs)).toThrow(/^at byte 30: expected codec uint8: params.channels, a whole number dividing 40, got 3/);
    const broken = encoded.bytes.slice();
    new DataView(broken.buffer).setFloat32(4, -1, true);
    expect(() => codecs.get('uint8')!.decode(new ByteReader(broken, 30), encoded.params, 40, codecs)).toThrow(/^at byte 30: expected uint8: a finite channel min and a finite scale > 0/);
  });
});

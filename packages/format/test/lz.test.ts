import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { ByteReader, ByteWriter, huffmanSize, NncFormatError } from '../src';
import { readLz, writeLz } from '../src/lz';

const encode = (data: Uint8Array): Uint8Array => {
  const w = new ByteWriter();
  writeLz(w, data);
  return w.finish();
};
const decode = (bytes: Uint8Array, max = 1 << 28): Uint8Array => {
  const r = new ByteReader(bytes);
  const out = readLz(r, max, 'test');
  r.expectEnd('the LZ stream');
  return out;
};

/** Byte strings with long repeats, at near and far distances, and runs of one byte. */
const repetitive = fc
  .array(
    fc.oneof(
      fc.uint8Array({ minLength: 1, maxLength: 20 }),
      fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 1, max: 600 })).map(([b, n]) => new Uint8Array(n).fill(b)),
      fc.constantFrom('{"class_name":"Dense","config":{"units":', ',"activation":"relu","use_bias":true}', '"kernel_initializer":{"class_name":"VarianceScaling"').map((s) => new TextEncoder().encode(s)),
    ),
    { maxLength: 60 },
  )
  .map((parts) => Uint8Array.from(parts.flatMap((p) => [...p])));

describe('LZ coding of the header', () => {
  it('round-trips any bytes, random or repetitive, exactly', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 3000 }), repetitive), (data) => {
        expect([...decode(encode(data))]).toEqual([...data]);
      }),
      { numRuns: 500 },
    );
  });

  it('round-trips matches at the window edge and of the longest length', () => {
    const block = Uint8Array.from({ length: 1000 }, (_, i) => (i * 7919) % 251);
    const far = new Uint8Array(32768 + 2000);
    far.set(block, 0);
    far.set(block, 32768); // exactly the window back
    const runs = new Uint8Array(5000).fill(65);
    for (const data of [far, runs, new Uint8Array(0), Uint8Array.of(1), Uint8Array.of(1, 1, 1, 1)]) expect([...decode(encode(data))]).toEqual([...data]);
    // 5,000 equal bytes are a literal and 20 matches of 258 bytes: little beyond the code tables.
    expect(encode(runs).length).toBeLessThan(64);
  });

  it('stores a real model topology in well under half of what Huffman coding alone takes', () => {
    const json = new TextEncoder().encode(JSON.stringify(JSON.parse(fs.readFileSync(path.join(__dirname, '../../../examples/mnist-lenet/models/lenet-5/model.json'), 'utf8')).modelTopology));
    expect(encode(json).length).toBeLessThan(0.5 * huffmanSize(json, 256));
  });

  it('3,000 corrupted or truncated streams give located errors, never a crash or a hang', () => {
    const sample = encode(new TextEncoder().encode(JSON.stringify({ layers: Array.from({ length: 30 }, (_, i) => ({ name: `dense_${i}`, units: 10 * i, activation: 'relu' })) })));
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(sample.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }), fc.nat(sample.length), (edits, keep) => {
        const bad = sample.slice(0, keep);
        for (const [at, v] of edits) if (at < bad.length) bad[at] = v;
        let thrown: unknown;
        let out: Uint8Array | undefined;
        try {
          out = decode(bad, 100_000);
        } catch (err) {
          thrown = err;
        }
        if (thrown === undefined) {
          // A stream that still decodes was not cut: whole, with at most literal bytes changed.
          expect(keep).toBe(sample.length);
          expect(out).toBeInstanceOf(Uint8Array);
          return;
        }
        expect(thrown).toBeInstanceOf(NncFormatError);
        expect((thrown as Error).message).toMatch(/^at byte \d+: expected .+/);
      }),
      { numRuns: 3000 },
    );
    expect(() => decode(sample.subarray(0, 5))).toThrow(/^at byte \d+: expected /);
    // A decoded length beyond the caller's limit is refused before anything is allocated.
    expect(() => decode(sample, 10)).toThrow(/^at byte 0: expected test: decoded length ≤ 10, got \d+$/);
  });
});

/**
 * Generated hostile containers: valid files mutated field by field with their checksums
 * recomputed (so the mutation reaches the decoders), bombs of every codec (huge declared
 * shapes over tiny payloads), overlapping windows and trailing bytes. Whatever the file, a
 * reader either decodes every tensor to its declared count within the stated limit, or
 * throws the format's own error class; nothing else. `npm test` runs a fixed-seed subset;
 * `npm run test:explore` runs FUZZ_CASES (100,000) with random seeds.
 *
 * Time and memory are measured, not asserted (tests here never assert a time): with
 * FUZZ_REPORT set to a path, the suite writes the slowest case and the peak resident memory
 * there, and test:explore prints them against the bounds docs/security.md states.
 */
import * as fs from 'node:fs';
import fc from 'fast-check';
import { crc32, encodeTensor, NncFormatError, readNnc, writeNnc } from '../src';

/** The limit the fuzzed files are read under: small, so an accepted bomb cannot take the machine. */
const LIMIT = 1 << 24;
const CASES = Number(process.env.FUZZ_CASES ?? 3000);

interface Entry {
  name: unknown;
  shape: unknown;
  dtype: unknown;
  codec: unknown;
  params: unknown;
  offset: unknown;
  length: unknown;
  crc32: unknown;
  maxError: unknown;
}

/** A file from a header object and payload bytes, with a plain header and its checksum. */
function build(header: { model: unknown; tensors: Entry[] }, payload: Uint8Array): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(16 + json.length + payload.length);
  out.set([0x4e, 0x4e, 0x43, 0x46]);
  const view = new DataView(out.buffer);
  view.setUint16(4, 1, true);
  view.setUint16(6, 0, true);
  view.setUint32(8, json.length, true);
  view.setUint32(12, crc32(json), true);
  out.set(json, 16);
  out.set(payload, 16 + json.length);
  return out;
}

const values = fc
  .oneof(
    fc.array(fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 4, arbitrary: fc.float({ min: -4, max: 4, noNaN: true }) }, { weight: 1, arbitrary: fc.constantFrom(0.5, -0.25, 1) }), { maxLength: 120 }),
    // Skewed: few distinct values, one dominant, so rANS and the context-modelled positions are chosen.
    fc.array(fc.oneof({ weight: 40, arbitrary: fc.constant(0) }, { weight: 6, arbitrary: fc.constant(0.5) }, { weight: 1, arbitrary: fc.constantFrom(-0.25, 1, 2) }), { minLength: 200, maxLength: 600 }),
    // Shared per channel (4 channels of 3 values each, their own): stored as 4 codebooks (the shape below says 4 channels).
    fc.array(fc.tuple(fc.nat(2), fc.nat(2), fc.nat(2), fc.nat(2)), { minLength: 50, maxLength: 150 }).map((rows) => rows.flatMap((row) => row.map((k, c) => (k + 1) * 10 ** -c))),
  )
  .map((xs) => Float32Array.from(xs));
/** Four channels on the last axis when the count allows, so per-channel layouts are written and fuzzed too. */
const shapeOf = (v: Float32Array): number[] => (v.length >= 8 && v.length % 4 === 0 ? [v.length / 4, 4] : [v.length]);
const codec = fc.constantFrom('float32', 'float16', 'uint8', 'huffman', 'codebook');
const sparse = fc.constantFrom('auto' as const, 'never' as const, 'always' as const);

/** A valid file's parts: its tensors' entries and payloads. */
const validParts = fc.array(fc.tuple(values, codec, sparse), { minLength: 1, maxLength: 4 }).map((specs) => {
  const encoded = specs.map(([v, c, s], i) => ({ name: `t${i}`, shape: shapeOf(v), ...encodeTensor(v, { codec: c, sparse: s, shape: shapeOf(v), options: c === 'uint8' ? { perChannel: true } : {} }) }));
  const file = readNnc(writeNnc(null, encoded));
  return { entries: file.header.tensors.map((e) => ({ ...e }) as Entry), payloads: encoded.map((t) => t.bytes) };
});

const anyJson = fc.jsonValue({ maxDepth: 2 });
const hugeShape: fc.Arbitrary<number[]> = fc.oneof(
  fc.constant(2 ** 28).map((n) => [n]),
  fc.tuple(fc.integer({ min: 1, max: 2 ** 14 }), fc.integer({ min: 1, max: 2 ** 14 })).map(([a, b]) => [a, b]),
  fc.array(fc.integer({ min: -2, max: 2 ** 20 }), { maxLength: 4 }),
);

type Mutation =
  | { kind: 'field'; index: number; field: keyof Entry; value: unknown }
  | { kind: 'shape'; index: number; shape: number[] }
  | { kind: 'payload'; index: number; edits: [number, number][]; cut: number }
  | { kind: 'overlap'; index: number }
  | { kind: 'trailing'; bytes: Uint8Array };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('field' as const), index: fc.nat(3), field: fc.constantFrom<(keyof Entry)[]>('name', 'shape', 'dtype', 'codec', 'params', 'offset', 'length', 'maxError'), value: anyJson.map((v): unknown => v) }),
  fc.record({ kind: fc.constant('shape' as const), index: fc.nat(3), shape: hugeShape }),
  fc.record({ kind: fc.constant('payload' as const), index: fc.nat(3), edits: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), cut: fc.integer({ min: -3, max: 3 }) }),
  fc.record({ kind: fc.constant('overlap' as const), index: fc.nat(3) }),
  fc.record({ kind: fc.constant('trailing' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
);

/** Applies a mutation to a valid file's parts and rebuilds the file with every checksum recomputed. */
function mutate(parts: { entries: Entry[]; payloads: Uint8Array[] }, m: Mutation): Uint8Array {
  const entries = parts.entries.map((e) => ({ ...e }));
  const payloads = parts.payloads.map((p) => p.slice());
  const i = 'index' in m ? m.index % entries.length : 0;
  if (m.kind === 'field') (entries[i] as unknown as Record<string, unknown>)[m.field] = m.value;
  if (m.kind === 'shape') entries[i].shape = m.shape;
  if (m.kind === 'payload') {
    let bytes = payloads[i];
    if (m.cut < 0) bytes = bytes.slice(0, Math.max(0, bytes.length + m.cut));
    if (m.cut > 0) bytes = Uint8Array.from([...bytes, ...new Uint8Array(m.cut)]);
    for (const [pos, v] of m.edits) if (bytes.length) bytes[pos % bytes.length] = v;
    payloads[i] = bytes;
  }
  // Offsets, lengths and checksums follow the payloads, unless the mutation set them on purpose.
  let offset = 0;
  entries.forEach((e, j) => {
    const keep = m.kind === 'field' && j === i ? m.field : undefined;
    if (keep !== 'offset') e.offset = offset;
    if (keep !== 'length') e.length = payloads[j].length;
    e.crc32 = crc32(payloads[j]);
    offset += payloads[j].length;
  });
  if (m.kind === 'overlap' && entries.length > 1) entries[entries.length - 1].offset = 0;
  const payload = Uint8Array.from(payloads.flatMap((p) => [...p]));
  const file = build({ model: null, tensors: entries }, payload);
  return m.kind === 'trailing' ? Uint8Array.from([...file, ...m.bytes]) : file;
}

/** Reads the whole file; the values decoded, or the error. */
function readAll(bytes: Uint8Array): { decoded: number } | { error: unknown } {
  try {
    const file = readNnc(bytes, undefined, { maxDecodedBytes: LIMIT });
    let decoded = 0;
    for (const e of file.header.tensors) {
      const v = file.decode(e);
      expect(v.length).toBe(e.shape.reduce((a, b) => a * b, 1));
      decoded += 4 * v.length;
    }
    return { decoded };
  } catch (error) {
    return { error };
  }
}

/** The slowest case and the peak resident set, for FUZZ_REPORT. */
const cost = { cases: 0, slowestMs: 0, slowestKind: '', peakRssBytes: 0 };

describe(`fuzz: ${CASES} generated hostile containers`, () => {
  afterAll(() => {
    if (process.env.FUZZ_REPORT) fs.writeFileSync(process.env.FUZZ_REPORT, JSON.stringify(cost));
  });

  it('each decodes to its declared counts within the limit, or throws NncFormatError naming a byte', () => {
    fc.assert(
      fc.property(validParts, mutation, (parts, m) => {
        const file = mutate(parts, m);
        const started = performance.now();
        const result = readAll(file);
        const ms = performance.now() - started;
        cost.cases++;
        if (ms > cost.slowestMs) Object.assign(cost, { slowestMs: ms, slowestKind: m.kind });
        if (cost.cases % 100 === 0) cost.peakRssBytes = Math.max(cost.peakRssBytes, process.memoryUsage.rss());
        if ('error' in result) {
          if (!(result.error instanceof NncFormatError)) throw result.error;
          expect((result.error as Error).message).toMatch(/^at byte \d+: expected .+/);
        } else {
          expect(result.decoded).toBeLessThanOrEqual(LIMIT);
        }
      }),
      { numRuns: CASES },
    );
  });

  it('bombs of every codec (a tiny payload under a declared 2^28 entries) are refused from the header', () => {
    for (const c of ['float32', 'float16', 'uint8', 'huffman', 'codebook']) {
      for (const s of ['never', 'always'] as const) {
        const t = encodeTensor(new Float32Array(8), { codec: c, sparse: s });
        const bomb = writeNnc(null, [{ name: 'b', shape: [2 ** 28], ...t }]);
        expect(() => readNnc(bomb, undefined, { maxDecodedBytes: LIMIT })).toThrow(/ReadLimits\.maxDecodedBytes/);
      }
    }
  });
});

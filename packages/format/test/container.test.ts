import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import * as tf from '@tensorflow/tfjs';
import * as http from 'node:http';
import { codecs, crc32, encodeArtifacts, encodeTensor, fileToArtifacts, MAGIC, ModelArtifactsLike, NncFormatError, nncompressIO, openNncStream, readNnc, writeNnc } from '../src';

/** A small real tfjs model's artifacts (weights from a seeded initializer). */
async function smallModel(): Promise<{ model: tf.LayersModel; artifacts: ModelArtifactsLike }> {
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [6], units: 5, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }), biasInitializer: 'ones', name: 'd1' }),
      tf.layers.dense({ units: 3, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }), name: 'd2' }),
    ],
  });
  let artifacts: ModelArtifactsLike = {};
  await model.save(tf.io.withSaveHandler(async (a) => {
    artifacts = a as ModelArtifactsLike;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  return { model, artifacts };
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('.nnc container', () => {
  it('writes magic, version and a checksummed header, and reads every tensor back', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.array(fc.float({ noNaN: true }), { maxLength: 50 }), fc.constantFrom('float32', 'float16', 'huffman')), { maxLength: 5 }), (specs) => {
        const tensors = specs.map(([xs, codec], i) => {
          const values = Float32Array.from(xs, (x) => (codec === 'float16' ? Math.max(-60000, Math.min(60000, x)) : x));
          return { name: `t${i}`, shape: [values.length], ...encodeTensor(values, { codec }), values };
        });
        const bytes = writeNnc(null, tensors, { note: 'test' });
        expect(String.fromCharCode(...bytes.subarray(0, 4))).toBe(MAGIC);
        const file = readNnc(bytes);
        expect(file.names).toEqual(tensors.map((t) => t.name));
        expect(file.header.metadata).toEqual({ note: 'test' });
        for (const t of tensors) {
          const decoded = file.decode(t.name);
          expect(decoded.length).toBe(t.values.length);
          t.values.forEach((x, i) => decoded[i] !== x && expect(Math.abs(decoded[i] - x)).toBeLessThanOrEqual(file.entry(t.name).maxError));
        }
      }),
      { numRuns: 100 },
    );
  });

  it('stores the header plain, Huffman- or LZ-coded as asked, each reading back the same; by default the smallest', () => {
    const model = { modelTopology: JSON.parse(fs.readFileSync(path.join(__dirname, '../../../examples/mnist-lenet/models/lenet-5/model.json'), 'utf8')).modelTopology, format: 'layers-model' };
    const t = [{ name: 'w', shape: [3], ...encodeTensor(Float32Array.of(1, 0, -2), { codec: 'float32' }) }];
    const sizes = (['plain', 'huffman', 'lz'] as const).map((header, flags) => {
      const bytes = writeNnc(model, t, { run: 1 }, { header });
      expect(new DataView(bytes.buffer).getUint16(6, true)).toBe(flags);
      const back = readNnc(bytes);
      expect(back.header.model).toEqual(model);
      expect(back.header.metadata).toEqual({ run: 1 });
      expect([...back.decode('w')]).toEqual([1, 0, -2]);
      return bytes.length;
    });
    expect(writeNnc(model, t, { run: 1 }).length).toBe(Math.min(...sizes));
    expect(() => writeNnc(model, t, undefined, { header: 'zip' as 'lz' })).toThrow('writeNnc: header coding "zip" is not one of smallest, plain, huffman, lz');
  });

  it('loads in plain tfjs through nncompressIO (bytes and a Node path) with the same predictions', async () => {
    const { model, artifacts } = await smallModel();
    const bytes = encodeArtifacts(artifacts, () => ({ codec: 'float32' }));
    const x = tf.tensor2d([[0.1, -0.2, 0.3, 0.4, -0.5, 0.6]]);
    const expected = (model.predict(x) as tf.Tensor).dataSync();
    const fromBytes = await tf.loadLayersModel(nncompressIO(bytes));
    expect([...(fromBytes.predict(x) as tf.Tensor).dataSync()]).toEqual([...expected]);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nnc-io-'));
    fs.writeFileSync(path.join(dir, 'model.nnc'), bytes);
    const fromPath = await tf.loadLayersModel(nncompressIO(path.join(dir, 'model.nnc')));
    expect([...(fromPath.predict(x) as tf.Tensor).dataSync()]).toEqual([...expected]);
    fs.rmSync(dir, { recursive: true });
    // Weights only: no topology to load a model from.
    await expect(nncompressIO(writeNnc(null, [])).load()).rejects.toThrow('.nnc input: holds weights only (no model topology); read it with readNnc');
    expect(fileToArtifacts(readNnc(bytes)).weightSpecs!.map((s) => s.name)).toEqual(artifacts.weightSpecs!.map((s) => s.name));
  });
});

/** The one shape every error on bad input must have: `run` must throw it. */
function expectLocatedError(run: () => unknown): void {
  let thrown: unknown;
  try {
    run();
  } catch (err) {
    thrown = err;
  }
  expect(thrown).toBeInstanceOf(NncFormatError);
  expect((thrown as Error).message).toMatch(/^at byte \d+: expected .+/);
  expect((thrown as NncFormatError).offset).toBeGreaterThanOrEqual(0);
}

/** Reads the header and decodes every tensor: what a loader does. */
const readAll = (bytes: Uint8Array) => (): void => {
  const file = readNnc(bytes);
  for (const name of file.names) file.decode(name);
};

// Two sample files: every codec (huffman in each layout), pruned zeros (runs and bitmap), an LZ- and a Huffman-coded header.
const pruned = Float32Array.from({ length: 3000 }, (_, i) => (i % 13 === 0 ? Math.sin(i) : 0));
const halfZero = Float32Array.from({ length: 64 }, (_, i) => (i % 3 ? Math.cos(i) : 0));
const dense = Float32Array.from({ length: 40 }, (_, i) => Math.sin(i * 7));
const tensors = [
  { name: 'a', shape: [3000], ...encodeTensor(pruned, { codec: 'uint8' }) },
  { name: 'b', shape: [8, 8], ...encodeTensor(halfZero, { codec: 'float16', sparse: 'always' }) },
  { name: 'c', shape: [40], ...encodeTensor(dense, { codec: 'huffman' }) },
  { name: 'd', shape: [40], ...encodeTensor(dense, { codec: 'float32' }) },
  { name: 'e', shape: [600], ...encodeTensor(Float32Array.from({ length: 600 }, (_, i) => Math.round(2000 * Math.sin(i * 12.9898)) / 4096), { codec: 'huffman' }) },
  { name: 'f', shape: [90], ...encodeTensor(Float32Array.from({ length: 90 }, (_, i) => [0.5, -0.25, 1][i % 3]), { codec: 'huffman' }) },
];
const model = { modelTopology: { class_name: 'Sequential', config: { name: 'x'.repeat(200), layers: [] } }, format: 'layers-model' };
const file = writeNnc(model, tensors);
const plain = writeNnc(null, tensors.slice(0, 2), undefined, { header: 'huffman' });

describe('robustness: truncated, bit-flipped and random input never crash or hang', () => {
  it('the samples are valid', () => {
    readAll(file)();
    expect(tensors.map((t) => t.params.layout ?? (t.codec === 'huffman' ? 'palette' : t.codec))).toEqual(['sparse', 'sparse', 'raw', 'float32', 'planes', 'palette']);
    expect(new DataView(file.buffer).getUint16(6, true)).toBe(2); // the header is LZ-coded
    expect(new DataView(plain.buffer).getUint16(6, true)).toBe(1); // Huffman-coded, as asked
  });

  it('every truncation of the file gives a located error', () => {
    for (const sample of [file, plain]) for (let n = 0; n < sample.length; n++) expect(() => readAll(sample.subarray(0, n))()).toThrow(NncFormatError);
  });

  it('3,000 random flips of one or two bits are all caught (prefix checks and checksums)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: file.length * 8 - 1 }), fc.integer({ min: 0, max: file.length * 8 - 1 }), (a, b) => {
        fc.pre(a !== b); // flipping one bit twice restores the file
        const bad = file.slice();
        bad[a >>> 3] ^= 1 << (a & 7);
        bad[b >>> 3] ^= 1 << (b & 7);
        expectLocatedError(readAll(bad));
      }),
      { numRuns: 3000 },
    );
  });

  it('3,000 corrupted payloads with valid checksums reach the decoders: truncated ones get located errors, the rest an error or the declared count', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: tensors.length - 1 }), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), fc.nat(5), (which, edits, cut) => {
        const original = tensors[which].bytes;
        const bytes = original.slice(0, Math.max(0, original.length - cut));
        for (const [pos, v] of edits) if (bytes.length) bytes[pos % bytes.length] = v;
        const mutated = tensors.map((t, i) => (i === which ? { ...t, bytes } : t));
        const read = readAll(writeNnc(model, mutated));
        // A payload shorter than its codec wrote cannot hold the tensor: always an error.
        if (bytes.length < original.length) return expectLocatedError(read);
        // Same length, other bytes: some codecs (float32) accept any bytes. Then the decode
        // must give the declared count; otherwise a located error.
        let decoded: Float32Array | undefined;
        try {
          decoded = readNnc(writeNnc(model, mutated)).decode(tensors[which].name);
        } catch {
          return expectLocatedError(read);
        }
        expect(decoded.length).toBe(tensors[which].shape.reduce((a, b) => a * b, 1));
      }),
      { numRuns: 3000 },
    );
  });

  it('2,000 headers with wrong fields (valid JSON, valid checksum) get located errors; valid values read', () => {
    const entry = { name: 'a', shape: [2], dtype: 'float32', codec: 'float32', params: {}, offset: 0, length: 8, crc32: crc32(new Uint8Array(8)), maxError: 0 };
    const isPlainObject = (v: unknown): boolean => typeof v === 'object' && v !== null && !Array.isArray(v);
    // What each field may hold for this one 8-byte float32 tensor (independent of the reader's code).
    const valid: Record<string, (v: unknown) => boolean> = {
      name: (v) => typeof v === 'string',
      shape: (v) => Array.isArray(v) && v.every((d) => Number.isSafeInteger(d) && d >= 0) && v.reduce((a: number, b: number) => a * b, 1) === 2,
      dtype: (v) => v === 'float32',
      codec: (v) => v === 'float32',
      params: isPlainObject,
      offset: (v) => v === 0,
      length: (v) => v === 8,
      crc32: (v) => v === entry.crc32,
      maxError: (v) => typeof v === 'number' && v >= 0,
      model: (v) => v === null || (isPlainObject(v) && 'modelTopology' in (v as object)),
      // The 8 payload bytes must belong to a tensor: an empty list leaves them trailing.
      tensors: () => false,
    };
    const anyJson = fc.jsonValue({ maxDepth: 2 });
    fc.assert(
      fc.property(fc.constantFrom(...Object.keys(valid)), anyJson, (field, value) => {
        // Another codec's id could decode these 8 bytes validly; leave those out.
        fc.pre(!(field === 'codec' && typeof value === 'string' && value !== 'float32' && codecs.get(value)));
        const header = field === 'model' || field === 'tensors' ? { model: null, tensors: [entry], [field]: value } : { model: null, tensors: [{ ...entry, [field]: value }] };
        const read = readAll(rawFile(header, new Uint8Array(8)));
        if (valid[field](value)) read();
        else expectLocatedError(read);
      }),
      { numRuns: 2000 },
    );
  });

  it('2,000 random inputs (with and without the magic) get located errors', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.boolean(), (random, withMagic) => {
        const bytes = withMagic ? Uint8Array.from([...file.subarray(0, 8), ...random]) : random;
        expect(() => readAll(bytes)()).toThrow(NncFormatError);
      }),
      { numRuns: 2000 },
    );
  });

  it('names what was expected and where', () => {
    expect(() => readNnc(new TextEncoder().encode('{"modelTopology": {}}'))).toThrow('at byte 0: expected magic "NNCF" (an .nnc file), got "{\\"mo"');
    expect(() => readNnc(file.subarray(0, 10))).toThrow('at byte 0: expected the 16-byte .nnc prefix (16 bytes), but the input ends after 10');
    const bad = file.slice();
    bad[file.length - 1] ^= 0xff;
    expect(() => readAll(bad)()).toThrow(/^at byte \d+: expected tensor "f" with checksum 0x[0-9a-f]{8}, its bytes sum to 0x[0-9a-f]{8}$/);
  });
});

/** `bytes` as an async stream of chunks, cut at `cuts`. */
async function* chunked(bytes: Uint8Array, cuts: number[] = []): AsyncGenerator<Uint8Array> {
  let at = 0;
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    yield bytes.slice(at, cut);
    at = cut;
  }
  yield bytes.slice(at);
}

/** Reads the header and every tensor from a stream: what a streaming loader does. */
async function streamAll(source: AsyncIterable<Uint8Array> | ReadableStream<Uint8Array>) {
  const stream = await openNncStream(source);
  const out: { name: string; values: Float32Array }[] = [];
  for await (const { entry, values } of stream.tensors()) out.push({ name: entry.name, values });
  return { stream, out };
}

const bitsOf = (a: Float32Array): number[] => [...new Uint32Array(a.buffer, a.byteOffset, a.length)];

/** A file with `header` stored plain (flags 0) and `payload` after it: for hand-made files. */
function rawFile(header: object, payload: Uint8Array): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const bytes = new Uint8Array(16 + json.length + payload.length);
  bytes.set([...MAGIC].map((c) => c.charCodeAt(0)));
  const view = new DataView(bytes.buffer);
  view.setUint16(4, 1, true); // version
  view.setUint32(8, json.length, true);
  view.setUint32(12, crc32(json), true);
  bytes.set(json, 16);
  bytes.set(payload, 16 + json.length);
  return bytes;
}

describe('streaming reader (openNncStream)', () => {
  it('decodes the same bits as the whole-file reader however the bytes are chunked, holding at most the header or one payload plus a chunk', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(file, plain), fc.array(fc.nat(), { maxLength: 40 }), async (sample, rawCuts) => {
        const cuts = rawCuts.map((c) => c % (sample.length + 1));
        const { stream, out } = await streamAll(chunked(sample, cuts));
        const whole = readNnc(sample);
        expect(out.map((t) => t.name)).toEqual(whole.names);
        for (const t of out) expect(bitsOf(t.values)).toEqual(bitsOf(whole.decode(t.name)));
        const edges = [0, ...[...cuts].sort((a, b) => a - b), sample.length];
        const largestChunk = Math.max(...edges.slice(1).map((e, i) => e - edges[i]));
        const largestPart = Math.max(16, new DataView(sample.buffer, sample.byteOffset).getUint32(8, true), ...whole.header.tensors.map((t) => t.length));
        expect(stream.peakBufferedBytes).toBeLessThanOrEqual(largestPart + largestChunk);
      }),
      { numRuns: 300 },
    );
  });

  it('never holds the whole file: 40 tensors of 2 KB arrive in 256-byte chunks with at most one payload plus a chunk buffered', async () => {
    const many = Array.from({ length: 40 }, (_, i) => ({ name: `w${i}`, shape: [500], ...encodeTensor(Float32Array.from({ length: 500 }, (_, j) => Math.sin(i * 500 + j)), { codec: 'float32' }) }));
    const bytes = writeNnc(null, many);
    const cuts = Array.from({ length: Math.floor(bytes.length / 256) }, (_, i) => (i + 1) * 256);
    const { stream, out } = await streamAll(chunked(bytes, cuts));
    expect(out).toHaveLength(40);
    expect(stream.peakBufferedBytes).toBeLessThanOrEqual(Math.max(...many.map((t) => t.bytes.length), new DataView(bytes.buffer).getUint32(8, true)) + 256);
    expect(stream.peakBufferedBytes).toBeLessThan(bytes.length / 10);
  });

  it('every truncation rejects with a located error (no hang), and so do bit flips wherever the whole-file reader fails', async () => {
    for (const sample of [file, plain]) {
      for (let n = 0; n < sample.length; n++) {
        await expect(streamAll(chunked(sample.subarray(0, n), [n >> 1]))).rejects.toThrow(/^at byte \d+: expected /);
      }
    }
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: file.length * 8 - 1 }), fc.array(fc.nat(file.length), { maxLength: 5 }), async (bit, cuts) => {
        const bad = file.slice();
        bad[bit >>> 3] ^= 1 << (bit & 7);
        let whole: Error | undefined;
        try {
          readAll(bad)();
        } catch (err) {
          whole = err as Error;
        }
        const streamed = await streamAll(chunked(bad, cuts)).then(
          (r) => r,
          (err: Error) => err,
        );
        if (whole) {
          expect(streamed).toBeInstanceOf(NncFormatError);
          expect((streamed as Error).message).toMatch(/^at byte \d+: expected /);
        } else {
          // Whatever the whole-file reader accepts, the stream accepts too.
          expect(streamed).not.toBeInstanceOf(Error);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('both readers refuse payloads out of order, overlapping, or followed by more bytes, naming the tensor', async () => {
    const entries = readNnc(file).header.tensors;
    const payload = file.subarray(file.length - entries.reduce((n, t) => n + t.length, 0));
    const swapped = rawFile({ model: null, tensors: [entries[1], entries[0], ...entries.slice(2)] }, payload);
    const outOfOrder = /^at byte 16: expected tensor "b" payload at offset 0, right after the previous one \(payloads are stored in order, without overlap or gaps\), it is at \d+$/;
    expect(() => readNnc(swapped)).toThrow(outOfOrder);
    await expect(streamAll(chunked(swapped))).rejects.toThrow(outOfOrder);
    // One payload read twice: a small file that decodes to more than it holds.
    const d = { ...entries[3], offset: 0 };
    const overlapping = rawFile({ model: null, tensors: [d, { ...d, name: 'd2' }] }, payload.subarray(entries[3].offset, entries[3].offset + entries[3].length));
    expect(() => readNnc(overlapping)).toThrow(/expected tensor "d2" payload at offset 160, right after the previous one .*, it is at 0$/);
    const trailing = Uint8Array.from([...file, 0, 0, 0]);
    expect(() => readNnc(trailing)).toThrow(/^at byte \d+: expected the end of the file after the last payload, 3 more bytes follow$/);
    await expect(streamAll(chunked(trailing, [7]))).rejects.toThrow(/^at byte \d+: expected the end of the file after the last payload, more bytes follow$/);
  });

  it('reads a web ReadableStream, is read once, and close() releases the source', async () => {
    let cancelled = false;
    const web = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(file.slice(0, 100));
        controller.enqueue(file.slice(100));
        controller.close();
      },
    });
    const { stream, out } = await streamAll(web);
    expect(out.map((t) => t.name)).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    await expect(stream.tensors().next()).rejects.toThrow('this .nnc stream is closed: a stream is read once; open it again to read it again');
    const slow = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.enqueue(file.slice(0, 64));
      },
      cancel() {
        cancelled = true;
      },
    });
    const opened = await openNncStream(slow).catch((err: Error) => err);
    // 64-byte chunks of the same start repeat the prefix, so the header cannot check out.
    expect(opened).toBeInstanceOf(NncFormatError);
    expect(cancelled).toBe(true);
  });

  it('loads a model in tfjs from an http URL served in 7-byte chunks and from a path; a 404 and a missing file are one-line errors', async () => {
    const { model, artifacts } = await smallModel();
    const bytes = encodeArtifacts(artifacts, () => ({ codec: 'float16' }));
    const server = http.createServer((req, res) => {
      if (req.url !== '/model.nnc') {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      let at = 0;
      const next = (): void => {
        if (at >= bytes.length) {
          res.end();
          return;
        }
        res.write(bytes.subarray(at, at + 7), next);
        at += 7;
      };
      next();
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const { port } = server.address() as { port: number };
    try {
      const x = tf.tensor2d([[0.1, -0.2, 0.3, 0.4, -0.5, 0.6]]);
      const fromBytes = await tf.loadLayersModel(nncompressIO(bytes));
      const fromUrl = await tf.loadLayersModel(nncompressIO(`http://127.0.0.1:${port}/model.nnc`));
      expect([...(fromUrl.predict(x) as tf.Tensor).dataSync()]).toEqual([...(fromBytes.predict(x) as tf.Tensor).dataSync()]);
      // float16 weights: close to the original model, not equal.
      const original = (model.predict(x) as tf.Tensor).dataSync();
      (fromUrl.predict(x) as tf.Tensor).dataSync().forEach((p, i) => expect(Math.abs(p - original[i])).toBeLessThan(1e-2));
      await expect(nncompressIO(`http://127.0.0.1:${port}/missing.nnc`).load()).rejects.toThrow(`http://127.0.0.1:${port}/missing.nnc: HTTP 404`);
    } finally {
      server.close();
    }
    await expect(nncompressIO(path.join(os.tmpdir(), 'no-such-dir-nnc', 'model.nnc')).load()).rejects.toThrow(/ENOENT: no such file or directory/);
    const weightsOnly = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'nnc-io-')), 'weights.nnc');
    fs.writeFileSync(weightsOnly, plain);
    await expect(nncompressIO(weightsOnly).load()).rejects.toThrow(`${weightsOnly}: holds weights only (no model topology); read it with readNnc`);
  });
});

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { chooseBackend, loadConfig, Pipeline, silentLogger } from '@nncompress/core';
import { CodecRegistry, encodeTensor, readNnc } from '@nncompress/format';
import { bfloat16Codec, fromBfloat16, toBfloat16 } from '../src';

describe('the bfloat16 codec', () => {
  it('keeps every float32 within 2^-8 of its size (an absolute 2^-134 below the normal range), and NaN, ±Infinity and -0 as they are (property)', () => {
    fc.assert(
      fc.property(fc.float({ noDefaultInfinity: false }), (x) => {
        const y = fromBfloat16(toBfloat16(x));
        if (Number.isNaN(x)) return Number.isNaN(y);
        if (!Number.isFinite(x) || x === 0) return Object.is(x, y);
        // Rounding can carry into the exponent: the largest floats round to Infinity.
        if (!Number.isFinite(y)) return Math.abs(x) > 3.38e38;
        return Math.abs(y - x) <= Math.max(Math.abs(x) * 2 ** -8, 2 ** -134);
      }),
      { numRuns: 2000 },
    );
    // Round to nearest even, checked by hand: 1 + 2^-8 lies halfway between 1 and 1 + 2^-7.
    expect([fromBfloat16(toBfloat16(1 + 2 ** -8)), fromBfloat16(toBfloat16(1 + 3 * 2 ** -8))]).toEqual([1, 1 + 2 ** -6]);
  });

  it('encodes through format with the sparse layout around it, at half the bytes of float32', () => {
    const registry = new CodecRegistry();
    registry.register(bfloat16Codec);
    const values = Float32Array.from({ length: 1000 }, (_, i) => (i % 4 === 0 ? Math.sin(i) : 0));
    const dense = encodeTensor(values, { codec: 'bfloat16', sparse: 'never' }, registry);
    expect(dense.bytes.length).toBe(2000);
    const sparse = encodeTensor(values, { codec: 'bfloat16' }, registry);
    expect(sparse.codec).toBe('sparse');
    expect(sparse.bytes.length).toBeLessThan(dense.bytes.length);
    expect(sparse.maxError).toBeLessThanOrEqual(2 ** -8);
  });

  it('is used by nncompress run through the encode section of pipeline.yaml: the model comes back from model.nnc', async () => {
    await chooseBackend('wasm');
    const loaded = loadConfig(path.join(__dirname, '..', 'pipeline.yaml'));
    const config = { ...loaded.config, data: { ...loaded.config.data, train: 300, test: 500 } };
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'nnc-bf16-'));
    fs.rmSync(out, { recursive: true });
    try {
      const report = await new Pipeline({ ...loaded, config }, { outDir: out, logger: silentLogger }).run();
      const file = readNnc(new Uint8Array(fs.readFileSync(path.join(out, 'model.nnc'))), (() => { const r = new CodecRegistry(); r.register(bfloat16Codec); return r; })());
      const codecs = new Set(file.header.tensors.map((t) => (t.codec === 'sparse' ? `sparse(${String(t.params.inner)})` : t.codec)));
      expect([...codecs].every((c) => c.includes('bfloat16') || c === 'float32')).toBe(true);
      expect(codecs.has('sparse(bfloat16)')).toBe(true);
      // The decoded model's accuracy is what the report gives, within a point of the float model.
      expect(report.final.accuracy).toBeDefined();
      expect(Math.abs(report.final.accuracy! - report.stages[report.stages.length - 1].accuracyAfter!)).toBeLessThan(0.01);
      expect(report.final.encodedBytes).toBe(fs.statSync(path.join(out, 'model.nnc')).size);
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });
});

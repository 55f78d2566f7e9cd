import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chooseBackend, evaluate, loadConfig, loadModel, Pipeline, saveModel, silentLogger, tf } from '@nncompress/core';
import { loadMnist } from '@nncompress/core/data';
import { nncompressIO, readNnc } from '@nncompress/format';

const modelJson = path.join(__dirname, '../../../examples/mnist-lenet/models/lenet-300-100/model.json');
let dir: string;

const config = (encode: string): string => `
model: ./model/model.json
seed: 3
data: { source: mnist, train: 500, test: 500 }
plugins:
  prune: { use: '@nncompress/plugin-magnitude', options: { scope: global } }
  encode: { use: '@nncompress/plugin-piecewise-linear', options: ${encode} }
stages:
  - name: prune
    use: [prune]
    target: { sparsity: 0.9 }
`;

async function run(name: string, encode: string): Promise<{ report: Awaited<ReturnType<Pipeline['run']>>; out: string }> {
  fs.writeFileSync(path.join(dir, name), config(encode));
  const out = path.join(dir, `out-${name}`);
  const report = await new Pipeline(loadConfig(path.join(dir, name)), { outDir: out, logger: silentLogger }).run();
  return { report, out };
}

beforeAll(async () => {
  await chooseBackend('wasm');
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nnc-pwl-'));
  await saveModel(await loadModel(modelJson), path.join(dir, 'model'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('the encode stage', () => {
  it('writes model.nnc; final accuracy is the decoded model’s, and the ratio is float32 bytes over the file', async () => {
    const { report, out } = await run('pwl.yaml', '{ codec: pwl, relativeError: 0.02 }');
    const file = path.join(out, 'model.nnc');
    const size = fs.statSync(file).size;
    expect(report.final.encodedBytes).toBe(size);
    expect(report.final.compressionRatio).toBeCloseTo(report.baseline.bytesFloat32 / size, 9);
    expect(report.final.compressionRatio).toBeGreaterThan(20); // 90% zeros and ~5 bits per kept weight
    // Independently: plain tfjs + @nncompress/format's built-in decoders, on the same test digits.
    const decoded = await tf.loadLayersModel(nncompressIO(file));
    const accuracy = evaluate(decoded, loadMnist({ train: 500, test: 500 }).test).accuracy;
    expect(report.final.accuracy).toBe(accuracy);
    expect(report.encoding?.decodedAccuracy).toBe(accuracy);
    expect(Math.abs(accuracy! - report.encoding!.accuracyBeforeEncoding!)).toBeLessThanOrEqual(0.02);
    expect(report.encoding?.decodedMetric).toEqual({ name: 'accuracy', value: accuracy, higherIsBetter: true });
    // Every tensor is in the report with its codec, and its error bound holds.
    const header = readNnc(new Uint8Array(fs.readFileSync(file))).header;
    expect(report.encoding?.tensors.map((t) => t.name)).toEqual(header.tensors.map((t) => t.name));
    for (const t of header.tensors) expect(['sparse', 'pwl', 'float16']).toContain(t.codec);
    decoded.dispose();
    // The report page shows where the bytes went.
    const html = fs.readFileSync(path.join(out, 'report.html'), 'utf8');
    expect(html).toContain(`Encoded size per tensor in model.nnc (${size.toLocaleString('en-US')} bytes in all`);
    for (const t of header.tensors) expect(html).toContain(`<td>${t.name}</td>`);
    // Same config and seed, same bytes.
    const again = await run('pwl-again.yaml', '{ codec: pwl, relativeError: 0.02 }');
    expect(fs.readFileSync(path.join(again.out, 'model.nnc')).equals(fs.readFileSync(file))).toBe(true);
  });

  it('the uint8 baseline is 4x before zeros are taken out, and more with them', async () => {
    const { report } = await run('u8.yaml', '{ codec: uint8, sparse: never }');
    expect(report.final.compressionRatio).toBeGreaterThan(3.9);
    expect(report.final.compressionRatio).toBeLessThan(4);
    const sparse = await run('u8s.yaml', '{ codec: uint8 }');
    expect(sparse.report.final.compressionRatio).toBeGreaterThan(2 * report.final.compressionRatio);
  });

  it('names conflicting options', async () => {
    await expect(run('bad.yaml', '{ codec: pwl, maxError: 0.01, relativeError: 0.01 }')).rejects.toThrow(/encode: maxError, relativeError and bitsPerWeight are alternatives; give one/);
    await expect(run('bad2.yaml', '{ codec: uint8, maxError: 0.01 }')).rejects.toThrow(/apply to codec pwl, not uint8/);
    expect(fs.existsSync(path.join(dir, 'out-bad.yaml'))).toBe(false);
  });
});

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { loadMnist } from '@nncompress/core/data';
import { encodeTensor, readNnc, writeNnc } from '@nncompress/format';
import { expectOneLineError, LENET300, nncompress, REPO } from './helpers';

/** A model folder (model.json + shards) loaded with plain tfjs, no nncompress code. */
async function loadFolder(modelJson: string): Promise<tf.LayersModel> {
  const json = JSON.parse(fs.readFileSync(modelJson, 'utf8'));
  const group = json.weightsManifest[0];
  const data = Buffer.concat(group.paths.map((p: string) => fs.readFileSync(path.join(path.dirname(modelJson), p))));
  return tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: group.weights, weightData: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) }));
}

let dir: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nnc-codec-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('nncompress encode / decode / inspect', () => {
  it('encodes LeNet-300-100 with pwl in error-bound mode, decodes it to a model plain tfjs loads, within the stated errors', async () => {
    const nnc = path.join(dir, 'l300.nnc');
    const enc = nncompress(['encode', LENET300, '-o', nnc, '--codec', 'pwl', '--relative-error', '0.02']);
    expect(enc.stderr).toBe('');
    expect(enc.code).toBe(0);
    const size = fs.statSync(nnc).size;
    expect(size).toBeLessThan(266610 * 4 / 4); // better than uint8
    expect(enc.stdout).toMatch(new RegExp(`wrote .*l300\\.nnc: ${size.toLocaleString('en-US')} bytes, [\\d.]+x smaller than float32 \\(1,066,440 bytes\\)`));

    const out = path.join(dir, 'decoded');
    const dec = nncompress(['decode', nnc, '-o', out]);
    expect(dec.code).toBe(0);
    const original = await loadFolder(LENET300);
    const decoded = await loadFolder(path.join(out, 'model.json'));
    const header = readNnc(new Uint8Array(fs.readFileSync(nnc))).header;
    original.weights.forEach((w, i) => {
      const entry = header.tensors[i];
      const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(w.read(), decoded.weights[i].read()))).dataSync()[0]);
      expect(diff).toBeLessThanOrEqual(entry.maxError);
      const largest = tf.tidy(() => tf.max(tf.abs(w.read())).dataSync()[0]);
      if (entry.codec === 'pwl' || entry.params.inner === 'pwl') expect(entry.maxError).toBeLessThanOrEqual(0.02 * largest);
    });
    // On 300 real test digits the decoded model decides like the original almost always.
    const test = loadMnist({ train: 1, test: 300 }).test;
    const x = test.batch(0, test.size, [28, 28, 1]).x;
    const agree = tf.tidy(() => tf.mean(tf.cast(tf.equal(tf.argMax(original.predict(x) as tf.Tensor, 1), tf.argMax(decoded.predict(x) as tf.Tensor, 1)), 'float32')).dataSync()[0]);
    expect(agree).toBeGreaterThanOrEqual(0.97);

    const inspect = nncompress(['inspect', nnc]);
    expect(inspect.code).toBe(0);
    for (const t of header.tensors) expect(inspect.stdout).toMatch(new RegExp(`^${t.name.replace('/', '\\/')}\\s+\\[${t.shape.join(',')}\\]\\s+\\S+\\s+${t.length.toLocaleString('en-US')}`, 'm'));
  });

  it('a pipeline\'s encode stage and `nncompress encode` write the same bytes at the same options (one encode path, one set of defaults)', () => {
    // A pruned model (zeros: the sparse layouts compete) with small biases (float16 competes).
    const config = path.join(dir, 'same-bytes.yaml');
    fs.writeFileSync(
      config,
      `model: ${LENET300}\nseed: 1\ndata: { source: mnist, train: 200, test: 200 }\nplugins:\n  prune: { use: '@nncompress/plugin-magnitude' }\n  encode: { use: '@nncompress/plugin-piecewise-linear', options: { codec: pwl, relativeError: 0.04 } }\nstages: [{ name: s, target: { sparsity: 0.9 } }]\n`,
    );
    const out = path.join(dir, 'same-bytes-out');
    const run = nncompress(['run', config, '--out', out]);
    expect(run.code).toBe(0);
    const cli = path.join(dir, 'same-bytes-cli.nnc');
    const enc = nncompress(['encode', path.join(out, 'model', 'model.json'), '-o', cli, '--codec', 'pwl', '--relative-error', '0.04']);
    expect(enc.code).toBe(0);
    const [fromRun, fromCli] = [path.join(out, 'model.nnc'), cli].map((f) => readNnc(new Uint8Array(fs.readFileSync(f))));
    const tensors = (f: typeof fromRun): string[] => f.header.tensors.map((t) => `${t.name} ${t.codec} ${t.length} ${t.crc32}`);
    expect(tensors(fromCli)).toEqual(tensors(fromRun));
    expect(fromRun.header.tensors.some((t) => t.codec === 'float16')).toBe(true);
    expect(fromRun.header.tensors.some((t) => t.codec === 'sparse')).toBe(true);
    expect(fs.readFileSync(cli).equals(fs.readFileSync(path.join(out, 'model.nnc')))).toBe(true);
    // Core's own encode section, with the codec from the installed plugin package: the same bytes again.
    const sectioned = path.join(dir, 'same-bytes-section.yaml');
    fs.writeFileSync(sectioned, fs.readFileSync(config, 'utf8').replace(/  encode: \{ use: [^\n]*\n/, '').replace('stages:', 'encode: { codec: pwl, relativeError: 0.04 }\nstages:'));
    const out2 = path.join(dir, 'same-bytes-section-out');
    const run2 = nncompress(['run', sectioned, '--out', out2]);
    expect([run2.code, run2.stderr.split('\n').filter((l) => /error/.test(l))]).toEqual([0, []]);
    expect(fs.readFileSync(path.join(out2, 'model.nnc')).equals(fs.readFileSync(path.join(out, 'model.nnc')))).toBe(true);
  });

  it('says when a lossy encoding costs the model: a warning and a note in the report naming both figures; a lossless one says nothing', () => {
    // LeNet-300-100 with one huge weight on pixel 0 (always blank in MNIST): the model is as good
    // as before, but one uint8 grid for fc1 now has a step of 4, and every other weight rounds to 0.
    const src = path.join(dir, 'outlier');
    fs.mkdirSync(src);
    fs.copyFileSync(LENET300, path.join(src, 'model.json'));
    const weights = new Float32Array(new Uint8Array(fs.readFileSync(path.join(path.dirname(LENET300), 'weights.bin'))).buffer);
    weights[0] = 1000; // fc1/kernel[0][0], the first weight of the manifest
    fs.writeFileSync(path.join(src, 'weights.bin'), Buffer.from(weights.buffer));
    const config = path.join(dir, 'lossy.yaml');
    const base = `model: ${path.join(src, 'model.json')}\nseed: 1\ndata: { source: mnist, train: 200, test: 300 }\nplugins:\n  prune: { use: '@nncompress/plugin-magnitude' }\nstages: [{ name: s, target: { sparsity: 0.1 } }]\n`;
    fs.writeFileSync(config, `${base}encode: { codec: uint8, sparse: never }\n`);
    const run = nncompress(['run', config, '--out', path.join(dir, 'lossy-out')]);
    expect(run.code).toBe(0);
    const report = JSON.parse(fs.readFileSync(path.join(dir, 'lossy-out', 'report.json'), 'utf8'));
    expect(report.encoding.decodedMetric.value).toBeLessThan(report.encoding.metricBeforeEncoding.value - 0.005);
    expect(report.encoding.notes).toHaveLength(1);
    expect(report.encoding.notes[0]).toMatch(/^encoding cost accuracy: [\d.]+% before encoding, [\d.]+% decoded from model\.nnc; \d+ of 6 tensors are stored lossily/);
    expect(run.stderr).toContain(report.encoding.notes[0]);
    fs.writeFileSync(config, `${base}encode: { codec: auto }\n`);
    const exact = nncompress(['run', config, '--out', path.join(dir, 'lossless-out')]);
    expect(exact.code).toBe(0);
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'lossless-out', 'report.json'), 'utf8')).encoding.notes).toBeUndefined();
    expect(exact.stderr).not.toMatch(/encoding cost/);
  });

  it('an encode section that cannot work is one line before anything runs: an unknown codec, a bound the codec does not take, two encoders', () => {
    const base = `model: ${LENET300}\ndata: { source: mnist, train: 50, test: 50 }\nplugins:\n  prune: { use: '@nncompress/plugin-magnitude' }\nstages: [{ name: s, target: { sparsity: 0.5 } }]\n`;
    const cases: [string, string, RegExp][] = [
      ['unknown', 'encode: { codec: zstd }\n', /unknown\.yaml: encode\.codec: no codec "zstd" can encode here \(available: auto, float32, float16, uint8, huffman, pwl, codebook(, bfloat16)?\); a plugin package adds more/],
      ['unbounded', 'encode: { codec: uint8, maxError: 0.01 }\n', /unbounded\.yaml: encode\.maxError: codec uint8 takes no error bound \(codecs that do: pwl/],
      ['two-modes', 'encode: { codec: pwl, maxError: 0.01, bitsPerWeight: 3 }\n', /two-modes\.yaml: encode\.bitsPerWeight: maxError and bitsPerWeight are alternatives; give one$/],
      ['both', `encode: { codec: pwl }\n`.concat(''), /both\.yaml: encode: plugin pwl encodes the model too \(it taps encodeTensor\); keep the encode section or that plugin, not both/],
    ];
    for (const [name, extra, message] of cases) {
      const file = path.join(dir, `${name}.yaml`);
      const text = name === 'both' ? base.replace('stages:', "  pwl: { use: '@nncompress/plugin-piecewise-linear' }\nstages:") + extra : base + extra;
      fs.writeFileSync(file, text);
      const out = path.join(dir, `${name}-out`);
      expectOneLineError(nncompress(['run', file, '--out', out]), message);
      expect(fs.existsSync(out)).toBe(false);
    }
  });

  it('stores no tensor above its float32 bytes with pwl, biases included (LeNet-5)', () => {
    const nnc = path.join(dir, 'l5.nnc');
    expect(nncompress(['encode', path.join(REPO, 'examples/mnist-lenet/models/lenet-5/model.json'), '-o', nnc, '--codec', 'pwl', '--relative-error', '0.04']).code).toBe(0);
    const { tensors } = readNnc(new Uint8Array(fs.readFileSync(nnc))).header;
    // Checked per tensor, named in a failure: a bias of 20 values cost 31–93 bits each as pwl.
    for (const t of tensors) expect([t.name, t.length]).toEqual([t.name, Math.min(t.length, 4 * t.shape.reduce((a, b) => a * b, 1))]);
  });

  it('decode refuses a small file declaring gigabytes of weights (a decompression bomb) with one line, writing nothing; the limit is an option', () => {
    const zero = encodeTensor(new Float32Array(4), { codec: 'float32', sparse: 'always' });
    const bomb = path.join(dir, 'bomb.nnc');
    fs.writeFileSync(bomb, writeNnc(null, Array.from({ length: 64 }, (_, i) => ({ name: `t${i}`, shape: [2 ** 28], ...zero }))));
    expect(fs.statSync(bomb).size).toBeLessThan(2000);
    const out = path.join(dir, 'bomb-out');
    const r = nncompress(['decode', bomb, '-o', out]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toMatch(/^nncompress: error: .*bomb\.nnc: at byte 16: expected at most 1073741824 bytes of decoded weights \(ReadLimits\.maxDecodedBytes; raise it for a larger model\), the tensors up to "t1" already take 2147483648$/);
    expect(fs.existsSync(out)).toBe(false);
    expect(fs.readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
    // A real file above a lowered limit is refused the same way; under the default it decodes.
    const small = path.join(dir, 'small.nnc');
    expect(nncompress(['encode', LENET300, '-o', small]).code).toBe(0);
    expect(nncompress(['decode', small, '-o', path.join(dir, 'small-low'), '--max-decoded-bytes', '1000']).stderr).toMatch(/expected at most 1000 bytes of decoded weights/);
    expect(nncompress(['decode', small, '-o', path.join(dir, 'small-ok')]).code).toBe(0);
  });

  it('encode refuses weights that do not fit the topology, as inspect does, writing nothing', () => {
    const src = path.join(dir, 'mismatch');
    fs.mkdirSync(src);
    const json = JSON.parse(fs.readFileSync(LENET300, 'utf8'));
    // Two weights swap shapes: the same bytes, but fc1's kernel no longer matches its layer.
    const [a, b] = [json.weightsManifest[0].weights[0], json.weightsManifest[0].weights[2]];
    [a.shape, b.shape] = [[300, 784], [100, 300]];
    fs.writeFileSync(path.join(src, 'model.json'), JSON.stringify(json));
    fs.copyFileSync(path.join(path.dirname(LENET300), 'weights.bin'), path.join(src, 'weights.bin'));
    const out = path.join(dir, 'mismatch.nnc');
    const r = nncompress(['encode', path.join(src, 'model.json'), '-o', out]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toMatch(/^nncompress: error: .*mismatch\/model\.json: the weights do not fit the model's topology \(.+\)$/);
    expect(fs.existsSync(out)).toBe(false);
    expect(nncompress(['inspect', path.join(src, 'model.json')]).code).toBe(1);
  });

  it('float32 round-trips bit for bit', () => {
    const nnc = path.join(dir, 'f32.nnc');
    expect(nncompress(['encode', LENET300, '-o', nnc]).code).toBe(0);
    const out = path.join(dir, 'f32');
    expect(nncompress(['decode', nnc, '-o', out]).code).toBe(0);
    expect(fs.readFileSync(path.join(out, 'weights.bin')).equals(fs.readFileSync(path.join(path.dirname(LENET300), 'weights.bin')))).toBe(true);
  });

  it('encodes a GraphModel (nsfwjs MobileNetV2, uint8-quantised) losslessly by default, smaller than its shipped bytes: bit-exact to tfjs\'s dequantisation, and loadGraphModel loads the decoded folder', async () => {
    const mod = require('nsfwjs/models/mobilenet_v2_mid').MobileNetV2MidModel;
    const json = (await mod.modelJson()).default;
    const shards = await Promise.all(mod.weightBundles.map(async (load: () => Promise<{ default: string }>) => Buffer.from((await load()).default, 'base64')));
    const shipped = Buffer.concat(shards);
    const src = path.join(dir, 'graph');
    fs.mkdirSync(src);
    fs.writeFileSync(path.join(src, 'weights.bin'), shipped);
    fs.writeFileSync(path.join(src, 'model.json'), JSON.stringify({ ...json, weightsManifest: [{ paths: ['weights.bin'], weights: json.weightsManifest[0].weights }] }));
    const nnc = path.join(dir, 'graph.nnc');
    // The default is auto: per tensor the smallest lossless encoding, here smaller than the shipped uint8 codes.
    const encoded = nncompress(['encode', path.join(src, 'model.json'), '-o', nnc]);
    expect(encoded.code).toBe(0);
    expect(encoded.stderr).toBe('');
    const tensorBytes = readNnc(new Uint8Array(fs.readFileSync(nnc))).header.tensors.reduce((n, t) => n + t.length, 0);
    expect(tensorBytes).toBeLessThan(shipped.length);
    expect(readNnc(new Uint8Array(fs.readFileSync(nnc))).header.tensors.every((t) => t.maxError === 0)).toBe(true);
    // float32 asked for by name stores the dequantised values: larger than the input, and it says so.
    const larger = nncompress(['encode', path.join(src, 'model.json'), '-o', path.join(dir, 'graph-f32.nnc'), '--codec', 'float32']);
    expect(larger.code).toBe(0);
    expect(larger.stderr.trim().split('\n')).toHaveLength(1);
    expect(larger.stderr).toMatch(new RegExp(`^warning: .*graph-f32\\.nnc: the encoded weights take [\\d,]+ bytes, more than the input's own ${shipped.length.toLocaleString('en-US')} \\(its weights are stored quantised\\); --codec auto writes the smallest lossless encoding\n$`));
    const out = path.join(dir, 'graph-decoded');
    expect(nncompress(['decode', nnc, '-o', out]).code).toBe(0);
    const decodedJson = JSON.parse(fs.readFileSync(path.join(out, 'model.json'), 'utf8'));
    expect(decodedJson.format).toBe('graph-model');
    const decodedData = fs.readFileSync(path.join(out, 'weights.bin'));
    const reference = tf.io.decodeWeights(shipped.buffer.slice(shipped.byteOffset, shipped.byteOffset + shipped.byteLength), json.weightsManifest[0].weights);
    let offset = 0;
    for (const spec of decodedJson.weightsManifest[0].weights) {
      const n = spec.shape.reduce((a: number, b: number) => a * b, 1);
      const ours = new Uint32Array(decodedData.buffer.slice(decodedData.byteOffset + offset, decodedData.byteOffset + offset + 4 * n));
      expect(Buffer.from(ours.buffer).equals(Buffer.from(reference[spec.name].dataSync().slice().buffer))).toBe(true);
      offset += 4 * n;
    }
    const graph = await tf.loadGraphModel(tf.io.fromMemory({ modelTopology: decodedJson.modelTopology, weightSpecs: decodedJson.weightsManifest[0].weights, weightData: decodedData.buffer.slice(decodedData.byteOffset, decodedData.byteOffset + decodedData.byteLength), format: 'graph-model' }));
    expect(Object.keys(graph.weights).length).toBe(json.weightsManifest[0].weights.length);
  });

  it('encodes a weights-only manifest and decodes it back to one', () => {
    const src = path.join(dir, 'weights-only');
    fs.mkdirSync(src);
    const modelJson = JSON.parse(fs.readFileSync(LENET300, 'utf8'));
    fs.copyFileSync(path.join(path.dirname(LENET300), 'weights.bin'), path.join(src, 'weights.bin'));
    fs.writeFileSync(path.join(src, 'weights_manifest.json'), JSON.stringify(modelJson.weightsManifest));
    const nnc = path.join(dir, 'weights-only.nnc');
    expect(nncompress(['encode', path.join(src, 'weights_manifest.json'), '-o', nnc]).code).toBe(0);
    expect(readNnc(new Uint8Array(fs.readFileSync(nnc))).header.model).toBeNull();
    const out = path.join(dir, 'weights-only-decoded');
    expect(nncompress(['decode', nnc, '-o', out]).code).toBe(0);
    expect(JSON.parse(fs.readFileSync(path.join(out, 'weights_manifest.json'), 'utf8'))[0].weights).toEqual(modelJson.weightsManifest[0].weights);
    expect(fs.readFileSync(path.join(out, 'weights.bin')).equals(fs.readFileSync(path.join(src, 'weights.bin')))).toBe(true);
  });

  it('bad input: one error line, exit 1, nothing written', () => {
    const nnc = path.join(dir, 'trunc.nnc');
    expect(nncompress(['encode', LENET300, '-o', path.join(dir, 'full.nnc'), '--codec', 'uint8']).code).toBe(0);
    fs.writeFileSync(nnc, fs.readFileSync(path.join(dir, 'full.nnc')).subarray(0, 3000));
    const out = path.join(dir, 'never');
    expectOneLineError(nncompress(['decode', nnc, '-o', out]), /trunc\.nnc: at byte \d+: expected .+/);
    expect(fs.existsSync(out)).toBe(false);
    expect(fs.readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
    expectOneLineError(nncompress(['encode', LENET300, '-o', path.join(dir, 'z.nnc'), '--codec', 'zip']), /--codec: no codec "zip" can encode here \(available: auto, float32, float16, uint8, huffman, pwl, codebook(, bfloat16)?\)$/);
    expect(fs.existsSync(path.join(dir, 'z.nnc'))).toBe(false);
    expectOneLineError(nncompress(['encode', LENET300, '-o', LENET300]), /the output would overwrite the input .*model\.json$/);
    expectOneLineError(nncompress(['decode', path.join(dir, 'full.nnc'), '-o', path.join(REPO, 'examples')]), /the output folder exists and is not empty$/);
    expectOneLineError(nncompress(['inspect', path.join(dir, 'missing.nnc')]), /missing\.nnc/);
  });
});

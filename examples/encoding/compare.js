#!/usr/bin/env node
/*
 * The encoding experiment: bytes, bits per weight and test accuracy of every encoding of the
 * committed LeNet-300-100 and LeNet-5, dense and pruned, side by side, measured in one run;
 * the shipped uint8 MobileNetV2 of nsfwjs re-encoded losslessly; decode throughput.
 *
 *   node examples/encoding/compare.js [--pruned <model.json>,<model.json>]
 *
 * --pruned takes the outputs of the magnitude examples (e.g. out/lenet-5/model/model.json
 * from examples/mnist-lenet/pipeline.yaml, out/lenet-300-100/model/model.json from
 * lenet-300-100.yaml); the label is the folder above model/. Accuracy is measured on the
 * model decoded from each encoding, on the 2,004 held-out digits. gzip -9 and brotli -11
 * are lossless over the float32 shard and over the uint8 codes, so their accuracy is that
 * of their input.
 */
'use strict';
const { arg } = require('../shared/script');
const { measureEncoding, payloadBytes } = require('./measure');
const path = require('node:path');
const zlib = require('node:zlib');
// Root and subpath entries of core, as one object.
const core = { ...require('@nncompress/core'), ...require('@nncompress/core/model'), ...require('@nncompress/core/data') };
const format = require('@nncompress/format');
const { pwlRegistry } = require('@nncompress/plugin-piecewise-linear');
const { kmeans, sharedValues } = require('@nncompress/plugin-weight-sharing');
const { modelSparseFormatBytes } = require('./cer');

const { tf } = core;
const registry = pwlRegistry();
const models = path.join(__dirname, '..', 'mnist-lenet', 'models');

/** Encodings to compare: a label and the per-tensor choice. */
const encodings = [
  ['float32', () => ({ codec: 'float32', sparse: 'never' })],
  ['float16', () => ({ codec: 'float16', sparse: 'never' })],
  ['uint8 (tfjs-converter)', () => ({ codec: 'uint8', sparse: 'never' })],
  ['huffman (lossless)', () => ({ codec: 'huffman' })],
  ['float32 + zeros apart', () => ({ codec: 'float32' })],
  ['uint8 + zeros apart', () => ({ codec: 'uint8' })],
  ['pwl (p 0.005, pd 1/16)', () => ({ codec: 'pwl' })],
  ['pwl, error ≤ 2% of max', (values) => ({ codec: 'pwl', options: { maxError: 0.02 * format.largestAbs(values) } })],
  ['pwl, error ≤ 4% of max', (values) => ({ codec: 'pwl', options: { maxError: 0.04 * format.largestAbs(values) } })],
  ['pwl, error ≤ 8% of max', (values) => ({ codec: 'pwl', options: { maxError: 0.08 * format.largestAbs(values) } })],
  ['auto (smallest lossless per tensor)', () => ({ codec: 'auto' })],
];

/**
 * `artifacts` with every kernel's weights shared one-shot: k-means into 2^bits values
 * (the weight-sharing plugin's clustering, without its fine-tuning), biases as they are.
 */
function sharedArtifacts(artifacts, bits) {
  const weights = format.weightValues(artifacts);
  const data = new Float32Array(weights.reduce((n, w) => n + w.values.length, 0));
  let at = 0;
  for (const { spec, values } of weights) {
    data.set(spec.name.endsWith('kernel') ? sharedValues(kmeans(values, 2 ** bits)) : values, at);
    at += values.length;
  }
  return { ...artifacts, weightSpecs: weights.map(({ spec }) => ({ name: spec.name, shape: spec.shape, dtype: 'float32' })), weightData: data.buffer };
}

async function modelTable(label, file, data) {
  const artifacts = core.readModelArtifacts(file);
  const weights = format.weightValues(artifacts);
  const count = weights.reduce((n, w) => n + w.values.length, 0);
  const float32Bytes = 4 * count;
  const zeros = weights.reduce((n, w) => n + w.values.filter((x) => x === 0).length, 0);
  const rows = [];
  const row = (name, bytes, accuracy, throughput) =>
    rows.push(`| ${label} | ${name} | ${bytes.toLocaleString('en-US')} | ${((8 * bytes) / count).toFixed(2)} | ${(float32Bytes / bytes).toFixed(1)}x | ${(100 * accuracy).toFixed(2)}% | ${throughput ?? ''} |`);
  const byName = new Map();
  for (const [name, choose] of encodings) {
    const { nnc, file, accuracy, decodeMBps } = await measureEncoding(artifacts, choose, data, registry);
    byName.set(name, { file, accuracy });
    row(name, nnc.length, accuracy, `${decodeMBps.toFixed(0)} MB/s`);
  }
  // Weight sharing one-shot (no fine-tuning: the plugin's stage recovers what this loses), stored by auto: codebooks.
  for (const bits of [5, 3]) {
    const shared = sharedArtifacts(artifacts, bits);
    const { nnc, file, accuracy, decodeMBps } = await measureEncoding(shared, () => ({ codec: 'auto' }), data, registry);
    byName.set(`shared ${bits}`, { file, accuracy, weights: format.weightValues(shared) });
    row(`weight sharing ${bits} bits, one-shot + auto`, nnc.length, accuracy, `${decodeMBps.toFixed(0)} MB/s`);
  }
  // CER and CSER (Wiedemann et al. 2020) hold a matrix of few distinct values: the uint8 codes, and the shared weights.
  const uint8Weights = format.weightValues(format.fileToArtifacts(byName.get('uint8 (tfjs-converter)').file));
  for (const [label, weights, accuracy] of [
    ['uint8 values', uint8Weights, byName.get('uint8 (tfjs-converter)').accuracy],
    ['shared 3-bit values', byName.get('shared 3').weights, byName.get('shared 3').accuracy],
  ]) {
    const sizes = modelSparseFormatBytes(weights);
    row(`CER of the ${label}`, sizes.cer, accuracy);
    row(`CSER of the ${label}`, sizes.cser, accuracy);
  }
  for (const [base, name] of [['float32', 'float32'], ['uint8 (tfjs-converter)', 'uint8']]) {
    const { file, accuracy } = byName.get(base);
    const payload = payloadBytes(file);
    row(`gzip -9 of ${name}`, zlib.gzipSync(payload, { level: 9 }).length, accuracy);
    row(`brotli -11 of ${name}`, zlib.brotliCompressSync(payload, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: payload.length } }).length, accuracy);
  }
  return { rows, count, zeros, float32Bytes };
}

/**
 * The nsfwjs MobileNetV2 as shipped: uint8-quantised weights. Re-encoded with the lossless
 * `huffman` codec from its dequantised float32 values, checked bit for bit against tfjs's own
 * dequantisation.
 */
async function mobilenetLossless() {
  const mod = require('nsfwjs/models/mobilenet_v2').MobileNetV2Model;
  const json = (await mod.modelJson()).default;
  const shards = await Promise.all(mod.weightBundles.map(async (load) => Buffer.from((await load()).default, 'base64')));
  const shipped = Buffer.concat(shards);
  const specs = json.weightsManifest.flatMap((g) => g.weights);
  const artifacts = { modelTopology: json.modelTopology, format: json.format, generatedBy: json.generatedBy, convertedBy: json.convertedBy, weightSpecs: specs, weightData: shipped.buffer.slice(shipped.byteOffset, shipped.byteOffset + shipped.byteLength) };
  const nnc = format.encodeArtifacts(artifacts, () => ({ codec: 'huffman' }), registry);
  // tfjs's own dequantisation, the reference for "bit-exact".
  const reference = tf.io.decodeWeights(artifacts.weightData, specs);
  const file = format.readNnc(nnc, registry);
  let exact = true;
  for (const t of file.header.tensors) {
    const ours = new Uint32Array(file.decode(t).buffer);
    const theirs = new Uint32Array(reference[t.name].dataSync().slice().buffer);
    if (ours.length !== theirs.length || ours.some((b, i) => b !== theirs[i])) exact = false;
  }
  const payload = payloadBytes(file).length;
  const auto = format.encodeArtifacts(artifacts, () => ({ codec: 'auto' }), registry);
  const autoFile = format.readNnc(auto, registry);
  const autoExact = autoFile.header.tensors.every((t) => t.maxError === 0);
  return { auto: auto.length, autoPayload: payloadBytes(autoFile).length, autoExact, shipped: shipped.length, nnc: nnc.length, payload, exact, gzip: zlib.gzipSync(shipped, { level: 9 }).length, brotli: zlib.brotliCompressSync(shipped, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 } }).length, params: specs.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0) };
}

/**
 * The positions of a pruned model's survivors, coded three ways, next to what they cost
 * under the context model and under order-0 (the overall density alone): bytes summed over
 * the kernels.
 */
function positionsTable(label, file) {
  const sizes = { bitmap: 0, runs: 0, context: 0, model: 0, order0: 0 };
  for (const { spec, values } of format.weightValues(core.readModelArtifacts(file))) {
    if (!spec.name.endsWith('kernel')) continue;
    const keep = Uint8Array.from(values, (v) => (v !== 0 ? 1 : 0));
    const columns = format.maskColumns(keep.length, { shape: spec.shape });
    const runs = format.zeroRunSymbols(keep);
    const w = new format.ByteWriter();
    format.writeContextMask(w, keep, columns);
    const d = keep.reduce((a, b) => a + b, 0) / keep.length;
    sizes.bitmap += Math.ceil(keep.length / 8);
    sizes.runs += format.huffmanSize(runs, 256);
    sizes.context += w.length;
    sizes.model += format.maskModelBits(keep, columns) / 8;
    sizes.order0 += d > 0 && d < 1 ? (keep.length * -(d * Math.log2(d) + (1 - d) * Math.log2(1 - d))) / 8 : 0;
  }
  const f = (x) => Math.round(x).toLocaleString('en-US');
  return `| ${label} | ${f(sizes.bitmap)} | ${f(sizes.runs)} | ${f(sizes.context)} | ${f(sizes.model)} | ${f(sizes.order0)} |`;
}

async function main() {
  await core.chooseBackend('wasm');
  const data = core.loadMnist();
  const inputs = [
    ['LeNet-300-100 dense', path.join(models, 'lenet-300-100', 'model.json')],
    ['LeNet-5 dense', path.join(models, 'lenet-5', 'model.json')],
    ...(arg('pruned', '') ? arg('pruned', '').split(',').map((f) => [`${path.basename(path.dirname(path.dirname(path.resolve(f))))} (pruned)`, f]) : []),
  ];
  console.log('| model | encoding | bytes | bits/weight | vs float32 | test accuracy | decode throughput |');
  console.log('|---|---|---|---|---|---|---|');
  for (const [label, file] of inputs) {
    const { rows, count, zeros } = await modelTable(label, file, data);
    console.error(`${label}: ${count.toLocaleString('en-US')} weights, ${(100 * zeros / count).toFixed(1)}% zero`);
    for (const r of rows) console.log(r);
  }
  if (arg('pruned', '')) {
    console.log('\nPositions of the survivors (kernels), bytes: a bitmap, Huffman-coded zero runs (order-0), the context-modelled rANS code, the cost the context model assigns, and the order-0 entropy of the masks');
    console.log('| model | bitmap | zero runs | context-modelled | context model cost | order-0 entropy |');
    console.log('|---|---|---|---|---|---|');
    for (const f of arg('pruned', '').split(',')) console.log(positionsTable(path.basename(path.dirname(path.dirname(path.resolve(f)))), f));
  }
  const m = await mobilenetLossless();
  console.log(`\nnsfwjs MobileNetV2 (${m.params.toLocaleString('en-US')} weights, shipped uint8-quantised): shipped weight bytes ${m.shipped.toLocaleString('en-US')}; lossless huffman .nnc ${m.nnc.toLocaleString('en-US')} bytes (tensors ${m.payload.toLocaleString('en-US')}, header with topology ${(m.nnc - m.payload).toLocaleString('en-US')}), ${(100 * (1 - m.nnc / m.shipped)).toFixed(1)}% smaller; decoded weights bit-exact to tfjs's dequantisation: ${m.exact ? 'yes' : 'NO'}. Lossless auto (the default of nncompress encode): ${m.auto.toLocaleString('en-US')} bytes (tensors ${m.autoPayload.toLocaleString('en-US')}), ${(100 * (1 - m.auto / m.shipped)).toFixed(1)}% smaller, every tensor bit for bit: ${m.autoExact ? 'yes' : 'NO'}. For reference gzip -9 of the shard ${m.gzip.toLocaleString('en-US')}, brotli -11 ${m.brotli.toLocaleString('en-US')} (these still need tfjs's dequantisation after decompressing).`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

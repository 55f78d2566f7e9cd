#!/usr/bin/env node
/*
 * One model, every baseline encoding side by side with auto: bytes, ratio to float32, the
 * decoded model's accuracy on a config's test split, and decode throughput.
 *
 *   node examples/encoding/model-encodings.js --config examples/mobilenet-transfer/smallest.yaml \
 *     out/mobilenet-transfer/model/model.json out/mobilenet-smallest/model/model.json
 *
 * The config supplies the data (its test split, as the pipeline measured it). Encodings:
 * float32, float16 (a cast), tfjs-converter's uint8 (per tensor), uint8 with per-channel
 * scales, auto (lossless: per tensor the smallest of every codec here), and piecewise-linear
 * on the kernels, per tensor and per channel, with every other tensor (biases, BatchNorm)
 * lossless: a bound relative to a vector's largest value is no bound for BatchNorm's moving
 * variances, which span orders of magnitude.
 */
'use strict';
const { arg } = require('../shared/script');
const { measureEncoding } = require('./measure');
const path = require('node:path');
const core = { ...require('@nncompress/core'), ...require('@nncompress/core/model'), ...require('@nncompress/core/data') };
const format = require('@nncompress/format');
const { pwlRegistry } = require('@nncompress/plugin-piecewise-linear');

const ENCODINGS = [
  ['float32', { codec: 'float32', sparse: 'never' }],
  ['float16', { codec: 'float16', sparse: 'never' }],
  ['uint8 (tfjs-converter, per tensor)', { codec: 'uint8', sparse: 'never' }],
  ['uint8, per-channel scales', { codec: 'uint8', sparse: 'never', options: { perChannel: true } }],
  ['auto (lossless)', { codec: 'auto' }],
  ...[0.02, 0.05].flatMap((bound) => [
    [`pwl on kernels, error ≤ ${100 * bound}% of each kernel's largest`, kernels({ codec: 'pwl', relativeError: bound })],
    [`pwl on kernels per channel, error ≤ ${100 * bound}% of each filter's largest`, kernels({ codec: 'pwl', relativeError: bound, options: { perChannel: true } })],
  ]),
];

/** `choice` for kernels (two axes or more), auto lossless for the rest. */
function kernels(choice) {
  return (spec) => (spec.shape.length >= 2 ? choice : { codec: 'auto' });
}

async function main() {
  const files = process.argv.slice(2).filter((a, i, all) => !a.startsWith('--') && all[i - 1] !== '--config');
  if (files.length === 0) throw new Error('give one or more model.json files (and --config for the data)');
  await core.chooseBackend('wasm');
  const data = await core.loadConfiguredData(core.loadConfig(path.resolve(arg('config', 'examples/mobilenet-transfer/smallest.yaml'))));
  const registry = pwlRegistry();
  console.log('| model | encoding | bytes | vs float32 | accuracy | decode |');
  console.log('|---|---|---|---|---|---|');
  for (const file of files) {
    const artifacts = core.readModelArtifacts(file);
    const label = path.basename(path.dirname(path.dirname(path.resolve(file))));
    const float32 = 4 * format.weightValues(artifacts).reduce((n, w) => n + w.values.length, 0);
    for (const [name, choice] of ENCODINGS) {
      const { nnc, accuracy, decodeMBps } = await measureEncoding(artifacts, (values, spec) => (typeof choice === 'function' ? choice(spec) : choice), data, registry);
      console.log(`| ${label} | ${name} | ${nnc.length.toLocaleString('en-US')} | ${(float32 / nnc.length).toFixed(2)}x | ${(100 * accuracy).toFixed(2)}% | ${decodeMBps.toFixed(0)} MB/s |`);
    }
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

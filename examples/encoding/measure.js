/*
 * What an encoding gives, measured the same way by the encoding comparison (compare.js) and
 * the benchmark (bench/run.js): file bytes, the decoded model's test accuracy, and decode
 * throughput.
 */
'use strict';
const core = require('@nncompress/core');
const format = require('@nncompress/format');
const { medianSeconds } = require('../shared/script');

/**
 * Encodes `artifacts` choosing each tensor's codec with `choose(values, spec)`, loads the model back
 * from the file with plain tfjs and evaluates it on `data.test`, and times decoding every
 * tensor (float32 MB out per second, median of 5).
 */
async function measureEncoding(artifacts, choose, data, registry) {
  const nnc = format.encodeArtifacts(artifacts, (spec, values) => choose(values, spec), registry);
  const model = await core.tf.loadLayersModel(format.nncompressIO(nnc, registry));
  const accuracy = core.evaluate(model, data.test).accuracy;
  model.dispose();
  const file = format.readNnc(nnc, registry);
  const float32Bytes = 4 * file.header.tensors.reduce((n, t) => n + t.shape.reduce((a, b) => a * b, 1), 0);
  const seconds = medianSeconds(() => {
    for (const t of file.header.tensors) file.decode(t);
  });
  return { nnc, file, accuracy, decodeMBps: float32Bytes / 1e6 / seconds };
}

/** A parsed container's tensor payloads without the header: what gzip or brotli of a weight shard sees. */
function payloadBytes(file) {
  return file.bytes.subarray(file.bytes.length - file.header.tensors.reduce((n, t) => n + t.length, 0));
}

module.exports = { measureEncoding, payloadBytes };

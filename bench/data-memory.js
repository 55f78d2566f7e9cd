#!/usr/bin/env node
/*
 * One measurement of bench section G, run in its own process so its peak resident memory is
 * its own: loads a data section through core's dataset registry, then makes one shuffled pass
 * over the training split in batches of 32 (as an epoch of fine-tuning reads it), and prints,
 * as JSON, the examples, the bytes its features hold in memory, what they would take as
 * float32, the process's peak RSS, and the load and pass times.
 *
 *   node bench/data-memory.js '<data section as JSON>' '<model input shape as JSON>'
 */
'use strict';
const path = require('node:path');
// Root and subpath entries of core, as one object.
const core = { ...require('@nncompress/core'), ...require('@nncompress/core/data') };

async function main() {
  const spec = JSON.parse(process.argv[2]);
  const inputShape = process.argv[3] ? JSON.parse(process.argv[3]) : undefined;
  const started = performance.now();
  const data = await new core.DatasetRegistry().load(spec, { file: path.join(process.cwd(), 'bench.yaml'), resolvePath: (p) => path.resolve(p), inputShape });
  const seconds = (performance.now() - started) / 1000;
  const passStarted = performance.now();
  for (const batch of data.train.batches(32, data.train.featureShape, new core.Rng(1))) core.tf.dispose([batch.x, batch.y]);
  const passSeconds = (performance.now() - passStarted) / 1000;
  const examples = data.train.size + data.test.size;
  const featureBytes = data.train.rows.bytesInMemory + data.test.rows.bytesInMemory;
  const float32Bytes = 4 * examples * data.train.featureSize;
  process.stdout.write(`${JSON.stringify({ examples, featureShape: data.train.featureShape, featureBytes, float32Bytes, uint8Bytes: examples * data.train.featureSize, peakRssBytes: process.resourceUsage().maxRSS * 1024, seconds, passSeconds })}\n`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

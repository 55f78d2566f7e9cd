#!/usr/bin/env node
/*
 * One measurement of bench section G, run in its own process so its peak resident memory is
 * its own: loads a data section through core's dataset registry and prints, as JSON, the
 * examples, the bytes its features hold, what they would take as float32, and the process's
 * peak RSS (before and after loading).
 *
 *   node bench/data-memory.js '<data section as JSON>' '<model input shape as JSON>'
 */
'use strict';
const path = require('node:path');
const core = require('@nncompress/core');

async function main() {
  const spec = JSON.parse(process.argv[2]);
  const inputShape = process.argv[3] ? JSON.parse(process.argv[3]) : undefined;
  const before = process.resourceUsage().maxRSS * 1024;
  const started = performance.now();
  const data = await new core.DatasetRegistry().load(spec, { file: path.join(process.cwd(), 'bench.yaml'), resolvePath: (p) => path.resolve(p), inputShape });
  const seconds = (performance.now() - started) / 1000;
  const examples = data.train.size + data.test.size;
  const featureBytes = data.train.features.byteLength + data.test.features.byteLength;
  const float32Bytes = 4 * (data.train.features.length + data.test.features.length);
  process.stdout.write(`${JSON.stringify({ examples, featureShape: data.train.featureShape, featureBytes, float32Bytes, rssBeforeBytes: before, peakRssBytes: process.resourceUsage().maxRSS * 1024, seconds })}\n`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

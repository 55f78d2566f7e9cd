#!/usr/bin/env node
/*
 * Filter pruning of the VGG-MNIST baseline for every criterion × ratio × scope, each followed
 * by the same short fine-tune, in one run on one backend. Prints a markdown table.
 *
 *   node examples/vgg-mnist/sweep.js [--train 2000] [--epochs 1]
 */
'use strict';
const { numberArg } = require('../shared/script');
const path = require('node:path');
const os = require('node:os');
const fs = require('node:fs');
const { checkConfig, Pipeline, silentLogger } = require('@nncompress/core');

const trainDigits = numberArg('train', 2000);
const epochs = numberArg('epochs', 1);

async function run(criterion, scope, ratio) {
  const config = checkConfig({
    model: './models/vgg-mnist/model.json',
    seed: 42,
    data: { source: 'mnist', train: trainDigits },
    latency: { repeats: 5 },
    plugins: {
      filters: { use: '@nncompress/plugin-filter-pruning', options: { criterion, scope, batches: 4, batchSize: 32 } },
      finetune: { use: '@nncompress/plugin-finetune', options: { epochs, learningRate: 0.0005 } },
    },
    stages: [{ name: 'prune', target: { filterRatio: ratio } }],
  });
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'vgg-sweep-'));
  const report = await new Pipeline({ file: path.join(__dirname, 'sweep.js'), dir: __dirname, config }, { outDir: path.join(out, 'run'), logger: silentLogger }).run();
  fs.rmSync(out, { recursive: true, force: true });
  return report;
}

async function main() {
  const rows = [];
  for (const ratio of [0.2, 0.4, 0.6]) {
    for (const scope of ['layer', 'global']) {
      for (const criterion of ['min-weight', 'average-weight', 'mean-activation', 'apoz']) {
        const r = await run(criterion, scope, ratio);
        const b = r.baseline;
        const f = r.final;
        rows.push(`| ${ratio} | ${scope} | ${criterion} | ${(100 * b.accuracy).toFixed(2)}% | ${(100 * f.accuracy).toFixed(2)}% | ${(100 * (1 - f.params / b.params)).toFixed(1)}% | ${(100 * (1 - f.flops / b.flops)).toFixed(1)}% | ${(b.latencyMs.batch32 / f.latencyMs.batch32).toFixed(2)}x |`);
        console.error(rows[rows.length - 1]);
      }
    }
  }
  console.log(`fine-tune: ${epochs} epoch(s) on ${trainDigits} digits; accuracy on the 2,004 held-out digits; latency = median batch-32 speed-up, same run\n`);
  console.log('| ratio | scope | criterion | baseline acc. | final acc. | params − | FLOPs − | batch-32 speed-up |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const row of rows) console.log(row);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

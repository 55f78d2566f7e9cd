#!/usr/bin/env node
/*
 * Layer + filter pruning vs filter-only pruning of the VGG-MNIST baseline at the same size.
 * For each layer+filter configuration, the filter-only ratio giving the same parameter count
 * is found by bisection (prune only, no training), then both get the same fine-tune budget:
 * one epoch after each pruning step for layer+filter, the same number of epochs in all for
 * filter-only. One run, one backend. Prints a markdown table.
 *
 *   node examples/vgg-mnist/compare-layers.js [--epochs 1]
 */
'use strict';
const { numberArg } = require('../shared/script');
const path = require('node:path');
const os = require('node:os');
const fs = require('node:fs');
const { checkConfig, Pipeline, silentLogger } = require('@nncompress/core');

const epochs = numberArg('epochs', 1);
const filters = { use: '@nncompress/plugin-filter-pruning', options: { criterion: 'average-weight', scope: 'global' } };

async function run(config) {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'vgg-layers-'));
  try {
    const loaded = { file: path.join(__dirname, 'compare-layers.js'), dir: __dirname, config: checkConfig({ model: './models/vgg-mnist/model.json', seed: 42, ...config }) };
    return await new Pipeline(loaded, { outDir: path.join(out, 'run'), logger: silentLogger }).run();
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
}

/** Parameters left by filter-only pruning at `ratio` (no training; a few test digits). */
async function filterOnlyParams(ratio) {
  const r = await run({ data: { source: 'mnist', test: 100 }, plugins: { filters }, stages: [{ name: 'prune', target: { filterRatio: ratio } }] });
  return r.final.params;
}

/** The filter ratio (to 0.001) whose filter-only model is closest to `params` parameters. */
async function matchingRatio(params) {
  let lo = 0;
  let hi = 0.95;
  while (hi - lo > 0.001) {
    const mid = (lo + hi) / 2;
    if ((await filterOnlyParams(mid)) > params) lo = mid;
    else hi = mid;
  }
  const [a, b] = [await filterOnlyParams(lo), await filterOnlyParams(hi)];
  return Math.abs(a - params) <= Math.abs(b - params) ? lo : hi;
}

function row(method, r) {
  const b = r.baseline;
  const f = r.final;
  return `| ${method} | ${(100 * f.accuracy).toFixed(2)}% | ${f.params.toLocaleString('en-US')} | ${(100 * (1 - f.params / b.params)).toFixed(1)}% | ${(100 * (1 - f.flops / b.flops)).toFixed(1)}% | ${(b.latencyMs.batch32 / f.latencyMs.batch32).toFixed(2)}x |`;
}

async function main() {
  const finetune = (n) => ({ use: '@nncompress/plugin-finetune', options: { epochs: n, learningRate: 0.0005 } });
  const rows = [];
  for (const [count, ratio, criterion] of [[1, 0.3, 'bypass-loss'], [2, 0.3, 'bypass-loss'], [2, 0.3, 'cka'], [2, 0.5, 'bypass-loss']]) {
    const combined = await run({
      data: { source: 'mnist' },
      latency: { repeats: 5 },
      plugins: { layers: { use: '@nncompress/plugin-layer-pruning', options: { criterion } }, filters, finetune: finetune(epochs) },
      stages: [
        { name: 'layers', use: ['layers', 'finetune'], target: { layers: count } },
        { name: 'filters', use: ['filters', 'finetune'], target: { filterRatio: ratio } },
      ],
    });
    const match = await matchingRatio(combined.final.params);
    const alone = await run({
      data: { source: 'mnist' },
      latency: { repeats: 5 },
      plugins: { filters, finetune: finetune(2 * epochs) },
      stages: [{ name: 'filters', target: { filterRatio: match } }],
    });
    rows.push(row(`${count} layer(s) by ${criterion} + filters ${ratio}`, combined), row(`filters only, ratio ${match.toFixed(3)}`, alone));
    console.error(rows.slice(-2).join('\n'));
  }
  console.log(`fine-tune: ${2 * epochs} epoch(s) in all on the 7,996 training digits (Adam 5e-4); accuracy on the 2,004 held-out digits; speed-up = median batch-32 latency ratio, same run\n`);
  console.log('| method | accuracy | params | params − | FLOPs − | batch-32 speed-up |');
  console.log('|---|---|---|---|---|---|');
  for (const r of rows) console.log(r);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

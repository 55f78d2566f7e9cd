#!/usr/bin/env node
/*
 * Library use, no CLI and no config: load a tfjs model, prune it with
 * @nncompress/plugin-magnitude, fine-tune it mask-aware with core's trainer, save it.
 *
 *   node examples/library-use/prune-lenet.js [model.json] [sparsity] [out-dir]
 *
 * Needs only @nncompress/core and @nncompress/plugin-magnitude installed (CI runs it from
 * their packed tarballs in a folder outside the repository).
 */
'use strict';
const path = require('node:path');
const { chooseBackend, loadModel, evaluate, train, saveModel, modelStats, Rng } = require('@nncompress/core');
const { loadMnist } = require('@nncompress/core/data');
const { magnitudePrune } = require('@nncompress/plugin-magnitude');

async function main() {
  const modelPath = process.argv[2] ?? path.join(__dirname, '../mnist-lenet/models/lenet-300-100/model.json');
  const sparsity = Number(process.argv[3] ?? 0.9);
  const outDir = process.argv[4];
  const backend = await chooseBackend();
  const model = await loadModel(modelPath);
  const { train: trainSet, test } = loadMnist({ train: 4000 });

  const before = evaluate(model, test).accuracy;
  const masks = magnitudePrune(model, { sparsity, scope: 'global' });
  const pruned = evaluate(model, test).accuracy;
  train(model, trainSet, { epochs: 1, batchSize: 64, learningRate: 5e-4, rng: new Rng(1), masks });
  const tuned = evaluate(model, test).accuracy;
  const stats = modelStats(model);

  console.log(`backend ${backend.name}`);
  console.log(`accuracy before ${before.toFixed(4)}, after one-shot pruning ${pruned.toFixed(4)}, after 1 fine-tune epoch ${tuned.toFixed(4)}`);
  console.log(`sparsity ${stats.sparsity.toFixed(4)} (${stats.nonzeroParams} of ${stats.params} params non-zero)`);
  if (outDir) {
    await saveModel(model, outDir);
    console.log(`saved ${outDir}`);
  }
  if (Math.abs(stats.sparsity - sparsity) > 0.005 || tuned < before - 0.05) {
    console.error('unexpected result: sparsity off target or accuracy collapsed');
    process.exitCode = 1;
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});

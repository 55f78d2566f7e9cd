/*
 * The two LeNets this project's MNIST examples train and prune, built the same way in every
 * example (seeded Glorot initialisation), so a baseline trained on other digits is the same
 * network.
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { tf, train, evaluate, saveModel, Rng, modelStats } = require('@nncompress/core');

/** LeNet-300-100 (LeCun et al. 1998; Han et al. 2015): 784-300-100-10, 266,610 params. */
function lenet300100(rng) {
  const init = () => tf.initializers.glorotUniform({ seed: rng.childSeed() });
  return tf.sequential({
    name: 'lenet_300_100',
    layers: [
      tf.layers.flatten({ name: 'flatten', inputShape: [28, 28, 1] }),
      tf.layers.dense({ name: 'fc1', units: 300, activation: 'relu', kernelInitializer: init() }),
      tf.layers.dense({ name: 'fc2', units: 100, activation: 'relu', kernelInitializer: init() }),
      tf.layers.dense({ name: 'fc3', units: 10, activation: 'softmax', kernelInitializer: init() }),
    ],
  });
}

/** LeNet-5, Caffe variant (conv 20@5x5, pool, conv 50@5x5, pool, fc 500, fc 10): 431,080 params. */
function lenet5(rng) {
  const init = () => tf.initializers.glorotUniform({ seed: rng.childSeed() });
  return tf.sequential({
    name: 'lenet_5',
    layers: [
      tf.layers.conv2d({ name: 'conv1', inputShape: [28, 28, 1], filters: 20, kernelSize: 5, kernelInitializer: init() }),
      tf.layers.maxPooling2d({ name: 'pool1', poolSize: 2, strides: 2 }),
      tf.layers.conv2d({ name: 'conv2', filters: 50, kernelSize: 5, kernelInitializer: init() }),
      tf.layers.maxPooling2d({ name: 'pool2', poolSize: 2, strides: 2 }),
      tf.layers.flatten({ name: 'flatten' }),
      tf.layers.dense({ name: 'fc1', units: 500, activation: 'relu', kernelInitializer: init() }),
      tf.layers.dense({ name: 'fc2', units: 10, activation: 'softmax', kernelInitializer: init() }),
    ],
  });
}

/**
 * Trains one LeNet from its seed (Adam, batch 64, the learning rate decayed per epoch),
 * evaluates it, and saves it with a training.json beside it that says how it was made.
 */
async function trainAndSave({ name, build, epochs, learningRate, decay, seed }, trainSet, test, dir, about = {}) {
  const rng = new Rng(seed);
  const model = build(rng);
  const started = Date.now();
  train(model, trainSet, {
    epochs,
    batchSize: 64,
    learningRate,
    learningRateDecay: decay,
    rng,
    onEpoch: (epoch, r) => console.log(`${name} epoch ${epoch + 1}/${epochs}: loss ${r.loss.toFixed(4)}, ${((Date.now() - started) / 1000).toFixed(0)} s`),
  });
  const seconds = (Date.now() - started) / 1000;
  const result = evaluate(model, test);
  await saveModel(model, dir);
  const summary = { model: name, params: modelStats(model).params, testAccuracy: result.accuracy, testDigits: result.examples, trainDigits: trainSet.size, ...about, epochs, seconds, backend: tf.getBackend(), seed };
  fs.writeFileSync(path.join(dir, 'training.json'), `${JSON.stringify(summary, null, 2)}\n`);
  console.log(`${name}: test accuracy ${(100 * result.accuracy).toFixed(2)}% in ${seconds.toFixed(0)} s -> ${dir}`);
}

module.exports = { lenet300100, lenet5, trainAndSave };

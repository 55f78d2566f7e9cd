#!/usr/bin/env node
/*
 * Trains the baseline this example compresses: a small MLP that predicts a car's fuel use
 * (miles per gallon) from its cylinders, displacement, horsepower, weight, acceleration,
 * model year and origin — the Auto MPG data of the UCI repository (Quinlan 1993), the
 * regression of TensorFlow's own basic tutorial. The data are read exactly as the pipeline
 * reads them: core's `csv` source, `data` section of pipeline.yaml (standardised features,
 * a seeded 20% test split). The committed model came from:
 *
 *   node examples/tabular-regression/train.js
 *
 * Deterministic: the same seed gives the same weights on the same backend.
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { parse } = require('yaml');
const { chooseBackend, evaluate, modelStats, Rng, saveModel, tf, train } = require('@nncompress/core');
const { makeTask } = require('@nncompress/core/training');
const { DatasetRegistry } = require('@nncompress/core/data');

const SEED = 11;

async function main() {
  const backend = await chooseBackend();
  const config = parse(fs.readFileSync(path.join(__dirname, 'pipeline.yaml'), 'utf8'));
  const task = makeTask(config.task);
  const data = await new DatasetRegistry().load(config.data, { file: path.join(__dirname, 'pipeline.yaml'), resolvePath: (p) => path.resolve(__dirname, p), task });
  const rng = new Rng(SEED);
  const init = () => tf.initializers.glorotUniform({ seed: rng.childSeed() });
  const features = data.train.featureShape[0];
  const model = tf.sequential({
    name: 'auto_mpg_mlp',
    layers: [
      tf.layers.dense({ name: 'fc1', inputShape: [features], units: 64, activation: 'relu', kernelInitializer: init() }),
      tf.layers.dense({ name: 'fc2', units: 32, activation: 'relu', kernelInitializer: init() }),
      tf.layers.dense({ name: 'out', units: 1, kernelInitializer: init() }),
    ],
  });
  const epochs = 300;
  const started = Date.now();
  train(model, data.train, { epochs, batchSize: 32, learningRate: 3e-3, learningRateDecay: 0.99, rng });
  const seconds = (Date.now() - started) / 1000;
  const result = evaluate(model, data.test);
  const dir = path.join(__dirname, 'models', 'mlp');
  await saveModel(model, dir);
  const summary = {
    model: 'auto-mpg-mlp',
    params: modelStats(model).params,
    task: task.kind,
    loss: task.loss,
    testMeanAbsoluteError: result.metric.value,
    testMeanSquaredError: result.loss,
    testCars: result.examples,
    trainCars: data.train.size,
    epochs,
    seconds,
    backend: backend.name,
    seed: SEED,
  };
  fs.writeFileSync(path.join(dir, 'training.json'), `${JSON.stringify(summary, null, 2)}\n`);
  console.log(`auto-mpg-mlp: test MAE ${result.metric.value.toFixed(3)} mpg, MSE ${result.loss.toFixed(3)} on ${result.examples} cars, in ${seconds.toFixed(1)} s -> ${dir}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

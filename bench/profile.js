#!/usr/bin/env node
/*
 * Where a training step's time goes, per phase and per kernel, for LeNet-5 (batch 64, the
 * README example's) and MobileNetV2 at 96×96 (batch 16, the transfer example's), on the
 * current backend, next to the limit the backend's own matrix multiply sets. Section I of
 * `npm run bench`; alone:
 *
 *   node bench/profile.js [--quick] [--kernels N]
 */
'use strict';
const os = require('node:os');
const path = require('node:path');
const { chooseBackend, loadModel, tf } = require('@nncompress/core');
const { attachHead, withTrainableBatchNorm } = require('@nncompress/core/graph');
const { loadModelFromModule } = require('@nncompress/core/model');
const { loadMnist, loadMnistRgb } = require('@nncompress/core/data');
const { matmulGflops, profileTraining } = require('@nncompress/core/training');

const ROOT = path.resolve(__dirname, '..');
const ms = (x) => `${x.toFixed(x >= 10 ? 1 : 2)} ms`;
const share = (x, total) => `${((100 * x) / total).toFixed(1)}%`;

/** The models profiled: a loader for the model and for its data. */
const MODELS = [
  {
    name: 'LeNet-5',
    batchSize: 64,
    batchNorm: undefined,
    model: () => loadModel(path.join(ROOT, 'examples', 'mnist-lenet', 'models', 'lenet-5', 'model.json')),
    data: (n) => loadMnist({ train: n, test: 1 }).train,
  },
  {
    name: 'MobileNetV2 96×96',
    batchSize: 16,
    // As the transfer example fine-tunes it: BatchNorm keeps its pretrained statistics.
    batchNorm: 'freeze',
    // The transfer example's network: nsfwjs's MobileNetV2 cut at out_relu, a 10-class head, 96×96 input.
    model: async () => {
      const shipped = await loadModelFromModule('nsfwjs/models/mobilenet_v2', 'MobileNetV2Model', ROOT);
      const trainable = await withTrainableBatchNorm(shipped);
      const body = trainable ? trainable.model : shipped;
      const model = await attachHead(body, { on: 'out_relu', classes: 10, seed: 1, inputShape: [96, 96, 3] });
      if (trainable) trainable.model.dispose();
      shipped.dispose();
      return model;
    },
    data: (n) => loadMnistRgb({ train: n, test: 1, size: 96 }).train,
  },
];

/** Profiles every model; returns the rows of the phase and kernel tables and the raw profiles. */
async function profileModels({ quick = false, kernels = 8, log = () => {} } = {}) {
  const backend = await chooseBackend('wasm');
  const gflops = matmulGflops();
  const phaseRows = [];
  const kernelRows = [];
  const limitRows = [];
  const results = [];
  // One thread, then every core (data-parallel: the batch split across worker threads).
  const cores = Math.max(1, os.availableParallelism());
  for (const m of MODELS) {
    for (const workers of cores > 1 ? [1, cores] : [1]) {
      const name = workers > 1 ? `${m.name}, ${workers} workers` : m.name;
      log(`I. profiling a ${name} training step (batch ${m.batchSize}) on ${backend.name}`);
      const steps = quick ? 3 : m.batchSize >= 64 ? 20 : 6;
      const model = await m.model();
      const data = m.data(m.batchSize * 4);
      const profile = await profileTraining(model, data, { batchSize: m.batchSize, steps, warmup: 2, learningRate: 1e-4, batchNorm: m.batchNorm, workers });
      model.dispose();
      results.push({ model: m.name, workers, backend: backend.name, matmulGflops: gflops, ...profile });
      for (const p of profile.phases) phaseRows.push([name, p.phase, ms(p.ms), share(p.ms, profile.stepMs)]);
      phaseRows.push([name, '**step**', ms(profile.stepMs), `${profile.examplesPerSecond.toFixed(0)} examples/s`]);
      // The engine's kernel profile sees the calling thread only: kernels are shown for one thread.
      if (workers === 1) for (const k of profile.kernels.slice(0, kernels)) kernelRows.push([name, k.phase, k.kernel, k.calls.toFixed(k.calls % 1 ? 1 : 0), ms(k.ms), share(k.ms, profile.kernelMs), k.slowestInputs]);
      // A training example costs about three forward passes (forward, and the two products of each backward layer); each worker has its own core.
      const limit = (workers * gflops * 1e9) / (3 * profile.forwardFlopsPerExample);
      limitRows.push([name, `${(profile.forwardFlopsPerExample / 1e6).toFixed(1)} MFLOP`, `${workers} × ${gflops.toFixed(1)} GFLOP/s`, `${limit.toFixed(0)} examples/s`, `${profile.examplesPerSecond.toFixed(0)} examples/s`, share(profile.examplesPerSecond, limit)]);
    }
  }
  return { backend: backend.name, phaseRows, kernelRows, limitRows, results };
}

module.exports = { profileModels };

if (require.main === module) {
  const table = (header, rows) => [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
  const arg = process.argv.indexOf('--kernels');
  profileModels({ quick: process.argv.includes('--quick'), kernels: arg > 0 ? Number(process.argv[arg + 1]) : 8, log: (m) => process.stderr.write(`${m}\n`) })
    .then((r) => {
      process.stdout.write(`${table(['model', 'phase', 'per step', 'share'], r.phaseRows)}\n\n`);
      process.stdout.write(`${table(['model', 'phase', 'kernel', 'calls', 'per step', 'of kernel time', 'slowest call\'s inputs'], r.kernelRows)}\n\n`);
      process.stdout.write(`${table(['model', 'forward per example', 'matmul (512²) × workers', 'limit', 'measured', 'of limit'], r.limitRows)}\n`);
      tf.disposeVariables();
    })
    .catch((err) => {
      console.error(err);
      process.exit(1);
    });
}

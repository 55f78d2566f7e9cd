#!/usr/bin/env node
/*
 * Small-weight retention against magnitude pruning on the committed LeNet-300-100 and
 * LeNet-5: at each sparsity, each selector prunes the trained model
 * once (global scope), then every pruned model gets the same short mask-aware fine-tune.
 * Prints test accuracy straight after pruning and after the fine-tune, mean ± std over the
 * seeds (the seed drives the saliency's batches, the search and the fine-tune's shuffling;
 * magnitude's selection has no randomness), and the calibration losses the search saw.
 * Configurations run as jobs on core's process pool (`--jobs` processes; the wasm backend uses
 * one core each), all in one run.
 *
 *   node examples/small-weight-lenet/compare.js [--jobs 2] [--models lenet-300-100,lenet-5]
 *        [--sparsities 0.9,0.95,0.98] [--methods magnitude,saliency-1,saliency-2,search]
 *        [--seeds 1,2,3] [--rho 0.1] [--evaluations 200] [--epochs 1] [--json results.json]
 */
'use strict';
const { arg } = require('../shared/script');
const fs = require('node:fs');
const path = require('node:path');
// Root and subpath entries of core, as one object.
const core = { ...require('@nncompress/core'), ...require('@nncompress/core/data') };
const { magnitudePrune } = require('@nncompress/plugin-magnitude');
const { retainPrune } = require('@nncompress/plugin-small-weight-retention');
const { runJobs } = require('@nncompress/core/jobs');

const modelJson = (name) => path.join(__dirname, '..', 'mnist-lenet', 'models', name, 'model.json');

/** Selector name → how it prunes a model in place; returns the masks and what the search saw. */
const methods = {
  magnitude: (model, job) => ({ masks: magnitudePrune(model, { sparsity: job.sparsity, scope: 'global' }) }),
  'saliency-1': (model, job, data) => retainPrune(model, { sparsity: job.sparsity, data, rho: job.rho, saliency: 'first-order', seed: job.seed }),
  'saliency-2': (model, job, data) => retainPrune(model, { sparsity: job.sparsity, data, rho: job.rho, saliency: 'second-order', seed: job.seed }),
  search: (model, job, data) => retainPrune(model, { sparsity: job.sparsity, data, rho: job.rho, selector: 'search', evaluations: job.evaluations, seed: job.seed }),
};

async function configuration(job) {
  await core.chooseBackend('wasm');
  const data = core.loadMnist();
  const model = await core.loadModel(modelJson(job.model));
  const baseline = core.evaluate(model, data.test).accuracy;
  const started = performance.now();
  const { masks, search } = methods[job.method](model, job, data.train);
  const selectMs = performance.now() - started;
  const oneShot = core.evaluate(model, data.test);
  core.train(model, data.train, { epochs: job.epochs, batchSize: 64, learningRate: 0.0005, learningRateDecay: 0.7, rng: new core.Rng(job.seed), masks });
  const tuned = core.evaluate(model, data.test);
  const losses = search && { magnitude: search.magnitudeLoss, saliency: search.startLoss, search: search.bestLoss };
  return { ...job, baseline, oneShot: oneShot.accuracy, tuned: tuned.accuracy, selectMs, realSparsity: core.modelStats(model).sparsity, losses };
}

const pct = (x) => `${(100 * x).toFixed(2)}%`;
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const meanStd = (xs) => {
  const m = mean(xs);
  const s = Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / Math.max(1, xs.length - 1));
  return `${(100 * m).toFixed(2)} ± ${(100 * s).toFixed(2)}`;
};

async function main() {
  const models = arg('models', 'lenet-300-100,lenet-5').split(',');
  const sparsities = arg('sparsities', '0.9,0.95,0.98').split(',').map(Number);
  const names = arg('methods', Object.keys(methods).join(',')).split(',');
  for (const m of names) if (!methods[m]) throw new Error(`--methods: unknown method "${m}" (known: ${Object.keys(methods).join(', ')})`);
  const seeds = arg('seeds', '1,2,3').split(',').map(Number);
  const rho = Number(arg('rho', '0.1'));
  const evaluations = Number(arg('evaluations', '200'));
  const epochs = Number(arg('epochs', '1'));
  const jobsN = Number(arg('jobs', '1'));
  const started = Date.now();
  // The slow configurations (LeNet-5, search) first, so the pool ends with short ones.
  const cost = (job) => (job.model === 'lenet-5' ? 2 : 0) + (job.method === 'search' ? 1 : 0);
  const jobs = models
    .flatMap((model) => sparsities.flatMap((sparsity) => names.flatMap((method) => seeds.map((seed) => ({ model, sparsity, method, seed, rho, evaluations, epochs })))))
    .sort((a, b) => cost(b) - cost(a));
  // This file is the jobs' handler: a job process loads it and calls runJob (below) with each input.
  const results = await runJobs(jobs.map((input) => ({ handler: __filename, input })), {
    processes: jobsN,
    onEvent: (e) => e.kind === 'done' && console.error(`${e.result.model} ${e.result.sparsity} ${e.result.method} seed ${e.result.seed}: one-shot ${pct(e.result.oneShot)}, fine-tuned ${pct(e.result.tuned)}, ${(e.result.selectMs / 1000).toFixed(1)} s (${e.done}/${e.total})`),
  });
  const json = arg('json', undefined);
  if (json) fs.writeFileSync(json, JSON.stringify(results, null, 1));
  console.log(`Global selection, rho ${rho}, search ${evaluations} evaluations on 1,000 training digits; then ${epochs} fine-tune epoch(s) at lr 5e-4, batch 64; ${seeds.length} seeds; test accuracy on the 2,004 held-out digits; ${((Date.now() - started) / 60000).toFixed(1)} min, ${jobsN} job(s)\n`);
  console.log('| model (baseline) | sparsity | method | one-shot (%) | after fine-tune (%) | Δ fine-tuned vs magnitude | calibration loss: magnitude → saliency → search | selection time |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const model of models) {
    for (const sparsity of sparsities) {
      const of = (method) => results.filter((r) => r.model === model && r.sparsity === sparsity && r.method === method);
      const reference = of('magnitude');
      for (const method of names) {
        const rs = of(method);
        const delta = reference.length && method !== 'magnitude' ? `${(100 * (mean(rs.map((r) => r.tuned)) - mean(reference.map((r) => r.tuned)))).toFixed(2)}` : '';
        const losses = rs[0].losses ? `${mean(rs.map((r) => r.losses.magnitude)).toFixed(3)} → ${mean(rs.map((r) => r.losses.saliency)).toFixed(3)} → ${mean(rs.map((r) => r.losses.search)).toFixed(3)}` : '';
        console.log(`| ${model} (${pct(rs[0].baseline)}) | ${sparsity} (${pct(rs[0].realSparsity)}) | ${method} | ${meanStd(rs.map((r) => r.oneShot))} | ${meanStd(rs.map((r) => r.tuned))} | ${delta} | ${losses} | ${(mean(rs.map((r) => r.selectMs)) / 1000).toFixed(1)} s |`);
      }
    }
  }
}

exports.runJob = configuration;

if (require.main === module)
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });

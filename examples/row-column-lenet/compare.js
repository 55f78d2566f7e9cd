#!/usr/bin/env node
/*
 * Row-and-column pruning of the committed LeNet-5 by every selector, at several sparsities,
 * over several seeds, all with the same short fine-tune:
 *   - accuracy straight after pruning and after the fine-tune, mean ± std over the seeds;
 *   - the live importance kept (a kept column whose input channel was removed keeps nothing);
 *   - for the first seed, batch-32 time of each pruned layer's GEMM: the original kernel,
 *     the masked original (same shape, zeros: what unstructured masks cost), and the packed
 *     im2col GEMM over kept rows × kept columns; and the whole model before and after
 *     compaction (dead channels removed physically).
 * Configurations run as jobs on core's process pool (`--jobs` processes; the wasm backend uses
 * one core each), all in one run.
 *
 *   node examples/row-column-lenet/compare.js [--jobs 2] [--sparsities 0.8,0.9,0.93]
 *        [--methods greedy,global-greedy,local-sa,neighboring-sa] [--seeds 1,2,3] [--epochs 1]
 *        [--exclude conv1]   (layers left whole, as in pipeline.yaml; '' for none)
 */
'use strict';
const { arg } = require('../shared/script');
const path = require('node:path');
// Root and subpath entries of core, as one object.
const core = { ...require('@nncompress/core'), ...require('@nncompress/core/graph'), ...require('@nncompress/core/model'), ...require('@nncompress/core/data') };
const rc = require('@nncompress/plugin-row-column');
const { runJobs } = require('@nncompress/core/jobs');

const { tf } = core;
const modelJson = path.join(__dirname, '..', 'mnist-lenet', 'models', 'lenet-5', 'model.json');

/** Median milliseconds of `fn` (which returns a tensor, read back) over `repeats` after warm-up. */
function medianMs(fn, repeats = 15, warmup = 3) {
  const times = [];
  for (let i = 0; i < warmup + repeats; i++) {
    const start = performance.now();
    // Read back a scalar: reading a large wasm tensor costs more than computing it.
    tf.tidy(() => tf.sum(fn()).dataSync());
    if (i >= warmup) times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

/** Rows and GEMM columns of a kernel mask that hold a kept entry. */
function keptOf(mask, view) {
  const rows = new Uint8Array(view.rows);
  const cols = new Uint8Array(view.cols);
  mask.forEach((v, f) => {
    if (v) {
      rows[f % view.rows] = 1;
      cols[Math.floor(f / view.rows)] = 1;
    }
  });
  const ones = (a) => [...a.keys()].filter((k) => a[k]);
  return { keptRows: ones(rows), keptCols: ones(cols) };
}

/** The original layer's GEMM (conv or matmul with its full kernel) on input `x`. */
function denseOp(layer, kernel, x) {
  if (layer.getClassName() === 'Dense') return () => tf.matMul(x.rank > 2 ? tf.reshape(x, [x.shape[0], -1]) : x, kernel);
  const { strides, padding } = layer.getConfig();
  return () => tf.conv2d(x, kernel, strides, padding);
}

/** Batch-32 GEMM times per layer: original, masked, packed. */
function gemmTimes(model, views, masks, x) {
  const probe = tf.model({ inputs: model.inputs, outputs: views.map((v) => model.getLayer(v.weight.layerName).input) });
  const inputs = [probe.predict(x)].flat();
  const rows = views.map((view, l) => {
    const layer = model.getLayer(view.weight.layerName);
    const kernel = layer.getWeights()[0];
    const mask = masks.get(view.weight.name);
    const maskT = tf.tensor(mask, kernel.shape, 'bool');
    const masked = tf.where(maskT, kernel, tf.zerosLike(kernel));
    const { keptRows, keptCols } = keptOf(mask, view);
    const packed = rc.packGemmLayer(model, view, keptRows, keptCols);
    const t = {
      layer: view.weight.layerName,
      shape: `${keptRows.length}/${view.rows} × ${keptCols.length}/${view.cols}`,
      original: medianMs(denseOp(layer, kernel, inputs[l])),
      masked: medianMs(denseOp(layer, masked, inputs[l])),
      packed: medianMs(() => packed.apply(inputs[l])),
    };
    packed.dispose();
    tf.dispose([maskT, masked]);
    return t;
  });
  tf.dispose(inputs);
  return rows;
}

async function configuration({ sparsity, method, seed, epochs, exclude, timing }) {
  await core.chooseBackend('wasm');
  const data = core.loadMnist();
  const model = await core.loadModel(modelJson);
  const baseline = core.evaluate(model, data.test).accuracy;
  const views = rc.gemmViews(model);
  const scores = rc.scoreGemmWeights(model, 'magnitude');
  const options = { method, layers: [], exclude, ...rc.annealDefaults };
  const started = performance.now();
  const { masks } = rc.selectRowColumn(model, scores, sparsity, options, new core.Rng(seed));
  const selectMs = performance.now() - started;
  const problem = rc.coupledProblem(views.filter((v) => masks.has(v.weight.name)), scores, core.analyzeChannels(model), sparsity);
  const selections = problem.layers.map((layer) => {
    const view = views.find((v) => v.weight.layerName === layer.name);
    return keptOf(masks.get(view.weight.name), view);
  });
  let total = 0;
  for (const layer of problem.layers) for (const v of layer.importance) total += v;
  const live = rc.liveImportance(problem, selections) / total;
  const maskSet = new core.MaskSet();
  for (const [name, m] of masks) maskSet.set(name, m);
  maskSet.apply(model);
  const oneShot = core.evaluate(model, data.test).accuracy;
  core.train(model, data.train, { epochs, batchSize: 64, learningRate: 0.0005, learningRateDecay: 0.7, rng: new core.Rng(seed), masks: maskSet });
  const tuned = core.evaluate(model, data.test).accuracy;
  const stats = core.modelStats(model);
  const result = { sparsity, method, seed, baseline, oneShot, tuned, live, selectMs, realSparsity: stats.sparsity };
  if (timing) {
    const x = data.test.batch(0, 32, core.modelInputShape(model)).x;
    result.gemm = gemmTimes(model, views.filter((v) => masks.has(v.weight.name)), masks, x);
    const byLayer = new Map(core.prunableWeights(model).filter((w) => maskSet.get(w.name)).map((w) => [w.layerName, maskSet.get(w.name)]));
    const calibration = data.train.batch(0, 256, core.modelInputShape(model)).x;
    const compact = await core.compactMasked(model, core.analyzeChannels(model), byLayer, calibration);
    result.compact = {
      params: compact.model.countParams(),
      flops: core.modelStats(compact.model).flops,
      accuracy: core.evaluate(compact.model, data.test).accuracy,
      batch32: core.medianPredictMs(compact.model, 32, 15, 3),
    };
    result.original = { params: model.countParams(), flops: stats.flops, batch32: core.medianPredictMs(model, 32, 15, 3) };
  }
  return result;
}

const pct = (x) => `${(100 * x).toFixed(2)}%`;
const meanStd = (xs) => {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  const s = Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / Math.max(1, xs.length - 1));
  return `${(100 * m).toFixed(2)} ± ${(100 * s).toFixed(2)}`;
};

async function main() {
  const sparsities = arg('sparsities', '0.8,0.9,0.93').split(',').map(Number);
  const methods = arg('methods', 'greedy,global-greedy,local-sa,neighboring-sa').split(',');
  const seeds = arg('seeds', '1,2,3').split(',').map(Number);
  const epochs = Number(arg('epochs', '1'));
  const started = Date.now();
  const exclude = arg('exclude', 'conv1').split(',').filter(Boolean);
  const jobs = sparsities.flatMap((sparsity) => methods.flatMap((method) => seeds.map((seed, i) => ({ sparsity, method, seed, epochs, exclude, timing: i === 0 }))));
  // This file is the jobs' handler: a job process loads it and calls runJob (below) with each input.
  const results = await runJobs(jobs.map((input) => ({ handler: __filename, input })), {
    processes: Number(arg('jobs', '1')),
    onEvent: (e) => e.kind === 'done' && console.error(`${e.result.method} ${e.result.sparsity} seed ${e.result.seed}: one-shot ${pct(e.result.oneShot)}, fine-tuned ${pct(e.result.tuned)}, live importance ${pct(e.result.live)} (${e.done}/${e.total})`),
  });
  console.log(`LeNet-5 (${pct(results[0].baseline)} baseline), ${exclude.length ? `${exclude.join(', ')} left whole, ` : ''}${seeds.length} seeds, one-shot selection then ${epochs} fine-tune epoch(s) at lr 5e-4; ${((Date.now() - started) / 60000).toFixed(1)} min, ${arg('jobs', '1')} job(s)\n`);
  console.log('| sparsity (model) | method | one-shot accuracy (%) | after fine-tune (%) | live importance kept | selection time |');
  console.log('|---|---|---|---|---|---|');
  for (const sparsity of sparsities) {
    for (const method of methods) {
      const rs = results.filter((r) => r.sparsity === sparsity && r.method === method);
      console.log(`| ${sparsity} (${pct(rs[0].realSparsity)}) | ${method} | ${meanStd(rs.map((r) => r.oneShot))} | ${meanStd(rs.map((r) => r.tuned))} | ${pct(rs[0].live)} | ${(rs[0].selectMs / 1000).toFixed(1)} s |`);
    }
  }
  console.log('\nBatch-32 GEMM time of the pruned layers, summed (ms, median of 15), and the whole model before and after compaction (first seed):\n');
  console.log('| sparsity | method | original | masked | packed im2col | packed speed-up | compacted params | compacted FLOPs | model batch-32 (ms) | compacted (ms) | accuracy unchanged |');
  console.log('|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of results.filter((x) => x.gemm)) {
    const sum = (k) => r.gemm.reduce((a, g) => a + g[k], 0);
    console.log(`| ${r.sparsity} | ${r.method} | ${sum('original').toFixed(2)} | ${sum('masked').toFixed(2)} | ${sum('packed').toFixed(2)} | ${(sum('original') / sum('packed')).toFixed(2)}x | ${r.compact.params.toLocaleString('en-US')} (−${pct(1 - r.compact.params / r.original.params)}) | −${pct(1 - r.compact.flops / r.original.flops)} | ${r.original.batch32.toFixed(2)} | ${r.compact.batch32.toFixed(2)} | ${r.compact.accuracy === r.tuned ? 'yes' : `no (${pct(r.compact.accuracy)})`} |`);
  }
  console.log('\nPer layer (first seed, kept rows/rows × kept columns/columns; ms):\n');
  console.log('| sparsity | method | layer | kept | original | masked | packed |');
  console.log('|---|---|---|---|---|---|---|');
  for (const r of results.filter((x) => x.gemm)) {
    for (const g of r.gemm) console.log(`| ${r.sparsity} | ${r.method} | ${g.layer} | ${g.shape} | ${g.original.toFixed(3)} | ${g.masked.toFixed(3)} | ${g.packed.toFixed(3)} |`);
  }
}

exports.runJob = configuration;

if (require.main === module)
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });

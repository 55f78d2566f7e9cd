#!/usr/bin/env node
/*
 * Filter pruning of the transferred MobileNetV2 for every criterion × ratio, with the recipe
 * of pipeline.yaml: the transfer stage runs once, then each configuration prunes that same
 * transferred model with pipeline.yaml's prune stage (only the criterion and the ratio
 * change) and recovers it the same way. Baseline and pruned model are measured in the same
 * run (accuracy on the same held-out digits, params, FLOPs, median latency). Prints a
 * markdown table.
 *
 *   node examples/mobilenet-transfer/sweep.js [--jobs 2] [--ratios 0.2,0.4,0.6] [--criteria apoz,l2-weight]
 *        [--transfer out/mobilenet-transfer/model/model.json]   (reuse a transferred model)
 *
 * --jobs runs configurations as jobs on that many of core's job processes (the wasm backend
 * uses one core each); latency ratios stay within one process, so they compare like with like.
 */
'use strict';
const { arg } = require('../shared/script');
const path = require('node:path');
const os = require('node:os');
const fs = require('node:fs');
const { loadConfig, checkConfig, Pipeline, silentLogger } = require('@nncompress/core');
const { runJobs } = require('@nncompress/core/jobs');

const pipelineFile = path.join(__dirname, 'pipeline.yaml');

/** pipeline.yaml, split into its transfer stage and its prune stage. */
function recipe() {
  const { config } = loadConfig(pipelineFile);
  const [transfer, prune] = config.stages;
  if (!transfer || !prune || !prune.target || prune.target.filterRatio === undefined) {
    throw new Error(`${pipelineFile}: expected a transfer stage, then a prune stage with target.filterRatio`);
  }
  return { config, transfer, prune };
}

async function runPipeline(config, outDir) {
  const loaded = { file: pipelineFile, dir: __dirname, config: checkConfig(config) };
  return new Pipeline(loaded, { outDir, logger: silentLogger }).run();
}

/** Runs the transfer stage once; returns the folder holding the transferred model. */
async function transferOnce(work) {
  const { config, transfer } = recipe();
  const out = path.join(work, 'transfer');
  await runPipeline({ ...config, stages: [transfer] }, out);
  return path.join(out, 'model', 'model.json');
}

/** One configuration: prune the transferred model by `criterion` at `ratio`, recover, measure. */
async function prune(modelJson, criterion, ratio, work) {
  const { config, prune: stage } = recipe();
  const filterName = stage.use.find((n) => config.plugins[n].use === '@nncompress/plugin-filter-pruning');
  const filters = config.plugins[filterName];
  // The transferred model already has its head and input size: no second head.
  const { headOn: _unused, ...options } = filters.options;
  const run = {
    ...config,
    model: modelJson,
    plugins: { ...config.plugins, [filterName]: { ...filters, options: { ...options, criterion } } },
    stages: [{ ...stage, name: `${criterion}-${ratio}`, target: { ...stage.target, filterRatio: ratio } }],
  };
  const out = fs.mkdtempSync(path.join(work, 'run-'));
  try {
    const r = await runPipeline(run, path.join(out, 'run'));
    return { criterion, ratio, baseline: r.baseline, final: r.final, durationMs: r.durationMs };
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
}

const pct = (x) => `${(100 * x).toFixed(1)}%`;
const line = (r) =>
  `| ${r.ratio} | ${r.criterion} | ${pct(r.final.accuracy)} | ${(100 * (r.final.accuracy - r.baseline.accuracy)).toFixed(1)} | ${r.final.params.toLocaleString('en-US')} (−${pct(1 - r.final.params / r.baseline.params)}) | ${(r.final.flops / 1e6).toFixed(1)}M (−${pct(1 - r.final.flops / r.baseline.flops)}) | ${(r.baseline.latencyMs.batch1 / r.final.latencyMs.batch1).toFixed(2)}x | ${(r.baseline.latencyMs.batch32 / r.final.latencyMs.batch32).toFixed(2)}x |`;

async function main() {
  const ratios = arg('ratios', '0.2,0.4,0.6').split(',').map(Number);
  const criteria = arg('criteria', 'min-weight,average-weight,mean-activation,apoz').split(',');
  const jobsN = Number(arg('jobs', '1'));
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'mobilenet-sweep-'));
  const started = Date.now();
  try {
    const given = arg('transfer', undefined);
    if (!given) console.error('transfer: training the new head and the whole network once …');
    const modelJson = given ? path.resolve(given) : await transferOnce(work);
    const jobs = ratios.flatMap((ratio) => criteria.map((criterion) => ({ modelJson, criterion, ratio, work })));
    // This file is the jobs' handler: a job process loads it and calls runJob (below) with each input.
    const results = await runJobs(jobs.map((input) => ({ handler: __filename, input })), { processes: jobsN, onEvent: (e) => e.kind === 'done' && console.error(line(e.result)) });
    const b = results[0].baseline;
    console.log(`unpruned transfer: ${pct(b.accuracy)} on the held-out digits, ${b.params.toLocaleString('en-US')} params, ${(b.flops / 1e6).toFixed(1)}M FLOPs; latency measured per run (median)`);
    console.log(`total ${((Date.now() - started) / 60000).toFixed(1)} min, ${jobsN} job(s)\n`);
    console.log('| ratio | criterion | accuracy | Δ points | params | FLOPs | batch-1 speed-up | batch-32 speed-up |');
    console.log('|---|---|---|---|---|---|---|---|');
    for (const r of results) console.log(line(r));
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

exports.runJob = (job) => prune(job.modelJson, job.criterion, job.ratio, job.work);

if (require.main === module)
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });

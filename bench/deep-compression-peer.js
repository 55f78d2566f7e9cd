/**
 * Deep Compression (Han, Mao & Dally 2016) run in PyTorch (bench/peer-deep-compression.py) from
 * the standard LeNet-5's weights, with examples/mnist-standard/smallest.yaml's rounds and
 * fine-tuning budget: the bench's like-with-like peer of that config (section H).
 *
 *   node bench/deep-compression-peer.js [--sparsity 0.975] [seed …]
 *
 * runs it at smallest.yaml's global sparsity (or the one given) once per seed (1 by default),
 * prints one JSON line per seed and the mean error and bytes: a peer's single run is one draw
 * of its shuffling, as ours is of the config's seed.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const core = { ...require('@nncompress/core'), ...require('@nncompress/core/model') };
const { roundTargets } = require('@nncompress/core/internal');
const format = require('@nncompress/format');

const SMALLEST = path.resolve(__dirname, '..', 'examples', 'mnist-standard', 'smallest.yaml');

/** Deep Compression's own per-layer sparsities for LeNet-5 (Han, Mao & Dally 2016, Table 2: conv1 keeps 66%, conv2 12%, fc1 8%, fc2 19%). */
const DEEP_COMPRESSION_LENET5 = [0.34, 0.88, 0.92, 0.81];

/** A python3 that imports torch, and torch's version (Debian's python3-torch installs for /usr/bin/python3, which may not be first on PATH); undefined when none does. */
function torchPython() {
  for (const python of ['python3', '/usr/bin/python3']) {
    const r = spawnSync(python, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
    if (r.status === 0) return { python, version: r.stdout.trim() };
  }
  return undefined;
}

/**
 * The peer's inputs in a folder of `work`: smallest.yaml's starting weights (weights.bin), its
 * pruning rounds (at `sparsity` instead of its own when given), the digits' folder and the
 * float32 size the ratios are taken against.
 */
function peerInputs(work, sparsity) {
  const loaded = core.loadConfig(SMALLEST);
  const prune = loaded.config.stages[0];
  const rounds = roundTargets(sparsity ?? prune.target.sparsity, prune.schedule);
  const folder = fs.mkdtempSync(path.join(work, 'dc-'));
  const weights = format.weightValues(core.readModelArtifacts(path.resolve(loaded.dir, loaded.config.model)));
  fs.writeFileSync(path.join(folder, 'weights.bin'), Buffer.concat(weights.map((w) => Buffer.from(w.values.buffer, w.values.byteOffset, w.values.byteLength))));
  return {
    folder,
    rounds,
    shapes: weights.map((w) => w.spec.shape),
    data: path.resolve(loaded.dir, loaded.config.data.path),
    float32: 4 * weights.reduce((n, w) => n + w.values.length, 0),
  };
}

/** One run of the peer: per-round sparsities (one global number or each layer's), smallest.yaml's budget; its JSON result. */
function runPeer(torch, inputs, perRound, seed = 1) {
  // The budget of smallest.yaml: one epoch a pruning round, then its polish epochs for recovery and for the shared values.
  const meta = { weightShapes: inputs.shapes, batchSize: 64, rounds: perRound, pruneEpochs: 1, pruneLearningRate: 0.0005, recoverEpochs: 3, recoverLearningRate: 0.0002, decay: 0.8, shareEpochs: 3, bits: [8, 8, 5, 5], indexBits: [8, 8, 5, 5] };
  fs.writeFileSync(path.join(inputs.folder, 'meta.json'), JSON.stringify(meta));
  const p = spawnSync(torch.python, [path.join(__dirname, 'peer-deep-compression.py'), inputs.folder, inputs.data, '1', String(seed)], { encoding: 'utf8' });
  if (p.status !== 0) throw new Error(`bench/peer-deep-compression.py failed: ${p.stderr.trim().split('\n').pop()}`);
  return JSON.parse(p.stdout.trim().split('\n').pop());
}

/** The paper's per-layer ratios scaled along smallest.yaml's rounds. */
function paperRounds(rounds) {
  const final = rounds[rounds.length - 1];
  return rounds.map((r) => DEEP_COMPRESSION_LENET5.map((s) => (s * r) / final));
}

function main(argv) {
  const at = argv.indexOf('--sparsity');
  const sparsity = at >= 0 ? Number(argv[at + 1]) : undefined;
  if (at >= 0 && !(sparsity > 0 && sparsity < 1)) throw new Error(`--sparsity: a number between 0 and 1, got ${argv[at + 1]}`);
  const seeds = (at >= 0 ? [...argv.slice(0, at), ...argv.slice(at + 2)] : argv).map(Number);
  if (seeds.some((s) => !Number.isInteger(s) || s < 0)) throw new Error(`seeds: whole numbers, got ${argv.join(' ')}`);
  const torch = torchPython();
  if (!torch) throw new Error('python3 cannot import torch (apt-get install python3-torch)');
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'nnc-peer-'));
  try {
    const inputs = peerInputs(work, sparsity);
    const results = (seeds.length > 0 ? seeds : [1]).map((seed) => {
      const r = runPeer(torch, inputs, inputs.rounds, seed);
      console.log(JSON.stringify({ seed, sparsity: inputs.rounds[inputs.rounds.length - 1], ...r }));
      return r;
    });
    const mean = (f) => results.reduce((n, r) => n + f(r), 0) / results.length;
    console.log(`mean of ${results.length}: error ${(100 * mean((r) => 1 - r.accuracy)).toFixed(3)}% (after recovery, before sharing ${(100 * mean((r) => 1 - r.prunedAccuracy)).toFixed(3)}%), ${Math.round(mean((r) => r.bytes))} bytes`);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

if (require.main === module) {
  try {
    main(process.argv.slice(2));
  } catch (err) {
    console.error(`deep-compression-peer: ${err.message}`);
    process.exit(1);
  }
}

module.exports = { torchPython, peerInputs, runPeer, paperRounds };

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO } from './helpers';


// `npm run bench -- --quick` end to end (the full run is the committed bench/results.json):
// it must exit 0, print every table, and record figures that are internally consistent.
it('bench --quick prints its tables and writes consistent results', () => {
  const r = spawnSync(process.execPath, [path.join(REPO, 'bench/run.js'), '--quick'], { cwd: REPO, encoding: 'utf8', env: { ...process.env, CI: 'true' }, timeout: 600_000 });
  expect(r.status).toBe(0);
  for (const section of ['A. Compression', 'B. Structured pruning', 'C. Training throughput', 'D. Decode throughput', 'E. Row-and-column pruning', 'K. Decode throughput of the newer layouts']) expect(r.stdout).toContain(`### ${section}`);
  const results = JSON.parse(fs.readFileSync(path.join(REPO, 'bench/results-quick.json'), 'utf8'));
  expect(results.quick).toBe(true);
  const ratio = (prefix: string): number => results.compression.find((x: { encoding: string }) => x.encoding.startsWith(prefix)).ratio;
  // Taking the zeros out must beat the dense uint8 file several times over at 95% sparsity.
  expect(ratio('uint8 + zeros')).toBeGreaterThan(5 * ratio('uint8, tfjs'));
  expect(ratio('float32')).toBeCloseTo(1, 1);
  // Lossless auto keeps only the 5% of weights left and their positions: well over 10x, without a bound.
  expect(ratio('auto')).toBeGreaterThan(10 * ratio('float32'));
  for (const s of results.structured) expect(s.flops).toBeGreaterThan(1);
  expect(results.rowColumn.maxGap.localSa).toBeGreaterThanOrEqual(0);
  // The training profile covers both networks, with kernels in the forward and backward passes.
  expect(r.stdout).toContain("### I. Where a training step's time goes");
  const profiles: { model: string; workers: number; phases: { phase: string }[] }[] = results.trainingProfile;
  expect(profiles.filter((p) => p.workers === 1).map((p) => p.model)).toEqual(['LeNet-5', 'MobileNetV2 96×96']);
  // With more than one core, each network is profiled again with a worker per core, and the step shows the wait for the workers.
  const cores = os.availableParallelism();
  if (cores > 1) {
    expect(profiles.filter((p) => p.workers > 1).map((p) => [p.model, p.workers])).toEqual([['LeNet-5', cores], ['MobileNetV2 96×96', cores]]);
    for (const p of profiles.filter((x) => x.workers > 1)) expect(p.phases.map((x) => x.phase)).toContain('workers');
  }
  for (const p of results.trainingProfile) {
    const phases = new Set(p.kernels.map((k: { phase: string }) => k.phase));
    expect([phases.has('forward'), phases.has('backward'), phases.has('optimizer')]).toEqual([true, true, true]);
    expect(p.forwardFlopsPerExample).toBeGreaterThan(1e6);
  }
  expect(results.rowColumn.maxGap.greedy).toBeLessThanOrEqual(1);
  expect(results.training.some((t: { backend: string }) => t.backend === 'wasm')).toBe(true);
});

// The PyTorch peer's own command (its runs take minutes and are the full bench's): bad
// arguments are one line naming them and a non-zero exit, before any training.
it('deep-compression-peer refuses a sparsity outside (0, 1) and a seed that is not a whole number, naming them', () => {
  const run = (...args: string[]): ReturnType<typeof spawnSync> => spawnSync(process.execPath, [path.join(REPO, 'bench/deep-compression-peer.js'), ...args], { cwd: REPO, encoding: 'utf8' });
  const sparsity = run('--sparsity', '2', '1');
  expect(sparsity.status).toBe(1);
  expect(String(sparsity.stderr).trim()).toBe('deep-compression-peer: --sparsity: a number between 0 and 1, got 2');
  const seed = run('1.5');
  expect(seed.status).toBe(1);
  expect(String(seed.stderr).trim()).toBe('deep-compression-peer: seeds: whole numbers, got 1.5');
});

#!/usr/bin/env node
// Runs every test file that holds fast-check properties with a random seed and many more
// cases than `npm test` does (which uses a fixed seed, see test/setup.ts), to
// search for new counterexamples. `npm run test:explore [-- --runs N]`.
const { readdirSync, readFileSync, statSync } = require('node:fs');
const { join, relative } = require('node:path');
const { spawnSync } = require('node:child_process');

const root = join(__dirname, '..');
const runsAt = process.argv.indexOf('--runs');
const runs = runsAt > 0 ? process.argv[runsAt + 1] : '5000';
if (!/^[1-9]\d*$/.test(runs)) {
  console.error(`explore-properties: --runs takes a positive integer, got "${runs}"`);
  process.exit(2);
}

function testFiles(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === 'node_modules' || name === 'dist') return [];
    if (statSync(path).isDirectory()) return testFiles(path);
    return name.endsWith('.test.ts') ? [path] : [];
  });
}
const files = ['packages', 'plugins', 'examples']
  .flatMap((dir) => testFiles(join(root, dir)))
  .filter((file) => readFileSync(file, 'utf8').includes("from 'fast-check'"))
  .map((file) => relative(root, file));

console.log(`exploring ${files.length} property files with ${runs} cases per property, random seeds`);
const fuzzReport = join(require('node:os').tmpdir(), `nnc-fuzz-${process.pid}.json`);
const jest = spawnSync(process.execPath, [require.resolve('jest/bin/jest'), '--runTestsByPath', ...files], {
  cwd: root,
  stdio: 'inherit',
  // The container fuzz suite generates FUZZ_CASES hostile files (3,000 in npm test).
  env: { ...process.env, FC_SEED: 'random', FC_RUNS: runs, FUZZ_CASES: process.env.FUZZ_CASES ?? '100000', FUZZ_REPORT: fuzzReport },
});
// What the fuzzed files cost, against the bounds docs/security.md states (measured, not asserted).
try {
  const cost = JSON.parse(readFileSync(fuzzReport, 'utf8'));
  const within = (x, bound) => (x <= bound ? 'within' : 'OVER');
  console.log(`fuzz: ${cost.cases} containers; slowest ${cost.slowestMs.toFixed(1)} ms (${cost.slowestKind}; ${within(cost.slowestMs, 1000)} the 1 s bound); peak resident memory ${(cost.peakRssBytes / 2 ** 20).toFixed(0)} MiB (${within(cost.peakRssBytes, 2 ** 30)} the 1 GiB bound)`);
  require('node:fs').rmSync(fuzzReport);
} catch {
  console.log('fuzz: the container fuzz suite wrote no cost report (did it run?)');
}
process.exit(jest.status ?? 1);

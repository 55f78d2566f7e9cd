/*
 * Small helpers the experiment scripts (and bench/run.js) share: command-line options and
 * a median timer.
 */
'use strict';

/** The value after `--name` on the command line, or `fallback` when the option is absent. */
function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const value = process.argv[i + 1];
  if (value === undefined || value.startsWith('--')) throw new Error(`--${name} needs a value`);
  return value;
}

/** `--name` as a number; anything that is not one is an error naming the option. */
function numberArg(name, fallback) {
  const value = arg(name, undefined);
  if (value === undefined) return fallback;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new Error(`--${name} takes a number, got "${value}"`);
  return n;
}

/** Median wall time of `runs` calls of `fn`, in seconds. */
function medianSeconds(fn, runs = 5) {
  const t = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    fn();
    t.push((performance.now() - start) / 1000);
  }
  return t.sort((a, b) => a - b)[Math.floor(runs / 2)];
}

module.exports = { arg, numberArg, medianSeconds };

/*
 * The child-process pool the experiment scripts share (sweeps and comparisons run one
 * configuration per process because the wasm backend uses one core).
 *
 *   if (isWorker()) serveJobs(runOneConfiguration);
 *   else runInWorkers(__filename, jobs, 2, (result, done, total) => console.error(...));
 */
'use strict';
const { fork } = require('node:child_process');

const isWorker = () => process.argv.includes('--worker');

/** In a worker: answers every job message with `{ ok, result }` or `{ ok: false, error }`. */
function serveJobs(run) {
  process.on('message', async (job) => {
    try {
      process.send({ ok: true, result: await run(job) });
    } catch (err) {
      process.send({ ok: false, error: String(err && err.stack ? err.stack : err) });
    }
  });
}

/**
 * Runs `jobs` on `n` child processes of `script` (started with `--worker`); resolves with
 * the results in job order. The first failure kills the other workers and rejects with the
 * job that failed.
 */
function runInWorkers(script, jobs, n, onResult = () => {}) {
  return new Promise((resolve, reject) => {
    const results = new Array(jobs.length);
    const children = [];
    let next = 0;
    let done = 0;
    const fail = (err) => {
      children.forEach((c) => c.kill());
      reject(err);
    };
    const feed = (child) => {
      if (next >= jobs.length) return child.disconnect();
      const index = next++;
      child.once('message', (msg) => {
        if (!msg.ok) return fail(new Error(`${JSON.stringify(jobs[index])}: ${msg.error}`));
        results[index] = msg.result;
        onResult(msg.result, ++done, jobs.length);
        if (done === jobs.length) resolve(results);
        feed(child);
      });
      child.send(jobs[index]);
    };
    if (jobs.length === 0) return resolve(results);
    for (let i = 0; i < Math.min(n, jobs.length); i++) {
      const child = fork(script, ['--worker'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      child.on('exit', (code) => code !== 0 && done < jobs.length && fail(new Error(`worker exited with code ${code}`)));
      children.push(child);
      feed(child);
    }
  });
}

module.exports = { isWorker, serveJobs, runInWorkers };

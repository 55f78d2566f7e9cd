import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { chooseBackend, InputError, Rng, saveModel, train } from '../src';
import { loadMnist } from '../src/entries/data';
import { executeJob, Job, JobError, JobEvent, loadSweep, notJson, PipelineJobResult, runJobs, setPath, sweepJobs } from '../src/entries/jobs';
import type { PipelineConfig } from '../src/config/types';
import { smallMlp, tmpDir } from './helpers';

let dir: string;

/** Writes a CommonJS handler module and returns its path. */
function handler(name: string, body: string): string {
  const file = path.join(dir, `${name}.js`);
  fs.writeFileSync(file, `'use strict';\nconst fs = require('node:fs');\n${body}\n`);
  return file;
}

beforeAll(() => {
  dir = tmpDir('nnc-jobs-');
});

describe('notJson', () => {
  it('accepts every JSON value, and names where a value stops being JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(notJson(value)).toBeUndefined();
        expect(notJson({ a: [value, { f: () => 1 }] })).toBe('input.a[1].f is a function');
        expect(notJson([value, NaN])).toBe('input[1] is NaN');
      }),
    );
    expect(notJson({ when: new Date(0) })).toBe('input.when is a Date, not a plain object');
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expect(notJson(cycle)).toBe('input.self refers back to itself');
    // The same object twice is not a cycle.
    const shared = { n: 1 };
    expect(notJson({ a: shared, b: shared })).toBeUndefined();
  });
});

describe('runJobs on child processes', () => {
  it('returns results in job order, the same on one process and on two', async () => {
    const file = handler('digits', `exports.runJob = async ({ n }) => { let h = n; for (let i = 0; i < 20000 * (5 - n % 5); i++) h = (h * 1103515245 + 12345) % 2147483648; return { n, h }; };`);
    const jobs: Job[] = [1, 2, 3, 4, 5, 6, 7].map((n) => ({ handler: file, input: { n } }));
    const events: JobEvent[] = [];
    const two = await runJobs<{ n: number; h: number }>(jobs, { processes: 2, onEvent: (e) => events.push(e) });
    const one = await runJobs<{ n: number; h: number }>(jobs, { processes: 1 });
    expect(two.map((r) => r.n)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(two).toEqual(one);
    // And the same as running each job here.
    for (const [i, job] of jobs.entries()) expect(await executeJob(job)).toEqual(one[i]);
    const done = events.filter((e) => e.kind === 'done');
    expect(done.map((e) => e.kind === 'done' && e.done)).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('runs a job again on another process when its process dies, and gives up after the attempts', async () => {
    const file = handler('dies-once', `exports.runJob = ({ n, marker }) => { if (marker && !fs.existsSync(marker)) { fs.writeFileSync(marker, ''); process.kill(process.pid, 'SIGKILL'); } return n * 10; };`);
    const events: JobEvent[] = [];
    const marker = path.join(dir, 'died');
    const results = await runJobs<number>([{ handler: file, input: { n: 1 } }, { handler: file, input: { n: 2, marker }, label: 'second' }, { handler: file, input: { n: 3 } }], { processes: 2, onEvent: (e) => events.push(e) });
    expect(results).toEqual([10, 20, 30]);
    expect(events.filter((e) => e.kind === 'retry')).toEqual([{ kind: 'retry', index: 1, label: 'second', attempt: 2, reason: 'its process was killed (SIGKILL)' }]);

    const always = handler('always-dies', `exports.runJob = () => process.exit(3);`);
    await expect(runJobs([{ handler: always, input: {}, label: 'doomed' }], { attempts: 2 })).rejects.toThrow('doomed: its process exited with code 3, 2 time(s) of 2');
  });

  it('stops at the first job whose handler throws, naming it, without running it again', async () => {
    const file = handler('throws', `exports.runJob = ({ n, log }) => { fs.appendFileSync(log, n + '\\n'); if (n === 2) throw new Error('two is not allowed'); return n; };`);
    const log = path.join(dir, 'throws.log');
    const jobs: Job[] = [1, 2].map((n) => ({ handler: file, input: { n, log } }));
    const run = runJobs(jobs, { processes: 1 });
    await expect(run).rejects.toBeInstanceOf(JobError);
    await expect(runJobs(jobs, { processes: 1 })).rejects.toThrow('job 2: two is not allowed');
    expect(fs.readFileSync(log, 'utf8').split('\n').filter((l) => l === '2')).toHaveLength(2);
  });

  it('refuses what it cannot run before starting anything', async () => {
    const file = handler('fine', `exports.runJob = () => 1;`);
    expect(() => runJobs([{ handler: file, input: {} }, { handler: file, input: { when: new Date(0) } as never }])).toThrow(new InputError('job 2: input.when is a Date, not a plain object; a job\'s input must be plain JSON'));
    expect(() => runJobs([{ handler: './nowhere.js', input: {} }], { from: dir })).toThrow(/job handler "\.\/nowhere\.js": no such module/);
    const none = handler('no-export', `module.exports = { run: () => 1 };`);
    await expect(runJobs([{ handler: none, input: {} }])).rejects.toThrow(/job 1: job handler .*no-export\.js: it exports no runJob\(input\) function/);
    expect(() => runJobs([], { processes: 0 })).toThrow('processes: must be auto or a positive integer, got 0');
    await expect(runJobs([])).resolves.toEqual([]);
  });
});

describe('the pipeline job', () => {
  beforeAll(async () => {
    await chooseBackend('wasm');
    const model = smallMlp(5);
    train(model, loadMnist({ train: 600 }).train, { epochs: 2, batchSize: 32, learningRate: 0.003, rng: new Rng(1) });
    await saveModel(model, path.join(dir, 'model'));
  });

  it('writes the same model and report on any number of processes as in this process', async () => {
    const config = {
      model: './model/model.json',
      seed: 4,
      data: { source: 'mnist', train: 300, test: 200 },
      plugins: { prune: { use: '@nncompress/plugin-magnitude' }, tune: { use: '@nncompress/plugin-finetune', options: { epochs: 1 } } },
      stages: [{ name: 'prune', target: { sparsity: 0.8 } }],
      encode: { codec: 'huffman' },
    };
    const job = (sparsity: number, out: string): Job => ({
      handler: 'pipeline',
      input: { config: setPath(config as unknown as PipelineConfig, 'stages.prune.target.sparsity', sparsity) as never, dir, file: `sparsity ${sparsity}`, outDir: path.join(dir, out, String(sparsity)) },
    });
    const two = await runJobs<PipelineJobResult>([job(0.7, 'two'), job(0.9, 'two')], { processes: 2 });
    const one = await runJobs<PipelineJobResult>([job(0.7, 'one'), job(0.9, 'one')], { processes: 1 });
    const here = (await executeJob(job(0.9, 'here'))) as PipelineJobResult;
    expect(two.map((r) => r.report.final.sparsity)).toEqual([expect.closeTo(0.7, 2), expect.closeTo(0.9, 2)]);
    expect(two[1].report.final.metric).toEqual(one[1].report.final.metric);
    expect(here.report.final.metric).toEqual(one[1].report.final.metric);
    const bytes = (out: string, s: number): Buffer => fs.readFileSync(path.join(dir, out, String(s), 'model.nnc'));
    for (const s of [0.7, 0.9]) expect(bytes('two', s).equals(bytes('one', s))).toBe(true);
    expect(bytes('here', 0.9).equals(bytes('one', 0.9))).toBe(true);
    expect(two[0].report.workers.used).toBe(1);
  });

  it('says that a Pipeline does not search a goal, and runs the config as written', async () => {
    const config = { model: './model/model.json', data: { source: 'mnist', train: 100, test: 100 }, stages: [{ name: 'tune' }], encode: { codec: 'huffman' }, goal: { minimize: 'bytes', metricDrop: 0.01 } };
    const result = (await executeJob({ handler: 'pipeline', input: { config: config as never, dir, file: 'goal.yaml', outDir: path.join(dir, 'goal-as-written') } })) as PipelineJobResult;
    expect(result.warnings).toContain('goal.yaml: goal: a Pipeline runs the config as written and does not search; use runGoal (what nncompress run does) to search');
    expect(result.report.goal).toBeUndefined();
  });

  it('refuses a worker count that would depend on the machine', async () => {
    await expect(executeJob({ handler: 'pipeline', input: { config: {} as never, dir, file: 'x.yaml', outDir: path.join(dir, 'never'), workers: 'auto' } })).rejects.toThrow("x.yaml: a pipeline job's workers must be a positive integer, got auto");
  });
});

describe('setPath', () => {
  const stageName = fc.array(fc.constantFrom('a', 'b', 'target', 'x1'), { minLength: 1, maxLength: 3 }).map((parts) => parts.join('.'));

  it('sets the stage a path names, by name (dots and all) or by index, and nothing else; or says the name is ambiguous', () => {
    fc.assert(
      fc.property(fc.uniqueArray(stageName, { minLength: 1, maxLength: 4 }), fc.nat(), fc.double({ min: 0, max: 0.99, noNaN: true }), fc.boolean(), (names, pick, value, byIndex) => {
        const config = { model: 'm.json', data: { source: 'mnist' }, stages: names.map((name) => ({ name, target: { sparsity: 0.5 } })) } as unknown as PipelineConfig;
        const before = JSON.stringify(config);
        const i = pick % names.length;
        let out: PipelineConfig;
        try {
          out = setPath(config, `stages.${byIndex ? i : names[i]}.target.sparsity`, value);
        } catch (err) {
          // Only a name that some other name extends (or starts) can be ambiguous.
          expect(byIndex).toBe(false);
          expect((err as Error).message).toMatch(/are both entries; name it by its index instead$/);
          expect(names.some((n, j) => j !== i && (n.startsWith(`${names[i]}.`) || `${names[i]}.target.sparsity`.startsWith(`${n}.`)))).toBe(true);
          return;
        }
        expect(JSON.stringify(config)).toBe(before);
        out.stages.forEach((stage, j) => expect(stage.target?.sparsity).toBe(j === i ? value : 0.5));
      }),
    );
  });

  it('creates missing mappings, and refuses paths through plain values or to missing entries', () => {
    const config = { model: 'm.json', data: { source: 'mnist' }, plugins: { p: { use: 'x' } }, stages: [{ name: 's' }] } as unknown as PipelineConfig;
    expect(setPath(config, 'plugins.p.options.criterion', 'apoz').plugins?.p.options).toEqual({ criterion: 'apoz' });
    expect(() => setPath(config, 'model.path', 1)).toThrow('model is "m.json", not a mapping or a list');
    expect(() => setPath(config, 'stages.t.target', 1)).toThrow('stages has no entry "t" (it has s)');
    expect(() => setPath(config, 'stages..target', 1)).toThrow('"stages..target" has an empty part');
  });
});

describe('loadSweep', () => {
  it('builds every combination, the last key fastest, with set applied and names told apart', () => {
    fs.writeFileSync(path.join(dir, 'base.yaml'), `model: ./model/model.json\ndata: { source: mnist }\nplugins:\n  a: { use: '@nncompress/plugin-magnitude' }\n  b: { use: '@nncompress/plugin-magnitude' }\nstages:\n  - name: s\n    target: { sparsity: 0.5 }\n`);
    fs.writeFileSync(path.join(dir, 'grid.yaml'), `pipeline: ./base.yaml\nset:\n  seed: 9\nvary:\n  plugins.a.options.scope: [layer, global]\n  plugins.b.options.scope: [layer]\n  stages.s.target.sparsity: [0.6, 0.7, 0.8]\n`);
    const sweep = loadSweep(path.join(dir, 'grid.yaml'));
    expect(sweep.shortNames).toEqual(['plugins.a.options.scope', 'plugins.b.options.scope', 'sparsity']);
    expect(sweep.configurations.map((c) => c.label)).toEqual([0.6, 0.7, 0.8, 0.6, 0.7, 0.8].map((v, i) => `plugins.a.options.scope=${i < 3 ? 'layer' : 'global'} plugins.b.options.scope=layer sparsity=${v}`));
    expect(sweep.configurations.every((c) => c.config.seed === 9)).toBe(true);
    expect(sweep.configurations[4].config.stages[0].target?.sparsity).toBe(0.7);
    const jobs = sweepJobs(sweep, path.join(dir, 'out'));
    expect(new Set(jobs.map((j) => (j.input as { outDir: string }).outDir)).size).toBe(6);
    expect(jobs.every((j) => j.handler === 'pipeline' && (j.input as { workers: number }).workers === 1)).toBe(true);

    fs.writeFileSync(path.join(dir, 'huge.yaml'), `pipeline: ./base.yaml\nvary:\n  seed: [${Array.from({ length: 101 }, (_, i) => i).join(', ')}]\n  stages.s.target.sparsity: [${Array.from({ length: 100 }, (_, i) => i / 100).join(', ')}]\n`);
    expect(() => loadSweep(path.join(dir, 'huge.yaml'))).toThrow(/vary: 10,100 configurations; at most 10,000$/);

    // A goal would be ignored by a sweep, which runs configurations as written: refused.
    fs.writeFileSync(path.join(dir, 'with-goal.yaml'), `${fs.readFileSync(path.join(dir, 'base.yaml'), 'utf8')}encode: { codec: huffman }\ngoal: { minimize: bytes, metricDrop: 0.01 }\n`);
    fs.writeFileSync(path.join(dir, 'goal-grid.yaml'), `pipeline: ./with-goal.yaml\nvary:\n  seed: [1, 2]\n`);
    expect(() => loadSweep(path.join(dir, 'goal-grid.yaml'))).toThrow(/goal-grid\.yaml: pipeline: .*with-goal\.yaml has a goal, which a sweep does not search; remove it, or run it with nncompress run$/);
  });
});

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Report } from '@nncompress/core';
import { expectOneLineError, LENET300, nncompress, REPO } from './helpers';

let dir: string;

const config = (goal: string, extra = ''): string =>
  `model: ${LENET300}\nseed: 1\ndata: { source: mnist, train: 1000, test: 500 }\nplugins:\n  prune: { use: '@nncompress/plugin-magnitude', options: { scope: global } }\n  tune: { use: '@nncompress/plugin-finetune', options: { epochs: 1 } }\nstages:\n  - name: cut\n    target: { sparsity: 0.8 }\n${extra}goal: ${goal}\n`;

const write = (name: string, text: string): string => {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
};

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nnc-goal-'));
});

/** LeNet-5 with a filter-ratio stage and `goal`, run by the CLI; it must succeed. */
function structuredGoal(name: string, plugins: string, goal: string): { r: ReturnType<typeof nncompress>; report: Report } {
  const lenet5 = path.join(REPO, 'examples/mnist-lenet/models/lenet-5/model.json');
  const text = `model: ${lenet5}\nseed: 1\ndata: { source: mnist, train: 400, test: 300 }\n${plugins}stages:\n  - name: slim\n    target: { filterRatio: 0.2 }\ngoal: ${goal}\n`;
  const out = path.join(dir, name);
  const r = nncompress(['run', write(`${name}.yaml`, text), '-o', out]);
  expect(r.stderr).not.toMatch(/error:/);
  expect(r.code).toBe(0);
  return { r, report: JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8')) };
}
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('nncompress run with a goal', () => {
  it('searches per-layer budgets and the error bound on held-out examples, runs the best, and says how it did on the test split', () => {
    const file = write('goal.yaml', config('{ minimize: bytes, metricDrop: 0.02, holdOut: 300, steps: 3, processes: 2 }', 'encode: { codec: pwl, relativeError: 0.04 }\n'));
    const out = path.join(dir, 'out');
    const r = nncompress(['run', file, '-o', out]);
    expect(r.stderr).not.toMatch(/error:/);
    expect(r.code).toBe(0);
    const report = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8'));
    const g = report.goal;
    const start = g.trials[0];
    const chosen = g.trials[g.chosen];
    expect(start.change).toBe('start');
    // The chosen trial is within the goal on the held-out examples, and no larger than the config as written.
    // No cheaper trial settings here: the estimate is the measurement.
    expect(g.trials.every((t: { drop: number; estimatedDrop: number }) => t.estimatedDrop === t.drop)).toBe(true);
    expect(g.fullStart).toBeUndefined();
    expect(chosen.drop).toBeLessThanOrEqual(0.02);
    expect(chosen.bytes).toBeLessThanOrEqual(start.bytes);
    // Every kept step is within the goal and smaller than the one before.
    const kept = g.trials.filter((t: { accepted: boolean }) => t.accepted);
    for (let i = 1; i < kept.length; i++) {
      expect(kept[i].drop).toBeLessThanOrEqual(0.02);
      expect(kept[i].bytes).toBeLessThan(kept[i - 1].bytes);
    }
    // The final run uses the chosen budgets: its layers reach them, and its file is what the report says.
    for (const [layer, s] of Object.entries(chosen.layerValues as Record<string, number>)) {
      const row = report.layers.find((l: { name: string }) => l.name === layer);
      expect(Math.abs(row.sparsity - s)).toBeLessThan(0.001);
    }
    expect(fs.statSync(path.join(out, 'model.nnc')).size).toBe(report.final.encodedBytes);
    expect(g.testDrop).toBeCloseTo(report.baseline.metric.value - report.final.metric.value, 10);
    expect(report.data.heldOut).toBeUndefined();
    expect(r.stdout).toMatch(/goal search: the smallest file losing at most 0\.02 \(\d+ trials on the held-out training examples, 300 examples/);
    expect(fs.readFileSync(path.join(out, 'report.html'), 'utf8')).toContain('<h2>Goal search</h2>');

    // The same search on one process writes the same file.
    const one = path.join(dir, 'one');
    const again = nncompress(['run', write('goal-one.yaml', fs.readFileSync(file, 'utf8').replace('processes: 2', 'processes: 1')), '-o', one]);
    expect(again.code).toBe(0);
    expect(fs.readFileSync(path.join(one, 'model.nnc')).equals(fs.readFileSync(path.join(out, 'model.nnc')))).toBe(true);
  });

  it('with cheaper trials, shifts every trial by what the config as written loses with its full settings', () => {
    const out = path.join(dir, 'cheap');
    const r = nncompress(['run', write('cheap.yaml', config("{ minimize: bytes, metricDrop: 0.03, steps: 2, trial: { 'plugins.tune.options.epochs': 0 } }", 'encode: { codec: huffman }\n')), '-o', out]);
    expect(r.code).toBe(0);
    const g = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8')).goal;
    type T = { step: number; drop: number; estimatedDrop: number; full?: { drop: number }; accepted: boolean };
    const trials: T[] = g.trials;
    // Without fine-tuning the trials lose more; the full settings' start says how much more.
    expect(trials[0].full?.drop).toBe(g.fullStart.drop);
    expect(g.fullStart.drop - trials[0].drop).toBeLessThan(0);
    // Each round's trials are shifted by the gap of a point run both ways in an earlier round:
    // round 1 by the start's, later rounds by the step they start from.
    const calibrated = trials.filter((t) => t.full !== undefined);
    for (const t of trials.slice(1)) {
      const from = t.step === 1 ? [trials[0]] : calibrated.filter((c) => c.step < t.step && c.step > 0);
      expect(from.some((c) => Math.abs(t.estimatedDrop - (t.drop + c.full!.drop - c.drop)) < 1e-9)).toBe(true);
    }
    // A step kept in round 1 was run with the full settings in round 2.
    const keptInFirst = trials.find((t) => t.step === 1 && t.full !== undefined);
    if (trials.some((t) => t.step === 2)) expect(keptInFirst ?? trials.find((t) => t.step === 1 && t.accepted) === undefined).toBeTruthy();
    expect(trials.length).toBeGreaterThan(1);
    expect(r.stdout).toContain('full settings (est.)');
  });

  it('an unreachable goal ends with the config as written and says why', () => {
    const out = path.join(dir, 'strict');
    // Trials on the test split here (no holdOut), as the final run measures.
    const r = nncompress(['run', write('strict.yaml', config('{ minimize: bytes, metricDrop: 0, steps: 2 }', 'encode: { codec: huffman }\n')), '-o', out]);
    expect(r.code).toBe(0);
    const g = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8')).goal;
    expect(g.trials).toHaveLength(1);
    expect(g.measuredOn).toBe('test split');
    expect(g.stopped).toMatch(/^the config as written already loses 0\.\d+ on the test split, more than metricDrop 0; nothing smaller was tried$/);
    expect(r.stderr).toMatch(/warning: goal: the run with the config as written loses 0\.\d+ on the test split, more than metricDrop 0;/);
  });

  it('refuses a goal it cannot serve, in one line, before any trial', () => {
    const cases: [string, RegExp][] = [
      [config('{ minimize: bytes, metricDrop: 0.01 }'), /goal: a bytes goal needs an encode section/],
      [config('{ minimize: bytes, metricDrop: 0.01, stage: trim }', 'encode: { codec: huffman }\n'), /goal\.stage: no stage named "trim" \(stages: cut\)/],
      [config('{ minimize: latency, metricDrop: 0.01 }', 'encode: { codec: huffman }\n'), /goal: a latency goal needs the config's latency section/],
      [config('{ minimize: flops, metricDrop: 0.01 }'), /goal: no stage has a filterRatio target: FLOPs fall only when channels go/],
      [config('{ maximize: metric }'), /goal: maximize: metric needs exactly one of maxBytes, maxFlops, maxLatencyMs/],
      [config('{ minimize: size, metricDrop: 0.01 }'), /goal\.minimize: must be one of "bytes", "flops", "latency"/],
    ];
    for (const [i, [text, message]] of cases.entries()) {
      const out = path.join(dir, `bad-${i}`);
      const r = nncompress(['run', write(`bad-${i}.yaml`, text), '-o', out]);
      expectOneLineError(r, message, out);
      // Nothing else on stderr either: refused before any trial starts.
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });

  it('maximize under a byte limit below anything reachable ends with the smallest file found, and says so', () => {
    const out = path.join(dir, 'tiny');
    const r = nncompress(['run', write('tiny.yaml', config('{ maximize: metric, maxBytes: 1000, steps: 2, processes: 2 }', 'encode: { codec: huffman }\n')), '-o', out]);
    expect(r.code).toBe(0);
    const report = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8'));
    const g = report.goal;
    expect([g.mode, g.resource, g.limit]).toEqual(['maximize', 'bytes', 1000]);
    const kept = g.trials.filter((t: { accepted: boolean }) => t.accepted);
    // Every step made the file smaller, and the run uses the smallest.
    for (let i = 1; i < kept.length; i++) expect(kept[i].bytes).toBeLessThan(kept[i - 1].bytes);
    expect(g.trials[g.chosen]).toEqual(kept[kept.length - 1]);
    expect(kept.length).toBeGreaterThan(1);
    expect(report.final.encodedBytes).toBeGreaterThan(1000);
    expect(g.notes[0]).toMatch(/^goal: maxBytes 1,000 B was not reached: the smallest point the search found is [\d,]+ B \(round \d/);
    // Said once: the final run's own size is not a second miss.
    expect(g.notes).toHaveLength(1);
    expect(r.stderr).toContain(`warning: ${g.notes[0]}`);
    expect(r.stdout).toMatch(/goal search: the best accuracy with bytes at most 1,000 B/);
  });

  it('minimize FLOPs with filter pruning: searches per-group filter ratios, and the final run has those channels', () => {
    const { r, report } = structuredGoal('flops', `plugins:\n  filters: { use: '@nncompress/plugin-filter-pruning', options: { scope: layer } }\n  tune: { use: '@nncompress/plugin-finetune', options: { epochs: 1 } }\n`, '{ minimize: flops, metricDrop: 0.03, steps: 2, processes: 2 }');
    const g = report.goal!;
    expect([g.mode, g.resource, g.searched]).toEqual(['minimize', 'flops', 'filterRatio']);
    const start = g.trials[0];
    const chosen = g.trials[g.chosen];
    // The config as written pruned every conv and hidden dense group; the search starts from what it reached.
    expect(Object.keys(start.layerValues).length).toBeGreaterThan(1);
    expect(chosen.flops).toBeLessThanOrEqual(start.flops);
    expect(chosen.drop).toBeLessThanOrEqual(0.03);
    // Each proposal changed one group; the final run's structure is the chosen trial's.
    expect(report.final.flops).toBe(chosen.flops);
    for (const [layer, ratio] of Object.entries(chosen.layerValues as Record<string, number>)) {
      const row = report.layers.find((l) => l.name === layer)!;
      expect(row.channelsAfter).toBe(row.channelsBefore - Math.ceil(ratio * row.channelsBefore - 1e-9));
    }
    expect(r.stdout).toMatch(/goal search: the smallest flops losing at most 0\.03/);
    expect(r.stdout).toMatch(/chosen: filter ratio /);
  });

  it('minimize latency: every trial is timed after its round, alone, and the report carries the times', () => {
    const { r, report } = structuredGoal('latency', `latency: { repeats: 2 }\nplugins:\n  filters: { use: '@nncompress/plugin-filter-pruning', options: { scope: layer } }\n`, '{ minimize: latency, metricDrop: 0.05, steps: 1, processes: 2 }');
    const g = report.goal!;
    expect([g.mode, g.resource, g.searched]).toEqual(['minimize', 'latency', 'filterRatio']);
    expect(g.trials.length).toBeGreaterThan(1);
    for (const t of g.trials) expect(t.latencyMs).toBeGreaterThan(0);
    // The final run times itself against the unpruned model, in alternation, as any run with a latency section.
    expect(report.final.latencyMs?.batch1).toBeGreaterThan(0);
    expect(r.stdout).toMatch(/goal search: the smallest latency losing at most 0\.05/);
    expect(r.stdout).toMatch(/\d+\.\d\d ms/);
  });
});


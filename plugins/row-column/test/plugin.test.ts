import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { analyzeChannels, chooseBackend, ConsoleLogger, loadConfig, Pipeline, prunableWeights, Rng, saveModel, silentLogger, tf, train } from '@nncompress/core';
import { loadMnist } from '@nncompress/core/data';
import { coupledProblem, gemmMask, gemmViews, scoreGemmWeights, selectRowColumn, toGemm } from '@nncompress/plugin-row-column';

function cnn(seed: number): tf.LayersModel {
  const rng = new Rng(seed);
  const init = (): ReturnType<typeof tf.initializers.glorotUniform> => tf.initializers.glorotUniform({ seed: rng.childSeed() });
  return tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 8, kernelSize: 5, activation: 'relu', kernelInitializer: init(), name: 'conv1' }),
      tf.layers.maxPooling2d({ poolSize: 2, name: 'pool1' }),
      tf.layers.conv2d({ filters: 12, kernelSize: 3, activation: 'relu', kernelInitializer: init(), name: 'conv2' }),
      tf.layers.maxPooling2d({ poolSize: 2, name: 'pool2' }),
      tf.layers.flatten({ name: 'flat' }),
      tf.layers.dense({ units: 32, activation: 'relu', kernelInitializer: init(), name: 'fc1' }),
      tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: init(), name: 'out' }),
    ],
  });
}

/** Rows (output channels) and GEMM columns holding a non-zero entry of a kernel. */
function nonZeroRowsAndCols(kernel: Float32Array, rows: number): { rows: Set<number>; cols: Set<number> } {
  const r = new Set<number>();
  const c = new Set<number>();
  kernel.forEach((w, f) => {
    if (w !== 0) {
      r.add(f % rows);
      c.add(Math.floor(f / rows));
    }
  });
  return { rows: r, cols: c };
}

beforeAll(async () => {
  await chooseBackend('wasm');
});

describe('GEMM view of Conv2D and Dense kernels', () => {
  it('maps kernel entry (y, x, c, o) to row o, column (y·k_w + x)·C_in + c, and masks exactly kept rows × columns', () => {
    const model = cnn(1);
    const [conv2] = gemmViews(model, { only: ['conv2'] });
    expect([conv2.rows, conv2.cols]).toEqual([12, 3 * 3 * 8]);
    const kernel = conv2.weight.variable.read() as tf.Tensor4D;
    const values = kernel.arraySync();
    const gemm = toGemm(conv2, kernel.dataSync());
    for (const [y, x, c, o] of [[0, 0, 0, 0], [2, 1, 5, 7], [1, 2, 7, 11]]) {
      expect(gemm[o * conv2.cols + (y * 3 + x) * 8 + c]).toBeCloseTo(values[y][x][c][o], 6);
    }
    const mask = gemmMask(conv2, [1, 4], [0, 13, 71]);
    expect(mask.reduce((s, v) => s + v, 0)).toBe(6);
    // Column 13 = position (0, 1) of input channel 5; row 4 = output channel 4.
    expect(mask[13 * 12 + 4]).toBe(1);
    expect(mask[13 * 12 + 5]).toBe(0);
  });

  it('treats the output layer specially and names a layer without a GEMM view', () => {
    const model = cnn(1);
    expect(gemmViews(model).map((v) => [v.weight.layerName, v.isOutput])).toEqual([['conv1', false], ['conv2', false], ['fc1', false], ['out', true]]);
    expect(() => gemmViews(model, { only: ['pool1'] })).toThrow('layers: layer "pool1" is MaxPooling2D, which has no GEMM view');
    expect(() => gemmViews(model, { exclude: ['conv9'] })).toThrow('exclude: the model has no layer named "conv9"');
  });
});

describe('selectRowColumn', () => {
  const options = { method: 'local-sa' as const, layers: [], exclude: [], iterations: 5000, initialTemperature: 0.3, finalTemperature: 1e-4 };

  it('keeps, in every layer, a rows × columns rectangle within the budget; the output layer keeps every class; same seed, same masks', () => {
    const model = cnn(3);
    const scores = scoreGemmWeights(model, 'magnitude');
    const a = selectRowColumn(model, scores, 0.8, options, new Rng(5));
    const b = selectRowColumn(model, scores, 0.8, options, new Rng(5));
    for (const view of gemmViews(model)) {
      const mask = a.masks.get(view.weight.name) as Uint8Array;
      const kept = mask.reduce((s, v) => s + v, 0);
      const { rows, cols } = nonZeroRowsAndCols(Float32Array.from(mask), view.rows);
      // Kept entries are exactly the product of their rows and columns.
      expect(kept).toBe(rows.size * cols.size);
      if (view.isOutput) expect(rows.size).toBe(view.rows);
      else expect(kept).toBeLessThanOrEqual(Math.floor(0.2 * view.rows * view.cols + 1e-9));
      expect(Array.from(b.masks.get(view.weight.name) as Uint8Array)).toEqual(Array.from(mask));
    }
    // Greedy is a valid answer too, and SA keeps at least as much importance in every layer.
    const g = selectRowColumn(model, scores, 0.8, { ...options, method: 'greedy' }, new Rng(5));
    a.layers.forEach((l, k) => expect(l.removedFraction).toBeLessThanOrEqual(g.layers[k].removedFraction + 1e-12));
  });
});

describe('Neighboring SA on a model', () => {
  it('reads channel coupling from the channel groups: Conv2D columns by input channel, Dense behind Flatten by position × channel', () => {
    const model = cnn(4);
    const scores = scoreGemmWeights(model, 'magnitude');
    const problem = coupledProblem(gemmViews(model), scores, analyzeChannels(model), 0.8);
    const [conv1, conv2, fc1, out] = problem.layers;
    expect([conv1.rowGroup, out.rowGroup]).toEqual([0, -1]);
    expect(Array.from(conv1.colChannel).every((c) => c === -1)).toBe(true);
    // conv2's column (y·3 + x)·8 + c reads conv1's channel c; fc1's input (h·5 + w)·12 + c reads conv2's channel c.
    expect(conv2.colChannel[(2 * 3 + 1) * 8 + 5]).toBe(problem.groupStart[conv1.rowGroup] + 5);
    expect(fc1.colChannel[(3 * 5 + 4) * 12 + 7]).toBe(problem.groupStart[conv2.rowGroup] + 7);
    expect(out.colChannel[17]).toBe(problem.groupStart[fc1.rowGroup] + 17);
    // The output layer keeps every class row with at least one column.
    expect(out.budget).toBeGreaterThanOrEqual(out.rows);
  });

  it('never keeps a column whose input channel the previous layer removed', () => {
    const model = cnn(4);
    const scores = scoreGemmWeights(model, 'magnitude');
    const { masks, layers } = selectRowColumn(model, scores, 0.8, { method: 'neighboring-sa', layers: [], exclude: [], iterations: 2000, initialTemperature: 0.3, finalTemperature: 1e-4 }, new Rng(5));
    const views = gemmViews(model);
    const keptRows = (name: string): Set<number> => {
      const view = views.find((v) => v.weight.layerName === name)!;
      return nonZeroRowsAndCols(Float32Array.from(masks.get(view.weight.name)!), view.rows).rows;
    };
    const conv1Rows = keptRows('conv1');
    const conv2 = views.find((v) => v.weight.layerName === 'conv2')!;
    const { cols } = nonZeroRowsAndCols(Float32Array.from(masks.get(conv2.weight.name)!), conv2.rows);
    for (const j of cols) expect(conv1Rows.has(j % 8)).toBe(true);
    const conv2Rows = keptRows('conv2');
    const fc1 = views.find((v) => v.weight.layerName === 'fc1')!;
    for (const j of nonZeroRowsAndCols(Float32Array.from(masks.get(fc1.weight.name)!), fc1.rows).cols) expect(conv2Rows.has(j % 12)).toBe(true);
    expect(layers.map((l) => l.layer)).toEqual(['conv1', 'conv2', 'fc1', 'out']);
    for (const view of views) {
      const kept = masks.get(view.weight.name)!.reduce((s, v) => s + v, 0);
      expect(kept).toBeLessThanOrEqual(Math.max(view.rows, Math.floor(0.2 * view.rows * view.cols + 1e-9)));
    }
  });
});

describe('Neighboring SA on a residual model', () => {
  it('keeps one set of channels for the producers an Add joins, and drops the columns of the removed ones', () => {
    const rng = new Rng(9);
    const init = (): ReturnType<typeof tf.initializers.glorotUniform> => tf.initializers.glorotUniform({ seed: rng.childSeed() });
    const input = tf.input({ shape: [8, 8, 3] });
    const a = tf.layers.conv2d({ name: 'a', filters: 6, kernelSize: 3, padding: 'same', kernelInitializer: init() }).apply(input) as tf.SymbolicTensor;
    const b = tf.layers.conv2d({ name: 'b', filters: 6, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: init() }).apply(a) as tf.SymbolicTensor;
    const sum = tf.layers.add({ name: 'add' }).apply([a, b]) as tf.SymbolicTensor;
    const c = tf.layers.conv2d({ name: 'c', filters: 5, kernelSize: 3, activation: 'relu', kernelInitializer: init() }).apply(sum) as tf.SymbolicTensor;
    const flat = tf.layers.flatten({ name: 'flat' }).apply(c) as tf.SymbolicTensor;
    const out = tf.layers.dense({ name: 'out', units: 4, kernelInitializer: init() }).apply(flat) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: out });
    const scores = scoreGemmWeights(model, 'magnitude');
    const problem = coupledProblem(gemmViews(model), scores, analyzeChannels(model), 0.9);
    const byName = new Map(problem.layers.map((l) => [l.name, l] as const));
    // a and b produce one group (joined by the Add); b and c read it.
    expect(byName.get('a')!.rowGroup).toBe(byName.get('b')!.rowGroup);
    const { masks } = selectRowColumn(model, scores, 0.9, { method: 'neighboring-sa', layers: [], exclude: [], iterations: 3000, initialTemperature: 0.3, finalTemperature: 1e-4 }, new Rng(3));
    const views = gemmViews(model);
    const kept = (name: string): { rows: Set<number>; cols: Set<number> } => {
      const view = views.find((v) => v.weight.layerName === name)!;
      return nonZeroRowsAndCols(Float32Array.from(masks.get(view.weight.name)!), view.rows);
    };
    const [ka, kb, kc] = ['a', 'b', 'c'].map(kept);
    expect([...ka.rows].sort()).toEqual([...kb.rows].sort());
    expect(ka.rows.size).toBeLessThan(6);
    for (const j of kc.cols) expect(ka.rows.has(j % 6)).toBe(true);
    for (const j of kb.cols) expect(ka.rows.has(j % 6)).toBe(true);
  });
});

describe('row-column pruning in a pipeline on MNIST', () => {
  let dir: string;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nnc-rowcol-'));
    const model = cnn(2);
    train(model, loadMnist({ train: 2000 }).train, { epochs: 2, batchSize: 32, learningRate: 0.003, rng: new Rng(2) });
    await saveModel(model, path.join(dir, 'model'));
    model.dispose();
  });

  const loadOutput = async (out: string): Promise<tf.LayersModel> => {
    const json = JSON.parse(fs.readFileSync(path.join(out, 'model', 'model.json'), 'utf8')) as tf.io.ModelJSON;
    const weights = fs.readFileSync(path.join(out, 'model', 'weights.bin'));
    return tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData: new Uint8Array(weights).buffer }));
  };

  it('reaches the sparsity with structured kernels, and fine-tuning keeps the accuracy', async () => {
    fs.writeFileSync(
      path.join(dir, 'p.yaml'),
      `model: ./model/model.json
seed: 7
data: { source: mnist, train: 2000, test: 500 }
plugins:
  rowcol: { use: '@nncompress/plugin-row-column', options: { method: neighboring-sa, iterations: 3000 } }
  tune: { use: '@nncompress/plugin-finetune', options: { epochs: 1, learningRate: 0.001 } }
stages:
  - name: prune
    use: [rowcol, tune]
    target: { sparsity: 0.5 }
    schedule: { kind: iterative, rounds: 2 }
`,
    );
    const out = path.join(dir, 'out');
    const report = await new Pipeline(loadConfig(path.join(dir, "p.yaml")), { outDir: out, logger: process.env.DBG ? new ConsoleLogger(true) : silentLogger }).run();
    expect(report.final.sparsity).toBeGreaterThanOrEqual(0.5 - 0.01);
    expect(report.final.accuracy).toBeGreaterThan(report.baseline.accuracy! - 0.05);
    const pruned = await loadOutput(out);
    for (const w of prunableWeights(pruned)) {
      const rows = w.shape[w.shape.length - 1];
      const { rows: r, cols: c } = nonZeroRowsAndCols(w.variable.read().dataSync() as Float32Array, rows);
      const budget = w.layerName === 'out' ? rows * Math.floor((0.5 * w.size) / rows) : Math.floor(0.5 * w.size + 1e-9);
      expect(r.size * c.size).toBeLessThanOrEqual(Math.max(budget, rows));
      if (w.layerName === 'out') expect(r.size).toBe(rows);
    }
  });

  it('compact: removes the dead channels physically, with the same predictions as the masked model', async () => {
    const config = (method: string, compact: boolean): string => `model: ./model/model.json
seed: 7
data: { source: mnist, train: 1000, test: 500 }
plugins:
  rowcol: { use: '@nncompress/plugin-row-column', options: { method: ${method}, iterations: 2000, compact: ${compact} } }
stages:
  - name: prune
    use: [rowcol]
    target: { sparsity: 0.8 }
`;
    const x = loadMnist({ train: 10, test: 64 }).test.batch(0, 64, [28, 28, 1]);
    for (const method of ['neighboring-sa', 'local-sa', 'global-greedy']) {
      const outs = [false, true].map((compact) => path.join(dir, `out-${method}-${compact}`));
      const reports = [];
      for (const [i, compact] of [false, true].entries()) {
        fs.writeFileSync(path.join(dir, 'c.yaml'), config(method, compact));
        reports.push(await new Pipeline(loadConfig(path.join(dir, 'c.yaml')), { outDir: outs[i], logger: silentLogger }).run());
      }
      const [masked, compacted] = reports;
      expect(compacted.final.accuracy).toBe(masked.final.accuracy);
      expect(compacted.final.nonzeroParams).toBeLessThanOrEqual(masked.final.nonzeroParams);
      expect(compacted.final.params).toBeLessThan(0.5 * masked.final.params);
      expect(compacted.final.flops).toBeLessThan(masked.final.flops);
      const [a, b] = await Promise.all(outs.map(loadOutput));
      const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(a.predict(x.x) as tf.Tensor, b.predict(x.x) as tf.Tensor))).dataSync()[0]);
      expect(diff).toBeLessThan(1e-4);
      expect(b.getLayer('conv1').getWeights()[0].shape[3]).toBeLessThan(8);
      expect(b.getLayer('out').getWeights()[0].shape[1]).toBe(10);
    }
  });
});

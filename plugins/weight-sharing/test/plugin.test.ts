import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ArrayDataset, chooseBackend, Evaluation, loadConfig, loadModel, Pipeline, prunableWeights, Rng, saveModel, silentLogger, tf, train } from '@nncompress/core';
import { loadMnist } from '@nncompress/core/data';
import { encodeArtifacts, readNnc } from '@nncompress/format';
import { readModelArtifacts } from '@nncompress/core/model';
import { chooseBits } from '../src';

// The committed, trained LeNet-300-100 of the mnist-lenet example.
const modelJson = path.join(__dirname, '../../../examples/mnist-lenet/models/lenet-300-100/model.json');
let dir: string;

const config = (shareStage: string, shareOptions = '{ bits: 3, biasBits: 4 }'): string => `
model: ${JSON.stringify(modelJson)}
seed: 5
data: { source: mnist, train: 1500, test: 500 }
plugins:
  prune: { use: '@nncompress/plugin-magnitude', options: { scope: global } }
  share: { use: '@nncompress/plugin-weight-sharing', options: ${shareOptions} }
  tune: { use: '@nncompress/plugin-finetune', options: { epochs: 1, learningRate: 0.0003 } }
encode: { codec: auto }
stages:
  - name: prune
    use: [prune]
    target: { sparsity: 0.9 }
${shareStage}
`;

async function run(name: string, text: string): Promise<Awaited<ReturnType<Pipeline['run']>>> {
  fs.writeFileSync(path.join(dir, name), text);
  return new Pipeline(loadConfig(path.join(dir, name)), { outDir: path.join(dir, `out-${name}`), logger: silentLogger }).run();
}

/** Distinct non-zero values of a tensor. */
const distinctNonZero = (values: ArrayLike<number>): number => new Set(Array.from(values).filter((v) => v !== 0)).size;

beforeAll(async () => {
  await chooseBackend('wasm');
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nnc-share-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('weight sharing in a pipeline (LeNet-300-100, real digits)', () => {
  it('leaves ≤ 2^bits values per kernel with every pruned zero kept, fine-tunes the shared values, and the codebook codec stores it smaller than a palette', async () => {
    const report = await run('share.yaml', config('  - { name: share, use: [share, tune] }'));
    const [pruned, shared] = report.stages;
    // Sparsity is exactly the pruning stage's: sharing moves no weight to or from zero.
    expect(shared.sparsity).toBe(pruned.sparsity);
    expect(report.final.sparsity).toBe(pruned.sparsity);
    // Three bits on a 90% pruned LeNet-300-100, then one epoch on the shared values: within two points.
    expect(shared.accuracyAfter).toBeGreaterThanOrEqual(pruned.accuracyAfter! - 0.02);
    const out = path.join(dir, 'out-share.yaml');
    const model = await loadModel(path.join(out, 'model', 'model.json'));
    for (const w of prunableWeights(model)) expect(distinctNonZero(w.variable.read().dataSync())).toBeLessThanOrEqual(8);
    for (const layer of model.layers) {
      const bias = layer.weights.find((v) => v.name.endsWith('/bias'));
      if (bias) expect(distinctNonZero(bias.read().dataSync())).toBeLessThanOrEqual(16);
    }
    model.dispose();
    // The file: lossless (auto without a bound), kernels in codebooks, smaller than the huffman codec's palettes.
    const file = readNnc(new Uint8Array(fs.readFileSync(path.join(out, 'model.nnc'))));
    expect(file.header.tensors.every((t) => t.maxError === 0)).toBe(true);
    const kernels = file.header.tensors.filter((t) => t.name.endsWith('/kernel'));
    expect(kernels.some((t) => t.codec === 'codebook' || t.params.inner === 'codebook')).toBe(true);
    const palettes = readNnc(encodeArtifacts(readModelArtifacts(path.join(out, 'model', 'model.json')), () => ({ codec: 'huffman' })));
    const bytes = (f: typeof file): number => f.header.tensors.reduce((n, t) => n + t.length, 0);
    expect(bytes(file)).toBeLessThan(bytes(palettes));
    expect(report.final.accuracy).toBe(shared.accuracyAfter);
  });

  it('refuses a stage that prunes and shares, saying why and what to do', async () => {
    await expect(run('both.yaml', config('  - { name: both, use: [prune, share], target: { sparsity: 0.95 } }'))).rejects.toThrow(
      'stage "both" prunes (target sparsity) and shares weights: pruning after clustering breaks the clusters; share weights in a stage of its own, after the pruning stages',
    );
  });

  it('refuses a layerBits entry naming no layer', async () => {
    await expect(run('nolayer.yaml', config('  - { name: share, use: [share] }', '{ layerBits: { fc9: 3 } }'))).rejects.toThrow('layerBits: the model has no layer named "fc9"');
  });
});

describe('weight sharing on a network unlike the LeNets: depthwise convolution, BatchNorm, a residual Add', () => {
  it('shares every kernel (the depthwise one too), leaves BatchNorm alone, and trains the shared values; per channel too, stored one codebook per filter', async () => {
    const rng = new Rng(11);
    const init = (): ReturnType<typeof tf.initializers.glorotUniform> => tf.initializers.glorotUniform({ seed: rng.childSeed() });
    const input = tf.input({ shape: [28, 28, 1] });
    const stem = tf.layers.conv2d({ filters: 12, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', kernelInitializer: init(), name: 'stem' }).apply(input) as tf.SymbolicTensor;
    const dw = tf.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same', depthwiseInitializer: init(), name: 'dw' }).apply(stem) as tf.SymbolicTensor;
    const bn = tf.layers.batchNormalization({ name: 'bn' }).apply(dw) as tf.SymbolicTensor;
    const sum = tf.layers.add({ name: 'residual' }).apply([stem, tf.layers.reLU().apply(bn) as tf.SymbolicTensor]) as tf.SymbolicTensor;
    const pooled = tf.layers.flatten({ name: 'flat' }).apply(sum) as tf.SymbolicTensor;
    const output = tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: init(), name: 'out' }).apply(pooled) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: output });
    train(model, loadMnist({ train: 600, test: 10 }).train, { epochs: 3, batchSize: 32, learningRate: 0.003, rng: new Rng(2) });
    const bnBefore = model.getLayer('bn').getWeights().map((t) => Array.from(t.dataSync()));
    const folder = path.join(dir, 'dw-model');
    await saveModel(model, folder);
    fs.writeFileSync(
      path.join(dir, 'dw.yaml'),
      `model: ./dw-model/model.json\nseed: 3\ndata: { source: mnist, train: 600, test: 300 }\nplugins:\n  share: { use: '@nncompress/plugin-weight-sharing', options: { bits: 3 } }\n  tune: { use: '@nncompress/plugin-finetune', options: { epochs: 1, learningRate: 0.003, batchNorm: freeze } }\nencode: { codec: auto }\nstages:\n  - { name: share, use: [share, tune] }\n`,
    );
    const report = await new Pipeline(loadConfig(path.join(dir, 'dw.yaml')), { outDir: path.join(dir, 'out-dw'), logger: silentLogger }).run();
    const shared = await loadModel(path.join(dir, 'out-dw', 'model', 'model.json'));
    const kernels = prunableWeights(shared);
    expect(kernels.map((w) => w.layerName)).toEqual(['stem', 'dw', 'out']);
    for (const w of kernels) expect(distinctNonZero(w.variable.read().dataSync())).toBeLessThanOrEqual(8);
    // BatchNorm's scale and shift trained with BatchNorm frozen, so only its statistics are certainly untouched; none is clustered.
    const bnAfter = shared.getLayer('bn').getWeights().map((t) => Array.from(t.dataSync()));
    expect(bnAfter[2]).toEqual(bnBefore[2]);
    expect(bnAfter[3]).toEqual(bnBefore[3]);
    expect(distinctNonZero(bnAfter[0])).toBeGreaterThan(4);
    // Three bits for every kernel, then one epoch on the shared values: no worse than five points below the model as it came.
    expect(report.stages[0].accuracyAfter).toBeGreaterThanOrEqual(report.baseline.accuracy! - 0.05);
    expect(report.final.accuracy).toBe(report.stages[0].accuracyAfter);
    shared.dispose();

    // Per channel: 2 bits for each filter (the depthwise kernel's channel is its third axis), and one codebook per channel in the file.
    fs.writeFileSync(path.join(dir, 'dw-pc.yaml'), fs.readFileSync(path.join(dir, 'dw.yaml'), 'utf8').replace('{ bits: 3 }', '{ bits: 2, perChannel: true }'));
    const perChannelReport = await new Pipeline(loadConfig(path.join(dir, 'dw-pc.yaml')), { outDir: path.join(dir, 'out-dw-pc'), logger: silentLogger }).run();
    const split = await loadModel(path.join(dir, 'out-dw-pc', 'model', 'model.json'));
    for (const w of prunableWeights(split)) {
      const values = w.variable.read().dataSync();
      const channels = w.shape[w.shape.length - 1] === 1 ? w.shape[w.shape.length - 2] : w.shape[w.shape.length - 1];
      for (let c = 0; c < channels; c++) expect(distinctNonZero(values.filter((_, i) => i % channels === c))).toBeLessThanOrEqual(4);
      expect(distinctNonZero(values)).toBeGreaterThan(4);
    }
    const file = readNnc(new Uint8Array(fs.readFileSync(path.join(dir, 'out-dw-pc', 'model.nnc'))));
    const dwEntry = file.header.tensors.find((t) => t.shape.length === 4 && t.shape[3] === 1);
    expect(dwEntry).toMatchObject({ codec: 'codebook', params: { channels: 12 } });
    expect(perChannelReport.final.accuracy).toBeGreaterThanOrEqual(perChannelReport.baseline.accuracy! - 0.05);
    split.dispose();

    // float16 entries: the same run with the shared values on float16's grid stores every codebook entry in 2 bytes, not 4.
    fs.writeFileSync(path.join(dir, 'dw-half.yaml'), fs.readFileSync(path.join(dir, 'dw.yaml'), 'utf8').replace('{ bits: 3 }', "{ bits: 2, perChannel: true, entries: 'float16' }"));
    const halfReport = await new Pipeline(loadConfig(path.join(dir, 'dw-half.yaml')), { outDir: path.join(dir, 'out-dw-half'), logger: silentLogger }).run();
    const halfFile = readNnc(new Uint8Array(fs.readFileSync(path.join(dir, 'out-dw-half', 'model.nnc'))));
    const codebooks = halfFile.header.tensors.filter((t) => t.codec === 'codebook');
    expect(codebooks.length).toBeGreaterThanOrEqual(3);
    for (const t of codebooks) expect(t.params.entryBits).toBe(16);
    // Up to 4 entries in each of 12 + 12 + 10 filters, each 2 bytes shorter; the indices are the same clusters.
    expect(halfReport.final.encodedBytes).toBeLessThan(perChannelReport.final.encodedBytes!);
    expect(halfReport.final.accuracy).toBeGreaterThanOrEqual(perChannelReport.baseline.accuracy! - 0.05);
    model.dispose();
  });
});

describe('chooseBits', () => {
  it('takes per kernel the fewest bits within a per-layer bound, or spends a total budget where it saves the most bits (hand-checked with a loss that is 1/clusters)', async () => {
    const model = tf.sequential({ layers: [tf.layers.dense({ units: 30, inputShape: [20], name: 'a', kernelInitializer: tf.initializers.randomUniform({ seed: 1 }) }), tf.layers.dense({ units: 30, name: 'b', kernelInitializer: tf.initializers.randomUniform({ seed: 2 }) })] });
    const before = model.getWeights().map((t) => t.dataSync().slice());
    // Loss: a's and b's 1/distinct values, b's weighted 4x (a "sensitive" layer).
    const evaluator = {
      evaluate(m: tf.LayersModel, _data: ArrayDataset): Evaluation {
        const [a, b] = prunableWeights(m).map((w) => distinctNonZero(w.variable.read().dataSync()));
        const loss = 1 / a + 4 / b;
        return { loss, examples: 1, metric: { name: 'loss', value: loss }, score: -loss } as unknown as Evaluation;
      },
    };
    const choices = chooseBits(model, {} as ArrayDataset, evaluator, { maxLossIncrease: 0.2, minBits: 1, maxBits: 6, include: () => true });
    // Unclustered: 600 and 900 distinct values, so the base loss is 1/600 + 4/900.
    // a: 1/2^bits − 1/600 ≤ 0.2 first at 3 bits (0.123); b: 4/2^bits − 4/900 ≤ 0.2 first at 5 bits (0.121).
    expect(choices.map((c) => [c.layerName, c.bits])).toEqual([
      ['a', 3],
      ['b', 5],
    ]);
    expect(choices[0].lossIncrease).toBeCloseTo(1 / 8 - 1 / 600, 6);
    // The model leaves as it came.
    model.getWeights().forEach((t, i) => expect(Array.from(t.dataSync())).toEqual(Array.from(before[i])));
    expect(() => chooseBits(model, {} as ArrayDataset, evaluator, { maxLossIncrease: 0.2, minBits: 5, maxBits: 3, include: () => true })).toThrow('sensitivity: minBits 5 is above maxBits 3');
    // A total budget of 0.3, from 6 bits each: a's steps cost 1/2^(b−1) − 1/2^b for 600 weights, b's four times that for 900.
    // By bits saved per unit of loss: a 6→5 (0.016), a 5→4 (0.031), b 6→5 (0.063), a 4→3 (0.063): spent 0.244;
    // a 3→2 (0.125) or b 5→4 (0.125) would pass 0.3.
    const total = chooseBits(model, {} as ArrayDataset, evaluator, { maxLossIncrease: 0.3, budget: 'total', minBits: 1, maxBits: 6, include: () => true });
    expect(total.map((c) => [c.layerName, c.bits])).toEqual([
      ['a', 3],
      ['b', 5],
    ]);
    expect(total.reduce((sum, c) => sum + c.lossIncrease, 0)).toBeCloseTo(1 / 8 - 1 / 600 + 4 / 32 - 4 / 900, 6);
    // A budget below what maxBits already costs: every layer keeps maxBits, and it is said.
    const said: string[] = [];
    const tight = chooseBits(model, {} as ArrayDataset, evaluator, { maxLossIncrease: 0.01, budget: 'total', minBits: 1, maxBits: 6, include: () => true, onBudget: (m) => said.push(m) });
    expect(tight.map((c) => c.bits)).toEqual([6, 6]);
    expect(said).toEqual(['the layers at maxBits 6 already add up to a loss rise of 0.0720, above the budget 0.01: every layer keeps 6 bits']);
  });
});

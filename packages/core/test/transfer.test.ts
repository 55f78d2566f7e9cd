import { ArrayDataset, chooseBackend, Rng, tf, train } from '../src';
import { attachHead, replaceHead } from '../src/entries/graph';
import { loadMnist } from '../src/entries/data';
import { maxAbsDiff } from './helpers';

const init = (seed: number): ReturnType<typeof tf.initializers.glorotUniform> => tf.initializers.glorotUniform({ seed });

/** A fully convolutional body with a dense tail: conv(4, same)-relu-conv(6, same)-relu-flatten-dense(8)-dense(5). */
function convNet(): tf.LayersModel {
  const input = tf.input({ shape: [8, 8, 1], name: 'image' });
  let x = tf.layers.conv2d({ name: 'c1', filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: init(1) }).apply(input) as tf.SymbolicTensor;
  x = tf.layers.conv2d({ name: 'c2', filters: 6, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: init(2) }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.flatten({ name: 'flat' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.dense({ name: 'd1', units: 8, activation: 'relu', kernelInitializer: init(3) }).apply(x) as tf.SymbolicTensor;
  const out = tf.layers.dense({ name: 'd2', units: 5, activation: 'softmax', kernelInitializer: init(4) }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

beforeAll(async () => {
  await chooseBackend('wasm');
});

describe('transfer heads', () => {
  it('attachHead cuts after the named layer, pools, adds a seeded softmax head and takes a new input size', async () => {
    const model = convNet();
    const next = await attachHead(model, { classes: 3, seed: 7, on: 'c2', inputShape: [12, 12, 1] });
    expect(next.layers.map((l) => l.name)).toEqual(['image', 'c1', 'c2', 'head_pool', 'head']);
    expect(next.inputs[0].shape).toEqual([null, 12, 12, 1]);
    // The kept body computes what it did before (convolutions do not depend on the input size).
    const x = tf.randomUniform([2, 8, 8, 1], 0, 1, 'float32', 5);
    const body = tf.model({ inputs: model.inputs, outputs: model.getLayer('c2').output as tf.SymbolicTensor });
    const same = await attachHead(model, { classes: 3, seed: 7, on: 'c2' });
    const sameBody = tf.model({ inputs: same.inputs, outputs: same.getLayer('c2').output as tf.SymbolicTensor });
    expect(maxAbsDiff(body.predict(x) as tf.Tensor, sameBody.predict(x) as tf.Tensor)).toBe(0);
    // Probabilities for the new classes; the same seed gives the same head.
    const probs = next.predict(tf.randomUniform([2, 12, 12, 1], 0, 1, 'float32', 6)) as tf.Tensor;
    expect(probs.shape).toEqual([2, 3]);
    expect(Array.from(tf.sum(probs, 1).dataSync()).every((s) => Math.abs(s - 1) < 1e-5)).toBe(true);
    expect(Array.from(next.getLayer('head').getWeights()[0].dataSync())).toEqual(Array.from(same.getLayer('head').getWeights()[0].dataSync()));
    await expect(attachHead(model, { classes: 3, seed: 7, on: 'c9' })).rejects.toThrow('head: the model has no layer named "c9"');
  });

  it('replaceHead keeps everything but the output layer; names a non-Dense output', async () => {
    const model = convNet();
    const next = await replaceHead(model, 10, 3);
    expect(next.outputs[0].shape).toEqual([null, 10]);
    expect(Array.from(next.getLayer('d1').getWeights()[0].dataSync())).toEqual(Array.from(model.getLayer('d1').getWeights()[0].dataSync()));
    const pooled = await attachHead(model, { classes: 3, seed: 1, on: 'c2' });
    const cut = tf.model({ inputs: pooled.inputs, outputs: pooled.getLayer('head_pool').output as tf.SymbolicTensor });
    await expect(replaceHead(cut, 2, 1)).rejects.toThrow(/the output layer head_pool is GlobalAveragePooling2D, not Dense; cannot replace the head/);
  });

  it('train({ layers }) updates only those layers and refuses unknown names', () => {
    const model = convNet();
    const before = model.getWeights().map((w) => Array.from(w.dataSync()));
    const data = loadMnist({ train: 64 }).train;
    // Central 8×8 crops of real digits, five classes (label mod 5), to fit this small net.
    const digits = new Float32Array(64 * 64);
    for (let i = 0; i < 64; i++) for (let r = 0; r < 8; r++) for (let c = 0; c < 8; c++) digits[i * 64 + r * 8 + c] = data.features[i * 784 + (10 + r) * 28 + 10 + c];
    const labels = Uint8Array.from(data.labels.slice(0, 64), (l) => l % 5);
    const set = new ArrayDataset('crop', digits, labels, [8, 8, 1], 5);
    train(model, set, { epochs: 1, batchSize: 16, learningRate: 0.01, rng: new Rng(1), layers: ['d2'] });
    const after = model.getWeights().map((w) => Array.from(w.dataSync()));
    const names = model.weights.map((w) => w.name);
    names.forEach((name, i) => {
      if (name.startsWith('d2/')) expect(after[i]).not.toEqual(before[i]);
      else expect(after[i]).toEqual(before[i]);
    });
    expect(() => train(model, set, { epochs: 1, batchSize: 16, learningRate: 0.01, rng: new Rng(1), layers: ['d9'] })).toThrow('layers: the model has no layer named "d9"');
  });
});

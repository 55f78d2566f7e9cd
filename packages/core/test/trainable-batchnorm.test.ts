import * as fs from 'node:fs';
import * as path from 'node:path';
import { chooseBackend, loadConfig, Pipeline, Rng, saveModel, tf, train } from '../src';
import { untrainableBatchNorms, withTrainableBatchNorm } from '../src/entries/graph';
import { loadMnist } from '../src/entries/data';
import { maxAbsDiff, plainTfjsRoundTrip, tmpDir } from './helpers';

/** conv(6) → BatchNormalization(flags) → ReLU → GlobalAveragePooling2D → dense(10). */
function convBn(flags: { scale?: boolean; center?: boolean }): tf.LayersModel {
  const input = tf.input({ shape: [28, 28, 1] });
  let x = tf.layers.conv2d({ name: 'conv', filters: 6, kernelSize: 5, strides: 2, kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }).apply(input) as tf.SymbolicTensor;
  x = tf.layers.batchNormalization({ name: 'bn', ...flags, betaInitializer: tf.initializers.randomNormal({ seed: 2 }), gammaInitializer: tf.initializers.randomNormal({ seed: 3, mean: 1 }), movingMeanInitializer: tf.initializers.randomNormal({ seed: 4 }), movingVarianceInitializer: 'ones' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.reLU({ name: 'relu' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(x) as tf.SymbolicTensor;
  const out = tf.layers.dense({ name: 'out', units: 10, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 5 }) }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

beforeAll(async () => {
  await chooseBackend('wasm');
});

describe('BatchNormalization with scale or center off (tfjs cannot train it)', () => {
  const digits = loadMnist({ train: 200, test: 100 });

  it.each([{ scale: false }, { center: false }, { scale: false, center: false }])('%j is rewritten to the same function, which trains', async (flags) => {
    const model = convBn(flags);
    expect(untrainableBatchNorms(model)).toEqual(['bn']);
    // What users hit before: tfjs's own TypeError, now one line naming the layer and the fix.
    expect(() => train(model, digits.train, { epochs: 1, batchSize: 32, learningRate: 1e-3, rng: new Rng(1) })).toThrow(
      'tfjs cannot train BatchNormalization layers with scale or center off (bn); rewrite the model with withTrainableBatchNorm first (same function)',
    );
    const rewritten = (await withTrainableBatchNorm(model))!;
    expect(rewritten.rewritten).toEqual(['bn']);
    expect(untrainableBatchNorms(rewritten.model)).toEqual([]);
    const { x } = digits.test.batch(0, 50, [28, 28, 1]);
    expect(maxAbsDiff(rewritten.model.predict(x) as tf.Tensor, model.predict(x) as tf.Tensor)).toBeLessThan(1e-6);
    const before = (rewritten.model.predict(x) as tf.Tensor).dataSync().slice();
    train(rewritten.model, digits.train, { epochs: 1, batchSize: 32, learningRate: 1e-3, rng: new Rng(1) });
    expect(maxAbsDiff(rewritten.model.predict(x) as tf.Tensor, tf.tensor(before, [50, 10]))).toBeGreaterThan(0);
    const loaded = await plainTfjsRoundTrip(rewritten.model);
    expect(maxAbsDiff(loaded.predict(x) as tf.Tensor, rewritten.model.predict(x) as tf.Tensor)).toBe(0);
    expect(await withTrainableBatchNorm(rewritten.model)).toBeUndefined();
  });

  it.each(['update', 'freeze', 'recalibrate'])('runs in a pipeline with filter pruning and fine-tuning (batchNorm: %s), giving a smaller model', async (batchNorm) => {
    const dir = tmpDir('nnc-bn-');
    const model = convBn({ scale: false });
    await saveModel(model, path.join(dir, 'model'));
    const config = path.join(dir, 'pipeline.yaml');
    fs.writeFileSync(config, `model: ./model/model.json
data: { source: mnist, train: 200, test: 100 }
plugins:
  filters: { use: '@nncompress/plugin-filter-pruning', options: { criterion: average-weight } }
  tune: { use: '@nncompress/plugin-finetune', options: { epochs: 1, batchNorm: ${batchNorm} } }
stages:
  - name: narrow
    target: { filterRatio: 0.5 }
`);
    const infos: string[] = [];
    const report = await new Pipeline(loadConfig(config), { outDir: path.join(dir, 'out'), logger: { info: (m) => void infos.push(m), warn: () => {}, debug: () => {} } }).run();
    expect(infos).toContain('BatchNormalization bn: scale/center turned on with gamma 1 and beta 0 (the same function; tfjs cannot train them off)');
    expect(report.final.params).toBeLessThan(report.baseline.params);
    expect(report.stages[0].reached.filterRatio).toBeCloseTo(0.5, 6);
  });
});

import * as fs from 'node:fs';
import * as path from 'node:path';
import { ArrayDataset, chooseBackend, ConfigError, InputError, loadConfig, loadModel, Pipeline, saveModel, silentLogger, tf } from '../src';
import { makeTask, taskFromTrainingConfig, unmeasurableReason } from '../src/entries/training';
import { smallMlp, tmpDir } from './helpers';

const dense = (units: number, activation?: 'softmax' | 'sigmoid' | 'linear'): tf.LayersModel =>
  tf.sequential({ layers: [tf.layers.flatten({ inputShape: [28, 28, 1] }), tf.layers.dense({ name: 'out', units, ...(activation ? { activation } : {}) })] });

beforeAll(async () => {
  await chooseBackend('wasm');
});

describe('only what core can measure is compressed', () => {
  it('names what it cannot measure: logits, sigmoid outputs, a class count that differs, several outputs', () => {
    expect(unmeasurableReason(smallMlp(1), 10)).toBeUndefined();
    expect(unmeasurableReason(dense(10), 10)).toBe('its output layer out (Dense) ends in activation linear, not the softmax a classification task needs');
    expect(unmeasurableReason(dense(10, 'sigmoid'), 10)).toBe('its output layer out (Dense) ends in activation sigmoid, not the softmax a classification task needs');
    expect(unmeasurableReason(dense(7, 'softmax'), 10)).toBe('it outputs 7 class probabilities but the data have 10 classes; to fit the model to these classes, give it a new output layer (the filter-pruning plugin does with head: auto)');
    // A softmax as its own layer after a linear Dense is a softmax output.
    const separate = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [28, 28, 1] }), tf.layers.dense({ units: 10 }), tf.layers.activation({ activation: 'softmax' })] });
    expect(unmeasurableReason(separate, 10)).toBeUndefined();
    const input = tf.input({ shape: [4] });
    const two = tf.model({ inputs: input, outputs: [tf.layers.dense({ units: 2, activation: 'softmax' }).apply(input) as tf.SymbolicTensor, tf.layers.dense({ units: 2, activation: 'softmax' }).apply(input) as tf.SymbolicTensor] });
    expect(unmeasurableReason(two, 2)).toBe('the model has 2 outputs');
  });

  it('holds each task to its output: a sigmoid per label for binary and multilabel, one output per target for regression', () => {
    const features = new Float32Array(4 * 784);
    const twoClasses = new ArrayDataset('b', features, Uint8Array.of(0, 1, 0, 1), [28, 28, 1], 2);
    const binary = twoClasses.withTask(makeTask({ kind: 'binary' }));
    expect(unmeasurableReason(dense(1, 'sigmoid'), binary)).toBeUndefined();
    expect(unmeasurableReason(dense(2, 'softmax'), binary)).toBe('its output layer out (Dense) ends in activation softmax, not the sigmoid a binary task needs');
    expect(unmeasurableReason(dense(2, 'sigmoid'), binary)).toBe('it outputs 2 values but a binary task on these data needs 1');
    const targets = (width: number) => new ArrayDataset('r', features, new Uint8Array(4), [28, 28, 1], 1, { targets: new Float32Array(4 * width) });
    const multilabel = targets(3).withTask(makeTask({ kind: 'multilabel' }));
    expect(unmeasurableReason(dense(3, 'sigmoid'), multilabel)).toBeUndefined();
    expect(unmeasurableReason(dense(3), multilabel)).toBe('its output layer out (Dense) ends in activation linear, not the sigmoid a multilabel task needs');
    const regression = targets(2).withTask(makeTask({ kind: 'regression' }));
    expect(unmeasurableReason(dense(2), regression)).toBeUndefined();
    expect(unmeasurableReason(dense(1), regression)).toBe('it outputs 1 value but the data have 2 targets per example');
    expect(unmeasurableReason(dense(2, 'softmax'), regression)).toBe('its output layer out (Dense) ends in activation softmax: a softmax sums to 1, which regression targets do not');
    expect(() => twoClasses.withTask(makeTask({ kind: 'regression' }))).toThrow('dataset b: a regression task needs float targets, and the data have class labels only');
  });

  it('a regression model (mean squared error in its training config) is scored as regression, and refused on data without targets, writing nothing', async () => {
    const dir = tmpDir('nnc-task-');
    await saveModel(dense(1), path.join(dir, 'model'));
    // The training config Keras and tfjs-converter write beside the topology.
    const file = path.join(dir, 'model', 'model.json');
    const json = JSON.parse(fs.readFileSync(file, 'utf8'));
    json.trainingConfig = { loss: 'mean_squared_error', metrics: ['mae'], optimizer_config: { class_name: 'Adam', config: { learning_rate: 0.001, beta_1: 0.9, beta_2: 0.999, epsilon: 1e-7 } } };
    fs.writeFileSync(file, JSON.stringify(json));
    expect(taskFromTrainingConfig(await loadModel(file))).toEqual({ kind: 'regression', loss: 'meanSquaredError', metric: 'meanAbsoluteError' });
    fs.writeFileSync(path.join(dir, 'c.yaml'), `model: ./model/model.json
data: { source: mnist, train: 100, test: 100 }
plugins:
  prune: { use: '@nncompress/plugin-magnitude' }
  tune: { use: '@nncompress/plugin-finetune' }
stages:
  - name: s
    target: { sparsity: 0.5 }
`);
    const err = await new Pipeline(loadConfig(path.join(dir, 'c.yaml')), { outDir: path.join(dir, 'out'), logger: silentLogger }).run().catch((e: unknown) => e);
    // Before tasks, this model ran to the end reporting "accuracy 100% → 100%" while fine-tuning ruined it.
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toBe(`${path.join(dir, 'c.yaml')}: task: regression: a regression task needs float targets, and the data have class labels only (data (source mnist))`);
    expect(fs.existsSync(path.join(dir, 'out'))).toBe(false);
  });

  it('refuses a model with NaN or infinite weights, naming the weight and entry', async () => {
    // Before this check the run completed, its accuracy falling to chance with no word.
    const dir = tmpDir('nnc-nan-');
    const model = smallMlp(2);
    const hidden = model.getLayer('hidden');
    const [kernel, bias] = hidden.getWeights();
    const values = kernel.dataSync().slice();
    values[17] = NaN;
    hidden.setWeights([tf.tensor(values, kernel.shape), bias]);
    await saveModel(model, path.join(dir, 'model'));
    fs.writeFileSync(path.join(dir, 'c.yaml'), `model: ./model/model.json\ndata: { source: mnist, train: 100, test: 100 }\nstages: [{ name: s }]\n`);
    const err = await new Pipeline(loadConfig(path.join(dir, 'c.yaml')), { outDir: path.join(dir, 'out'), logger: silentLogger }).run().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toMatch(/c\.yaml: model: weight hidden\/kernel\S* holds NaN at entry 17; a model with NaN or infinite weights cannot be measured or compressed$/);
    expect(fs.existsSync(path.join(dir, 'out'))).toBe(false);
  });
});

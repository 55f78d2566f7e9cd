import { chooseBackend, createHooks, evaluate, importanceMeasures, MaskSet, prunableWeights, Rng, RoundContext, silentLogger, tf, train, WeightTies } from '@nncompress/core';
import { defaultServices } from '@nncompress/core/training';
import { DatasetRegistry, loadMnist } from '@nncompress/core/data';
import { validateAgainst } from '@nncompress/core/internal';
import FinetunePlugin, { FinetuneOptions, finetuneOptionsSchema } from '../src';

function mlp(): tf.LayersModel {
  const rng = new Rng(9);
  const init = (): ReturnType<typeof tf.initializers.glorotUniform> => tf.initializers.glorotUniform({ seed: rng.childSeed() });
  return tf.sequential({
    layers: [
      tf.layers.flatten({ inputShape: [28, 28, 1] }),
      tf.layers.dense({ units: 40, activation: 'relu', kernelInitializer: init() }),
      tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: init() }),
    ],
  });
}

function options(overrides: Partial<FinetuneOptions> = {}): FinetuneOptions {
  const o: Record<string, unknown> = { ...overrides };
  expect(validateAgainst(finetuneOptionsSchema, o)).toBeUndefined();
  return o as unknown as FinetuneOptions;
}

function setup(opts: FinetuneOptions, model: tf.LayersModel, masks: MaskSet, rounds = 1): { hooks: ReturnType<typeof createHooks>; ctx: (round: number) => RoundContext } {
  const hooks = createHooks();
  const data = loadMnist({ train: 600, test: 300 });
  const plugin = new FinetunePlugin(silentLogger, defaultServices.trainer);
  plugin.apply(hooks, opts, { instanceName: 'tune', logger: silentLogger, rng: new Rng(4), datasets: new DatasetRegistry(), backend: { name: 'wasm', notes: [] }, importance: importanceMeasures, resolvePath: (p: string) => p, emitFile: () => {} });
  const ctx = (round: number): RoundContext => ({
    state: { model, masks, ties: new WeightTies() },
    data,
    task: data.train.task,
    seed: 1,
    backend: 'wasm',
    stage: { name: 's' },
    stageIndex: 0,
    round,
    rounds,
    targets: { sparsity: 0.7 },
    stageTargets: { sparsity: 0.7 },
    layerTargets: {},
    progress: (round + 1) / rounds,
    targetSparsity: 0.7,
    targetFilterRatio: 0,
    targetLayers: 0,
    channels: () => { throw new Error("not used"); },
  });
  return { hooks, ctx };
}

describe('finetune plugin', () => {
  beforeAll(async () => {
    await chooseBackend('wasm');
  });

  it('keeps masked weights exactly zero while training the others, and recovers accuracy', async () => {
    const model = mlp();
    const data = loadMnist({ train: 600, test: 300 });
    train(model, data.train, { epochs: 2, batchSize: 32, learningRate: 0.003, rng: new Rng(1) });
    const masks = new MaskSet();
    const rng = new Rng(77);
    for (const w of prunableWeights(model)) masks.set(w.name, Uint8Array.from({ length: w.size }, () => (rng.next() < 0.8 ? 0 : 1)));
    masks.apply(model);
    const prunedAccuracy = evaluate(model, data.test).accuracy;
    const before = new Map(prunableWeights(model).map((w) => [w.name, w.variable.read().dataSync().slice()] as const));

    const { hooks, ctx } = setup(options({ epochs: 3, learningRate: 0.003 }), model, masks);
    await hooks.finetune.promise(ctx(0));

    let changed = 0;
    for (const w of prunableWeights(model)) {
      const after = w.variable.read().dataSync();
      const mask = masks.get(w.name)!;
      const old = before.get(w.name)!;
      for (let i = 0; i < after.length; i++) {
        if (mask[i] === 0) expect(after[i]).toBe(0);
        else if (after[i] !== old[i]) changed++;
      }
    }
    expect(changed).toBeGreaterThan(1000);
    expect(evaluate(model, data.test).accuracy).toBeGreaterThan(prunedAccuracy!);
  });

  it('with when=last-round, trains only in the last round of a stage', async () => {
    const model = mlp();
    const { hooks, ctx } = setup(options({ epochs: 1, when: 'last-round' }), model, new MaskSet(), 2);
    const w0 = model.getWeights()[0].dataSync().slice();
    await hooks.finetune.promise(ctx(0));
    expect(Array.from(model.getWeights()[0].dataSync())).toEqual(Array.from(w0));
    await hooks.finetune.promise(ctx(1));
    expect(Array.from(model.getWeights()[0].dataSync())).not.toEqual(Array.from(w0));
  });

  it('batchNorm recalibrate with epochs 0 re-estimates BatchNorm statistics and trains nothing', async () => {
    const model = tf.sequential({
      layers: [
        tf.layers.flatten({ inputShape: [28, 28, 1] }),
        tf.layers.dense({ units: 16, kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
        tf.layers.batchNormalization({ name: 'bn' }),
        tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }),
      ],
    });
    const trainable = model.trainableWeights.map((w) => Array.from(w.read().dataSync()));
    const { hooks, ctx } = setup(options({ epochs: 0, batchNorm: 'recalibrate' }), model, new MaskSet());
    await hooks.finetune.promise(ctx(0));
    model.trainableWeights.forEach((w, i) => expect(Array.from(w.read().dataSync())).toEqual(trainable[i]));
    // Fresh statistics were 0 and 1; digits through a random Dense give neither.
    const [, , mean, variance] = model.getLayer('bn').getWeights();
    expect(Math.max(...Array.from(mean.dataSync(), Math.abs))).toBeGreaterThan(0.01);
    expect(Array.from(variance.dataSync()).some((v) => Math.abs(v - 1) > 0.01)).toBe(true);
  });

  /** What a pruning plugin does between the teacher's capture and fine-tuning: some weights set to zero. */
  function pruneFirstKernel(model: tf.LayersModel): void {
    const [kernel, ...rest] = model.getWeights();
    const values = kernel.dataSync().slice();
    for (let i = 0; i < values.length; i += 3) values[i] = 0;
    const pruned = tf.tensor(values, kernel.shape);
    model.setWeights([pruned, ...rest]);
    pruned.dispose();
  }

  it('distill learns from the model as it was when the stage began, and frees that teacher after the last round', async () => {
    const model = mlp();
    const { hooks, ctx } = setup(options({ epochs: 1, distill: 0.8, temperature: 3 }), model, new MaskSet());
    const tensorsBefore = tf.memory().numTensors;
    await hooks.beforeRound.promise(ctx(0));
    expect(tf.memory().numTensors).toBeGreaterThan(tensorsBefore); // the teacher's weights
    pruneFirstKernel(model);
    const w0 = Array.from(model.getWeights()[0].dataSync());
    await hooks.finetune.promise(ctx(0));
    expect(Array.from(model.getWeights()[0].dataSync())).not.toEqual(w0);
    await hooks.afterRound.promise(ctx(0));
    expect(tf.memory().numTensors).toBe(tensorsBefore);
  });

  it("takes the stage's teacher before other plugins' beforeRound taps change the model", async () => {
    const model = mlp();
    const hooks0 = setup(options({ epochs: 1, distill: 0.5 }), model, new MaskSet());
    // A weight-sharing plugin applied earlier changes the model in its own beforeRound tap.
    const { ctx } = hooks0;
    const hooks = createHooks();
    hooks.beforeRound.tapPromise('EarlierPlugin', async () => pruneFirstKernel(model));
    const plugin = new FinetunePlugin(silentLogger, defaultServices.trainer);
    plugin.apply(hooks, options({ epochs: 1, distill: 0.5 }), { instanceName: 'tune', logger: silentLogger, rng: new Rng(4), datasets: new DatasetRegistry(), backend: { name: 'wasm', notes: [] }, importance: importanceMeasures, resolvePath: (p: string) => p, emitFile: () => {} });
    const round = { ...ctx(0), targets: {} };
    await hooks.beforeRound.promise(round);
    await expect(hooks.finetune.promise(round)).resolves.toBeUndefined();
    await hooks.afterRound.promise(round);
  });

  it('distill on a model unchanged since its teacher was taken is an error naming the stage', async () => {
    const { hooks, ctx } = setup(options({ epochs: 1, distill: 0.5 }), mlp(), new MaskSet());
    const finetuneOnly = { ...ctx(0), targets: {} };
    await hooks.beforeRound.promise(finetuneOnly);
    await expect(hooks.finetune.promise(finetuneOnly)).rejects.toThrow('distill: the model has not changed since its teacher was taken (stage "s" neither pruned nor shared it)');
  });

  it('teacher: input keeps the run\'s input model across stages and frees it when the run ends', async () => {
    const model = mlp();
    const { hooks, ctx } = setup(options({ epochs: 1, distill: 0.5, teacher: 'input' }), model, new MaskSet(), 2);
    const tensorsBefore = tf.memory().numTensors;
    await hooks.beforeRun.promise(ctx(0));
    pruneFirstKernel(model); // an earlier stage pruned
    // A stage that only fine-tunes still has a teacher that differs from the model.
    const recover = { ...ctx(1), stage: { name: 'recover' }, targets: {} };
    await hooks.beforeRound.promise(recover);
    await expect(hooks.finetune.promise(recover)).resolves.toBeUndefined();
    await hooks.afterRound.promise(recover);
    expect(tf.memory().numTensors).toBeGreaterThan(tensorsBefore); // kept past the stage's last round
    await hooks.afterRun.promise(ctx(0), {} as never);
    expect(tf.memory().numTensors).toBe(tensorsBefore);
  });

  it('distill from a teacher whose outputs differ from the model\'s (a new head) is an error naming both', async () => {
    const { hooks, ctx } = setup(options({ epochs: 1, distill: 0.5, teacher: 'input' }), mlp(), new MaskSet());
    const fiveClasses = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [28, 28, 1] }), tf.layers.dense({ units: 5, activation: 'softmax' })] });
    await hooks.beforeRun.promise({ ...ctx(0), state: { ...ctx(0).state, model: fiveClasses } });
    await expect(hooks.finetune.promise(ctx(0))).rejects.toThrow('distill: the teacher predicts [5] and the model in stage "s" [10]');
    await hooks.afterRun.promise(ctx(0), {} as never);
    fiveClasses.dispose();
  });

  it('rejects early stopping without a validation split, and bad option values', () => {
    expect(() => setup(options({ patience: 2 }), mlp(), new MaskSet())).toThrow(/patience needs a validation set/);
    expect(validateAgainst(finetuneOptionsSchema, { learningRate: -1 }, 'plugins.tune.options')).toBe('plugins.tune.options.learningRate: must be > 0');
    expect(validateAgainst(finetuneOptionsSchema, { epochs: 'two' }, 'plugins.tune.options')).toBe('plugins.tune.options.epochs: must be integer');
  });
});

import { chooseBackend, MaskSet, Rng, tf } from '../src';
import { ArrayDataset, loadMnist } from '../src/entries/data';
import { evaluate, makeTask, train, TrainOptions } from '../src/entries/training';
import { GradientWorkers, shardBounds } from '../src/training/data-parallel';
import { claimThreads, stopIdleThreads, unclaim } from '../src/training/worker-threads';

/**
 * Data-parallel training: worker threads compute shards of every batch, gradients are summed
 * in shard order. Needs the compiled worker script (npm test builds it first).
 */

/** A small convnet like the README's LeNet-5 (convolution, max pooling without activation before it, dense), seeded. */
function smallConvnet(): tf.LayersModel {
  const init = (seed: number): ReturnType<typeof tf.initializers.glorotUniform> => tf.initializers.glorotUniform({ seed });
  return tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 4, kernelSize: 5, kernelInitializer: init(1), name: 'conv' }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 16, activation: 'relu', kernelInitializer: init(2), name: 'hidden' }),
      tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: init(3), name: 'out' }),
    ],
  });
}

/**
 * A layer multiplying by `factor`, of a class registered in this thread only (under
 * `className`): a worker thread cannot rebuild it.
 */
function scalingLayer(className: string, factor: number): tf.layers.Layer {
  class Scaling extends tf.layers.Layer {
    static className = className;
    override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
      return tf.mul(Array.isArray(inputs) ? inputs[0] : inputs, factor);
    }
  }
  tf.serialization.registerClass(Scaling);
  return new Scaling({});
}

function weightsOf(model: tf.LayersModel): Float32Array[] {
  return model.getWeights().map((t) => t.dataSync() as Float32Array);
}

function maxRelativeDiff(a: Float32Array[], b: Float32Array[]): number {
  let worst = 0;
  a.forEach((x, i) => {
    let scale = 1e-6;
    for (const v of b[i]) scale = Math.max(scale, Math.abs(v));
    for (let j = 0; j < x.length; j++) worst = Math.max(worst, Math.abs(x[j] - b[i][j]) / scale);
  });
  return worst;
}

describe('data-parallel training', () => {
  let data: ArrayDataset;
  beforeAll(async () => {
    await chooseBackend('wasm');
    data = loadMnist({ train: 200, test: 1 }).train;
  });

  const run = (workers: number, extra: Partial<TrainOptions> = {}, model = smallConvnet()): { model: tf.LayersModel; result: ReturnType<typeof train> } => {
    const result = train(model, data, { epochs: 1, batchSize: 32, learningRate: 1e-3, rng: new Rng(5), workers, ...extra });
    return { model, result };
  };

  it('cuts a batch into contiguous shards that cover it exactly', () => {
    for (const [n, w] of [[64, 2], [7, 3], [2, 4], [1, 2], [100, 7]]) {
      let next = 0;
      for (let k = 0; k < w; k++) {
        const [a, b] = shardBounds(n, w, k);
        expect(a).toBe(next);
        expect(b).toBeGreaterThanOrEqual(a);
        next = b;
      }
      expect(next).toBe(n);
    }
  });

  it('two workers train to the weights one thread reaches, up to float rounding, with the same loss', () => {
    const one = run(1);
    const two = run(2);
    expect(one.result.workers).toBe(1);
    expect(two.result.workers).toBe(2);
    expect(two.result.workersRefused).toBeUndefined();
    // Seven steps of Adam from the same start: only the order of additions differs.
    expect(maxRelativeDiff(weightsOf(two.model), weightsOf(one.model))).toBeLessThan(1e-3);
    expect(Math.abs(two.result.epochs[0].loss - one.result.epochs[0].loss)).toBeLessThan(1e-4 * one.result.epochs[0].loss + 1e-6);
    // And training did something: the weights moved from where they started.
    expect(maxRelativeDiff(weightsOf(one.model), weightsOf(smallConvnet()))).toBeGreaterThan(1e-3);
  });

  it('gives the same bits for the same seed and worker count, and keeps pruned weights at zero', () => {
    const masked = (): { model: tf.LayersModel; masks: MaskSet } => {
      const model = smallConvnet();
      const masks = new MaskSet();
      const size = model.getLayer('hidden').weights[0].shape.reduce((a: number, b) => a * (b ?? 1), 1);
      const keep = new Uint8Array(size).map((_, i) => (i % 3 === 0 ? 0 : 1));
      masks.set(model.getLayer('hidden').weights[0].name, keep);
      return { model, masks };
    };
    const a = masked();
    const b = masked();
    run(3, { masks: a.masks }, a.model);
    run(3, { masks: b.masks }, b.model);
    const wa = weightsOf(a.model);
    const wb = weightsOf(b.model);
    wa.forEach((w, i) => expect(Buffer.from(w.buffer).equals(Buffer.from(wb[i].buffer))).toBe(true));
    const hidden = a.model.getLayer('hidden').getWeights()[0].dataSync();
    for (let i = 0; i < hidden.length; i += 3) expect(hidden[i]).toBe(0);
  });

  it('refuses, with the reason, what a worker thread could not reproduce, and trains on one thread', () => {
    // A task whose loss is the caller's own function.
    const custom = { ...makeTask({ kind: 'classification' }), lossOf: (y: tf.Tensor, p: tf.Tensor) => tf.losses.meanSquaredError(y, p) as tf.Scalar };
    const first = data.batch(0, 64, [784]);
    const customData = new ArrayDataset('custom-loss', first.x.dataSync() as Float32Array, data.labels.slice(0, 64), [28, 28, 1], 10, { task: custom });
    tf.dispose([first.x, first.y]);
    const r1 = train(smallConvnet(), customData, { epochs: 1, batchSize: 32, learningRate: 1e-3, rng: new Rng(5), workers: 2 });
    expect(r1.workers).toBe(1);
    expect(r1.workersRefused).toMatch(/task's loss is not one of core's/);

    // BatchNorm that updates its statistics from each batch.
    const withNorm = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [28, 28, 1] }), tf.layers.batchNormalization(), tf.layers.dense({ units: 10, activation: 'softmax' })] });
    const r2 = run(2, {}, withNorm).result;
    expect(r2.workers).toBe(1);
    expect(r2.workersRefused).toMatch(/BatchNorm updates its statistics/);
    // Frozen BatchNorm is fine.
    const frozen = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [28, 28, 1] }), tf.layers.batchNormalization(), tf.layers.dense({ units: 10, activation: 'softmax' })] });
    expect(run(2, { batchNorm: 'freeze' }, frozen).result.workers).toBe(2);
  });

  it('names a layer class a worker thread does not know', () => {
    const model = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [28, 28, 1] }), scalingLayer('NncTestDoubler', 2), tf.layers.dense({ units: 10, activation: 'softmax' })] });
    const r = run(2, {}, model).result;
    expect(r.workers).toBe(1);
    expect(r.workersRefused).toMatch(/worker 1 could not rebuild the model \(.*NncTestDoubler/);
  });
});

describe('data-parallel evaluation', () => {
  /** Wide enough (about 37 MFLOP an example) that 330 examples are worth a second thread. */
  const wideConvnet = (first: tf.layers.Layer[] = []): tf.LayersModel => {
    const init = (seed: number): ReturnType<typeof tf.initializers.glorotUniform> => tf.initializers.glorotUniform({ seed });
    return tf.sequential({
      layers: [
        tf.layers.inputLayer({ inputShape: [28, 28, 1] }),
        ...first,
        tf.layers.conv2d({ filters: 64, kernelSize: 5, kernelInitializer: init(1) }),
        tf.layers.conv2d({ filters: 64, kernelSize: 3, activation: 'relu', kernelInitializer: init(2) }),
        tf.layers.maxPooling2d({ poolSize: 4 }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: init(3) }),
      ],
    });
  };

  it('gives the same bits on two threads as on one, with a partial last batch, and uses the threads', async () => {
    await chooseBackend('wasm');
    const data = loadMnist({ train: 330, test: 1 }).train;
    const model = wideConvnet();
    const start = jest.spyOn(GradientWorkers, 'start');
    const one = evaluate(model, data, 64);
    expect(start).not.toHaveBeenCalled();
    const refusals: string[] = [];
    const two = evaluate(model, data, 64, { workers: 2, onRefused: (why) => refusals.push(why) });
    expect(start).toHaveBeenCalledTimes(1);
    expect(start.mock.results[0].value).toBeInstanceOf(GradientWorkers);
    start.mockRestore();
    expect(refusals).toEqual([]);
    expect(two).toEqual(one);
    expect(one.examples).toBe(330);
    model.dispose();
  });

  it('stays on one thread when the work would not pay for a thread, and when a worker cannot rebuild the model', async () => {
    await chooseBackend('wasm');
    const data = loadMnist({ train: 330, test: 1 }).train;
    const start = jest.spyOn(GradientWorkers, 'start');
    const small = smallConvnet();
    expect(evaluate(small, data, 64, { workers: 2 })).toEqual(evaluate(small, data, 64));
    expect(start).not.toHaveBeenCalled();
    start.mockRestore();
    const custom = wideConvnet([scalingLayer('NncTestHalver', 0.5)]);
    const refusals: string[] = [];
    expect(evaluate(custom, data, 64, { workers: 2, onRefused: (why) => refusals.push(why) })).toEqual(evaluate(custom, data, 64));
    expect(refusals).toHaveLength(1);
    expect(refusals[0]).toMatch(/could not rebuild the model \(.*NncTestHalver/);
    custom.dispose();
  });
});

describe('worker threads kept between calls', () => {
  it('reuses an idle thread, never hands out a busy one, and starts afresh after stopIdleThreads', async () => {
    await chooseBackend('wasm');
    const first = claimThreads(1, 'wasm');
    if (!Array.isArray(first)) throw new Error(first.refused);
    // While the first is claimed, a second claim gets another thread.
    const second = claimThreads(1, 'wasm');
    if (!Array.isArray(second)) throw new Error(second.refused);
    expect(second[0].worker).not.toBe(first[0].worker);
    unclaim([...first, ...second]);
    const again = claimThreads(2, 'wasm');
    if (!Array.isArray(again)) throw new Error(again.refused);
    expect(new Set(again.map((t) => t.worker))).toEqual(new Set([first[0].worker, second[0].worker]));
    unclaim(again);
    stopIdleThreads();
    const fresh = claimThreads(1, 'wasm');
    if (!Array.isArray(fresh)) throw new Error(fresh.refused);
    expect([first[0].worker, second[0].worker]).not.toContain(fresh[0].worker);
    unclaim(fresh);
  });

  it('trains on a kept thread after a job that failed on it, with the bits a fresh thread gives', async () => {
    await chooseBackend('wasm');
    const data = loadMnist({ train: 96, test: 1 }).train;
    const options = { epochs: 1, batchSize: 32, learningRate: 1e-3, rng: new Rng(5), workers: 2 };
    stopIdleThreads();
    const fresh = smallConvnet();
    expect(train(fresh, data, { ...options, rng: new Rng(5) }).workers).toBe(2);
    // A model the thread cannot rebuild: the job fails there, and the thread goes back to idle.
    const odd = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [28, 28, 1] }), scalingLayer('NncTestTripler', 3), tf.layers.dense({ units: 10, activation: 'softmax' })] });
    expect(train(odd, data, { ...options, rng: new Rng(5) }).workersRefused).toMatch(/NncTestTripler/);
    const kept = smallConvnet();
    expect(train(kept, data, { ...options, rng: new Rng(5) }).workers).toBe(2);
    const bits = (m: tf.LayersModel): number[][] => m.getWeights().map((t) => Array.from(t.dataSync()));
    expect(bits(kept)).toEqual(bits(fresh));
    for (const m of [fresh, odd, kept]) m.dispose();
  });
});

/**
 * A data-parallel worker (see data-parallel.ts): rebuilds the model on its own backend, then,
 * for every batch, reads the current weights and its shard from shared memory, computes the
 * shard's mean-loss gradients (or, evaluating, its metric and loss sums) and writes them back.
 * It answers only through shared memory: the thread that started it is blocked while it works.
 */
import { workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { chooseBackend, BackendName } from '../backend/choose';
import { batchSums } from './evaluate';
import { distillationLoss } from './loss';
import { makeTask } from './task';
import { inputConvolutionKernels, weightGradients } from './weight-gradients';
import { COMMAND, CONTROL, GradientWorkerData, PHASE, STATE } from './data-parallel';

const data = workerData as GradientWorkerData;
const control = new Int32Array(data.control);
const state = new Int32Array(data.state);

function fail(err: unknown): void {
  const message = new TextEncoder().encode(((err as Error)?.message ?? String(err)).split('\n')[0]);
  const bytes = new Uint8Array(data.error);
  bytes.fill(0);
  bytes.set(message.subarray(0, bytes.length - 1));
  Atomics.store(state, STATE.phase, PHASE.failed);
  Atomics.notify(state, STATE.phase);
  Atomics.notify(state, STATE.done);
}

async function rebuild(topology: unknown, weights: GradientWorkerData['weights']): Promise<tf.LayersModel> {
  const model = await tf.models.modelFromJSON({ modelTopology: topology as tf.io.ModelJSON['modelTopology'] });
  model.setWeights(weights.map((w) => tf.tensor(w.values, w.shape)));
  return model;
}

async function main(): Promise<void> {
  const backend = await chooseBackend(data.backend as BackendName);
  if (backend.name !== data.backend) throw new Error(`backend ${data.backend} is not available in a worker thread (got ${backend.name})`);
  const model = await rebuild(data.topology, data.weights);
  const teacher = data.teacher ? await rebuild(data.teacher.topology, data.teacher.weights) : undefined;
  const task = makeTask(data.task);
  const variables = data.trainable.map((i) => model.weights[i].read() as tf.Variable);
  const inputKernels = inputConvolutionKernels(model);
  const weights = new Float32Array(data.weightsBuffer);
  const gradients = new Float32Array(data.gradients);
  const loss = new Float64Array(data.loss);
  const xs = new Float32Array(data.x);
  const ys = new Float32Array(data.y);
  const rowSize = data.inputShape.reduce((a, b) => a * b, 1);
  Atomics.store(state, STATE.phase, PHASE.ready);
  Atomics.notify(state, STATE.phase);

  let seen = 0;
  for (;;) {
    Atomics.wait(control, CONTROL.sequence, seen);
    seen = Atomics.load(control, CONTROL.sequence);
    if (Atomics.load(control, CONTROL.command) === COMMAND.stop) return;
    const from = Atomics.load(state, STATE.from);
    const to = Atomics.load(state, STATE.to);
    if (to > from && data.mode === 'evaluate') {
      const x = tf.tensor(xs.subarray(from * rowSize, to * rowSize), [to - from, ...data.inputShape]);
      const y = tf.tensor2d(ys.subarray(from * data.yWidth, to * data.yWidth), [to - from, data.yWidth]);
      [loss[0], loss[1]] = batchSums(model, task, x, y);
      tf.dispose([x, y]);
    } else if (to > from) {
      tf.tidy(() => {
        let offset = 0;
        for (const v of variables) {
          v.assign(tf.tensor(weights.subarray(offset, offset + v.size), v.shape));
          offset += v.size;
        }
        const x = tf.tensor(xs.subarray(from * rowSize, to * rowSize), [to - from, ...data.inputShape]);
        const y = tf.tensor2d(ys.subarray(from * data.yWidth, to * data.yWidth), [to - from, data.yWidth]);
        const teacherProbs = teacher ? (teacher.predict(x) as tf.Tensor) : undefined;
        const { value, grads } = weightGradients(
          () => {
            const probs = model.apply(x, { training: data.training }) as tf.Tensor;
            return data.distill && teacherProbs ? distillationLoss(y, probs, teacherProbs, data.distill) : task.lossOf(y, probs);
          },
          variables,
          inputKernels,
        );
        offset = 0;
        for (const v of variables) {
          gradients.set(grads[v.name].dataSync() as Float32Array, offset);
          offset += v.size;
        }
        loss[0] = value.dataSync()[0];
      });
    }
    Atomics.store(state, STATE.done, seen);
    Atomics.notify(state, STATE.done);
  }
}

main().catch(fail);

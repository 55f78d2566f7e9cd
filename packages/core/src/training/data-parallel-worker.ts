/**
 * A data-parallel worker thread (see data-parallel.ts). It loads its backend once, then serves
 * one job after another, each posted as a message: rebuild the job's model, then, for every
 * batch, read the current weights and its shard from shared memory, compute the shard's
 * mean-loss gradients (or, evaluating, its metric and loss sums) and write them back. It
 * answers only through shared memory: the thread that posted the job is blocked while it works.
 * Idle for IDLE_EXIT_MS, it leaves, unless a job claimed it first (see worker-threads.ts).
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { chooseBackend, BackendName } from '../backend/choose';
import { batchSums } from './evaluate';
import { distillationLoss } from './loss';
import { makeTask } from './task';
import { inputConvolutionKernels, weightGradients } from './weight-gradients';
import { COMMAND, CONTROL, GradientWorkerData, PHASE, STATE } from './data-parallel';
import { IDLE_EXIT_MS, LIFE, ThreadBoot, writeError } from './worker-threads';

const boot = workerData as ThreadBoot;
const life = new Int32Array(boot.life);

function failJob(job: GradientWorkerData, err: unknown): void {
  const state = new Int32Array(job.state);
  writeError(new Uint8Array(job.error), err);
  Atomics.store(state, STATE.phase, PHASE.failed);
  Atomics.notify(state, STATE.phase);
  Atomics.notify(state, STATE.done);
}

async function rebuild(topology: unknown, weights: GradientWorkerData['weights']): Promise<tf.LayersModel> {
  const model = await tf.models.modelFromJSON({ modelTopology: topology as tf.io.ModelJSON['modelTopology'] });
  const values = weights.map((w) => tf.tensor(w.values, w.shape));
  model.setWeights(values);
  tf.dispose(values);
  return model;
}

/** Serves one job until its stop command; the models it rebuilt are disposed when it returns. */
async function runJob(data: GradientWorkerData): Promise<void> {
  const control = new Int32Array(data.control);
  const state = new Int32Array(data.state);
  const model = await rebuild(data.topology, data.weights);
  const teacher = data.teacher ? await rebuild(data.teacher.topology, data.teacher.weights) : undefined;
  try {
    serve(data, control, state, model, teacher);
  } finally {
    model.dispose();
    teacher?.dispose();
  }
}

function serve(data: GradientWorkerData, control: Int32Array, state: Int32Array, model: tf.LayersModel, teacher: tf.LayersModel | undefined): void {
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
    /** Rows [from, to) of the shared batch, as tensors. */
    const shard = (): { x: tf.Tensor; y: tf.Tensor } => ({
      x: tf.tensor(xs.subarray(from * rowSize, to * rowSize), [to - from, ...data.inputShape]),
      y: tf.tensor2d(ys.subarray(from * data.yWidth, to * data.yWidth), [to - from, data.yWidth]),
    });
    if (to > from && data.mode === 'evaluate') {
      const { x, y } = shard();
      [loss[0], loss[1]] = batchSums(model, task, x, y);
      tf.dispose([x, y]);
    } else if (to > from) {
      tf.tidy(() => {
        let offset = 0;
        for (const v of variables) {
          v.assign(tf.tensor(weights.subarray(offset, offset + v.size), v.shape));
          offset += v.size;
        }
        const { x, y } = shard();
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

/** Jobs run one after another, in the order they were posted. */
let jobs: Promise<void> = Promise.resolve();
let idleTimer: NodeJS.Timeout | undefined;

/** Idle again: leave after IDLE_EXIT_MS unless a job has claimed the thread by then. */
function idle(): void {
  Atomics.store(life, 0, LIFE.idle);
  Atomics.notify(life, 0);
  idleTimer = setTimeout(() => {
    if (Atomics.compareExchange(life, 0, LIFE.idle, LIFE.exited) === LIFE.idle) {
      Atomics.notify(life, 0);
      process.exit(0);
    }
  }, IDLE_EXIT_MS);
}

async function main(): Promise<void> {
  const backend = await chooseBackend(boot.backend as BackendName);
  if (backend.name !== boot.backend) throw new Error(`backend ${boot.backend} is not available in a worker thread (got ${backend.name})`);
  parentPort!.on('message', (job: GradientWorkerData) => {
    if (idleTimer) clearTimeout(idleTimer);
    jobs = jobs.then(() => runJob(job).catch((err) => failJob(job, err))).then(idle);
  });
  idle();
}

main().catch((err) => {
  writeError(new Uint8Array(boot.error), err);
  Atomics.store(life, 0, LIFE.exited);
  Atomics.notify(life, 0);
  process.exit(1);
});

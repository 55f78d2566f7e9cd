/**
 * Data-parallel gradients over worker_threads, for the backends that use one core (wasm in
 * Node runs single-threaded).
 *
 * Each batch is cut into `workers` contiguous shards. The calling thread computes the first
 * shard's gradients on the model itself; every other shard goes to a worker thread that holds
 * its own copy of the model on its own backend. The shards' gradients are then summed in shard
 * order, each weighted by its share of the batch, so the result is the gradient of the batch's
 * mean loss and, for a given number of workers, the same bits on every run. The optimizer step
 * stays in the calling thread, once per batch, and the new weights go back to the workers
 * through shared memory before the next batch.
 *
 * The calling thread blocks (Atomics.wait) while the workers compute, so `train` stays
 * synchronous; workers talk back only through shared memory, never through messages the
 * blocked thread would not read.
 *
 * The same threads evaluate (mode `evaluate`): each takes whole batches of the test set and
 * returns the batch's metric and loss sums, which the caller adds in batch order, so the
 * evaluation is the same bits with any number of threads.
 *
 * What a worker cannot reproduce exactly is refused, and training falls back to one thread
 * with the reason: a model whose layers a fresh thread cannot rebuild (a plugin's custom
 * layer), a task whose loss is not core's, and BatchNorm that updates its statistics (each
 * worker would normalise with its own shard's statistics and keep its own moving averages).
 */
import * as tf from '@tensorflow/tfjs';
import { rebuildableTask, Task, TaskConfig } from './task';
import { DistillationOptions } from './loss';
import { noiseLayers } from './noise';
import { claimThreads, discard, ERROR_BYTES, finishing, PooledThread, readError, unclaim } from './worker-threads';

/** What the threads compute for their rows: the loss's gradients (training), or the metric and loss sums of a batch (evaluation). */
export type WorkerMode = 'gradients' | 'evaluate';

/** A job posted to a worker thread (structured-cloned). */
export interface GradientWorkerData {
  readonly mode: WorkerMode;
  readonly topology: unknown;
  readonly weights: readonly { readonly shape: number[]; readonly values: Float32Array }[];
  readonly teacher?: { readonly topology: unknown; readonly weights: readonly { readonly shape: number[]; readonly values: Float32Array }[] };
  readonly distill?: DistillationOptions;
  /** Indices into model.weights of the variables trained, in the order the gradient buffer holds them. */
  readonly trainable: readonly number[];
  readonly task: TaskConfig;
  readonly training: boolean;
  readonly inputShape: readonly number[];
  readonly yWidth: number;
  readonly control: SharedArrayBuffer;
  readonly state: SharedArrayBuffer;
  readonly weightsBuffer: SharedArrayBuffer;
  readonly gradients: SharedArrayBuffer;
  readonly loss: SharedArrayBuffer;
  readonly x: SharedArrayBuffer;
  readonly y: SharedArrayBuffer;
  readonly error: SharedArrayBuffer;
}

/** control: [sequence, command, batch size]; state (per worker): [done sequence, phase, from, to]. */
export const CONTROL = { sequence: 0, command: 1, batch: 2 } as const;
export const STATE = { done: 0, phase: 1, from: 2, to: 3 } as const;
export const PHASE = { starting: 0, ready: 1, failed: 2 } as const;
export const COMMAND = { step: 1, stop: 2 } as const;
/** How long a worker may take to rebuild the model, and to compute one shard. */
const START_TIMEOUT_MS = 120_000;
const STEP_TIMEOUT_MS = 600_000;

interface WorkerHandle {
  readonly thread: PooledThread;
  readonly state: Int32Array;
  readonly gradients: Float32Array;
  /** [loss] when computing gradients; [metric sum, loss sum] when evaluating. */
  readonly loss: Float64Array;
  readonly error: Uint8Array;
}

/** Shard `k` of `workers` of a batch of `n`: rows [from, to). */
export function shardBounds(n: number, workers: number, k: number): [number, number] {
  return [Math.floor((k * n) / workers), Math.floor(((k + 1) * n) / workers)];
}

function weightsOf(model: tf.LayersModel): { shape: number[]; values: Float32Array }[] {
  return model.weights.map((w) => {
    const t = w.read();
    return { shape: t.shape.slice(), values: t.dataSync() as Float32Array };
  });
}

/** What `GradientWorkers.start` needs to know about the run. */
export interface GradientWorkersRequest {
  /** `gradients` unless said otherwise. */
  readonly mode?: WorkerMode;
  readonly workers: number;
  readonly model: tf.LayersModel;
  readonly trainable: readonly tf.Variable[];
  readonly task: Task;
  readonly training: boolean;
  readonly inputShape: readonly number[];
  readonly yWidth: number;
  readonly batchSize: number;
  readonly teacher?: tf.LayersModel;
  readonly distill?: DistillationOptions;
}

/** Worker threads computing shards 1..workers−1 of every batch; shard 0 is the caller's. */
export class GradientWorkers {
  private readonly control: Int32Array;
  private readonly weights: Float32Array;
  private readonly x: Float32Array;
  private readonly y: Float32Array;
  private sequence = 0;
  private stopped = false;

  private constructor(
    private readonly mode: WorkerMode,
    readonly count: number,
    private readonly handles: WorkerHandle[],
    buffers: { control: SharedArrayBuffer; weights: SharedArrayBuffer; x: SharedArrayBuffer; y: SharedArrayBuffer },
    private readonly trainable: readonly tf.Variable[],
    private readonly rowSize: number,
    private readonly yWidth: number,
  ) {
    this.control = new Int32Array(buffers.control);
    this.weights = new Float32Array(buffers.weights);
    this.x = new Float32Array(buffers.x);
    this.y = new Float32Array(buffers.y);
  }

  /**
   * Claims `request.workers − 1` threads (started now, or kept from an earlier call) and waits
   * until each has rebuilt the model, or returns why data-parallel training cannot run (the
   * caller then trains on one thread).
   */
  static start(request: GradientWorkersRequest): GradientWorkers | { readonly refused: string } {
    const { model, workers } = request;
    const task = rebuildableTask(request.task);
    if (!task) return { refused: `the task's loss is not one of core's, and a worker thread could not compute it` };
    if (request.training && model.layers.some((l) => l.getClassName() === 'BatchNormalization')) {
      return { refused: 'BatchNorm updates its statistics (batchNorm: update), which each worker would estimate on its own shard; use batchNorm: freeze or recalibrate to train on several cores' };
    }
    const noisy = request.training ? noiseLayers(model) : [];
    if (noisy.length > 0) return { refused: `layers draw random numbers in training (${noisy.join(', ')}), seeded on the calling thread alone so that a seed gives the same weights` };
    const indexOf = new Map(model.weights.map((w, i) => [w.read() as tf.Variable, i] as const));
    const trainableIndices = request.trainable.map((v) => indexOf.get(v) ?? -1);
    if (trainableIndices.some((i) => i < 0)) return { refused: 'a trained variable is not one of the model weights' };
    const total = request.trainable.reduce((s, v) => s + v.size, 0);
    const rowSize = request.inputShape.reduce((a, b) => a * b, 1);
    const buffers = {
      control: new SharedArrayBuffer(4 * 4),
      weights: new SharedArrayBuffer(4 * total),
      x: new SharedArrayBuffer(4 * rowSize * request.batchSize),
      y: new SharedArrayBuffer(4 * request.yWidth * request.batchSize),
    };
    let topology: unknown;
    try {
      topology = model.toJSON(undefined, false);
    } catch (err) {
      return { refused: `the model does not serialise (${(err as Error).message.split('\n')[0]})` };
    }
    const teacher = request.teacher ? { topology: request.teacher.toJSON(undefined, false), weights: weightsOf(request.teacher) } : undefined;
    const weights = weightsOf(model);
    const threads = claimThreads(workers - 1, tf.getBackend());
    if (!Array.isArray(threads)) return threads;
    const handles: WorkerHandle[] = [];
    for (const [k, thread] of threads.entries()) {
      const state = new SharedArrayBuffer(4 * 4);
      const gradients = new SharedArrayBuffer(4 * total);
      const loss = new SharedArrayBuffer(16);
      const error = new SharedArrayBuffer(ERROR_BYTES);
      const data: GradientWorkerData = {
        mode: request.mode ?? 'gradients',
        topology,
        weights,
        teacher,
        distill: request.distill,
        trainable: trainableIndices,
        task,
        training: request.training,
        inputShape: request.inputShape.slice(),
        yWidth: request.yWidth,
        control: buffers.control,
        state,
        weightsBuffer: buffers.weights,
        gradients,
        loss,
        x: buffers.x,
        y: buffers.y,
        error,
      };
      try {
        thread.worker.postMessage(data);
      } catch (err) {
        // Threads not given this job are handed back; those given it stop below.
        unclaim(threads.slice(k));
        new GradientWorkers(request.mode ?? 'gradients', workers, handles, buffers, request.trainable, rowSize, request.yWidth).stop();
        return { refused: `the model could not be sent to a worker thread (${(err as Error).message.split('\n')[0]})` };
      }
      handles.push({ thread, state: new Int32Array(state), gradients: new Float32Array(gradients), loss: new Float64Array(loss), error: new Uint8Array(error) });
    }
    const pool = new GradientWorkers(request.mode ?? 'gradients', workers, handles, buffers, request.trainable, rowSize, request.yWidth);
    for (const [i, h] of handles.entries()) {
      const deadline = Date.now() + START_TIMEOUT_MS;
      while (Atomics.load(h.state, STATE.phase) === PHASE.starting && Date.now() < deadline) Atomics.wait(h.state, STATE.phase, PHASE.starting, 250);
      const phase = Atomics.load(h.state, STATE.phase);
      if (phase !== PHASE.ready) {
        const why = phase === PHASE.failed ? readError(h.error) : `it did not start within ${START_TIMEOUT_MS / 1000} s`;
        pool.stop();
        return { refused: `worker ${i + 1} could not rebuild the model (${why})` };
      }
    }
    return pool;
  }

  /**
   * Starts shards 1.. of `batch` on the workers; `finish` collects them. The caller computes
   * shard 0 in between. The trained variables' current values go out with the batch. Shard k
   * is rows `bounds[k]` (by default the batch cut evenly, `shardBounds`).
   */
  begin(x: tf.Tensor, y: tf.Tensor, bounds?: readonly (readonly [number, number])[]): void {
    const n = x.shape[0];
    const shard = (k: number): readonly [number, number] => bounds?.[k] ?? shardBounds(n, this.count, k);
    let offset = 0;
    for (const v of this.trainable) {
      this.weights.set(v.dataSync() as Float32Array, offset);
      offset += v.size;
    }
    const from = Math.min(n, shard(1)[0]);
    this.x.set((x.dataSync() as Float32Array).subarray(from * this.rowSize), from * this.rowSize);
    this.y.set((y.dataSync() as Float32Array).subarray(from * this.yWidth), from * this.yWidth);
    this.handles.forEach((h, i) => {
      const [a, b] = shard(i + 1);
      Atomics.store(h.state, STATE.from, a);
      Atomics.store(h.state, STATE.to, b);
    });
    Atomics.store(this.control, CONTROL.batch, n);
    Atomics.store(this.control, CONTROL.command, COMMAND.step);
    this.sequence++;
    Atomics.store(this.control, CONTROL.sequence, this.sequence);
    Atomics.notify(this.control, CONTROL.sequence);
  }

  /** Waits until every worker has answered the last `begin`; throws a worker's failure. */
  private wait(): void {
    for (const [i, h] of this.handles.entries()) {
      const deadline = Date.now() + STEP_TIMEOUT_MS;
      while (Atomics.load(h.state, STATE.done) !== this.sequence && Atomics.load(h.state, STATE.phase) !== PHASE.failed) {
        if (Date.now() > deadline) {
          // A thread that does not answer is not given another job.
          discard(h.thread);
          throw new Error(`data-parallel ${this.mode === 'evaluate' ? 'evaluation' : 'training'}: worker ${i + 1} did not return its shard within ${STEP_TIMEOUT_MS / 1000} s`);
        }
        Atomics.wait(h.state, STATE.done, Atomics.load(h.state, STATE.done), 1000);
      }
      if (Atomics.load(h.state, STATE.phase) === PHASE.failed) throw new Error(`data-parallel ${this.mode === 'evaluate' ? 'evaluation' : 'training'}: worker ${i + 1} failed: ${readError(h.error)}`);
    }
  }

  /** Evaluation: waits for the workers and returns each one's [metric sum, loss sum] for shards 1.. (in shard order). */
  finishSums(): [number, number][] {
    this.wait();
    return this.handles.map((h) => [h.loss[0], h.loss[1]]);
  }

  /**
   * Waits for every worker's shard and returns, per trained variable, the batch gradient
   * Σ_k (n_k / n)·g_k summed in shard order starting from the caller's `first` (shard 0's
   * gradients, by variable name), and the batch loss the same way.
   */
  finish(n: number, first: Record<string, tf.Tensor>, firstLoss: number): { grads: Record<string, tf.Tensor>; loss: number } {
    this.wait();
    const share = (k: number): number => {
      const [a, b] = shardBounds(n, this.count, k);
      return (b - a) / n;
    };
    let loss = firstLoss * share(0);
    this.handles.forEach((h, i) => {
      if (share(i + 1) > 0) loss += h.loss[0] * share(i + 1);
    });
    const grads: Record<string, tf.Tensor> = {};
    let offset = 0;
    this.trainable.forEach((v) => {
      const size = v.size;
      const at = offset;
      grads[v.name] = tf.tidy(() => {
        let sum = tf.mul(first[v.name], share(0));
        this.handles.forEach((h, i) => {
          const s = share(i + 1);
          if (s > 0) sum = tf.add(sum, tf.mul(tf.tensor(h.gradients.subarray(at, at + size), v.shape), s));
        });
        return sum;
      });
      offset += size;
    });
    return { grads, loss };
  }

  /** Ends the job: the threads dispose their copies of the model and wait, idle, for the next one. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    for (const h of this.handles) finishing(h.thread);
    Atomics.store(this.control, CONTROL.command, COMMAND.stop);
    Atomics.store(this.control, CONTROL.sequence, ++this.sequence);
    Atomics.notify(this.control, CONTROL.sequence);
  }
}

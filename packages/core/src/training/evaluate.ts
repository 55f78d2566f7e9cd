import * as tf from '@tensorflow/tfjs';
import { ArrayDataset, modelInputShape } from '../datasets/dataset';
import { modelFlops } from '../model/model-stats';
import { GradientWorkers } from './data-parallel';
import type { MetricName, Task } from './task';

/** A metric's value, its name, and which way is better. */
export interface MetricValue {
  readonly name: MetricName;
  readonly value: number;
  readonly higherIsBetter: boolean;
}

/** A model measured on a dataset: its task's metric, the loss, the number of examples, and the accuracy when the metric is one. */
export interface Evaluation {
  /** Fraction of examples (or labels) right, in [0, 1]; present when the task's metric is an accuracy. */
  readonly accuracy?: number;
  /** Mean loss under the data's task. */
  readonly loss: number;
  readonly examples: number;
  /** The task's metric. */
  readonly metric: MetricValue;
  /** The metric oriented so that higher is better (the metric, or its negation for errors): what decisions compare. */
  readonly score: number;
}

/** How `evaluate` runs: on how many threads, and who hears why it used fewer. */
export interface EvaluateOptions {
  /**
   * Threads sharing the batches (data-parallel, as in training; 1 by default): at most this
   * many, fewer when the evaluation is too small for a thread's start to pay off. The result is
   * the same bits with any number: every batch is the same as on one thread, and the batches'
   * sums are added in the same order.
   */
  readonly workers?: number;
  /** Told why the evaluation ran on one thread when more were asked for. */
  readonly onRefused?: (why: string) => void;
}

/** The task's metric sum and loss sum (mean loss × examples) of `model` on one batch, in inference mode. */
export function batchSums(model: tf.LayersModel, task: Task, x: tf.Tensor, y: tf.Tensor): [number, number] {
  return tf.tidy(() => {
    const predicted = model.predict(x) as tf.Tensor2D;
    return [task.metricSum(y, predicted).dataSync()[0], task.lossOf(y, predicted).dataSync()[0] * x.shape[0]];
  });
}

/** The task's metric and loss of `model` on every example of `data`, in inference mode. */
export function evaluate(model: tf.LayersModel, data: ArrayDataset, batchSize = 500, options: EvaluateOptions = {}): Evaluation {
  if (data.size === 0) throw new Error(`cannot evaluate on an empty dataset (${data.name})`);
  const task = data.task;
  const inputShape = modelInputShape(model);
  const sums = batchSumsOnThreads(model, data, batchSize, inputShape, options) ?? batchSumsOnOneThread(model, data, batchSize, inputShape);
  let metricSum = 0;
  let lossSum = 0;
  for (const [m, l] of sums) {
    metricSum += m;
    lossSum += l;
  }
  const value = task.finish(metricSum, data.size);
  const isAccuracy = task.metric === 'accuracy' || task.metric === 'binaryAccuracy';
  return {
    ...(isAccuracy ? { accuracy: value } : {}),
    loss: lossSum / data.size,
    examples: data.size,
    metric: { name: task.metric, value, higherIsBetter: task.higherIsBetter },
    score: task.higherIsBetter ? value : -value,
  };
}

function batchSumsOnOneThread(model: tf.LayersModel, data: ArrayDataset, batchSize: number, inputShape: readonly number[]): [number, number][] {
  const sums: [number, number][] = [];
  for (const batch of data.batches(batchSize, inputShape)) {
    sums.push(batchSums(model, data.task, batch.x, batch.y));
    tf.dispose([batch.x, batch.y]);
  }
  return sums;
}

/**
 * Forward work, in FLOPs, that one more thread needs to pay for itself. A thread started for
 * the call costs about 0.2 s (its backend loaded, the model rebuilt, its first batches cold),
 * which is about 4 GFLOP of the wasm backend's forward pass on one core here (LeNet-5: 10,000
 * digits, 46 GFLOP, in 2.3 s). A thread kept from an earlier call costs less, but the first
 * call of a run pays the full start.
 */
const FLOPS_PER_THREAD = 4e9;

/**
 * Each batch's sums, computed `workers` batches at a time: the calling thread takes the first
 * batch of each round, worker threads the others. Undefined (after telling `onRefused` why,
 * when it was asked for) when this runs on one thread.
 */
function batchSumsOnThreads(model: tf.LayersModel, data: ArrayDataset, batchSize: number, inputShape: readonly number[], options: EvaluateOptions): [number, number][] | undefined {
  const asked = Math.max(1, Math.floor(options.workers ?? 1));
  if (asked < 2) return undefined;
  const batches = Math.ceil(data.size / batchSize);
  const worthIt = Math.floor((modelFlops(model) * data.size) / FLOPS_PER_THREAD);
  const threads = Math.min(asked, batches, worthIt);
  if (threads < 2) return undefined;
  const pool = GradientWorkers.start({ mode: 'evaluate', workers: threads, model, trainable: [], task: data.task, training: false, inputShape, yWidth: data.yWidth, batchSize: threads * batchSize });
  if (!(pool instanceof GradientWorkers)) {
    options.onRefused?.(pool.refused);
    return undefined;
  }
  const sums: [number, number][] = [];
  try {
    for (let start = 0; start < data.size; start += threads * batchSize) {
      const round = data.batch(start, start + threads * batchSize, inputShape);
      const bounds = Array.from({ length: threads }, (_, k) => [Math.min(k * batchSize, round.size), Math.min((k + 1) * batchSize, round.size)] as const);
      try {
        pool.begin(round.x, round.y, bounds);
        const own = tf.tidy(() => batchSums(model, data.task, tf.slice(round.x, 0, bounds[0][1]), tf.slice(round.y, 0, bounds[0][1])));
        const others = pool.finishSums();
        sums.push(own, ...others.filter((_, k) => bounds[k + 1][1] > bounds[k + 1][0]));
      } finally {
        tf.dispose([round.x, round.y]);
      }
    }
  } finally {
    pool.stop();
  }
  return sums;
}

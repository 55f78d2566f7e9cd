import * as tf from '@tensorflow/tfjs';
import { ArrayDataset, modelInputShape } from '../datasets/dataset';
import type { MetricName } from './task';

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

/** The task's metric and loss of `model` on every example of `data`, in inference mode. */
export function evaluate(model: tf.LayersModel, data: ArrayDataset, batchSize = 500): Evaluation {
  if (data.size === 0) throw new Error(`cannot evaluate on an empty dataset (${data.name})`);
  const task = data.task;
  const inputShape = modelInputShape(model);
  let metricSum = 0;
  let lossSum = 0;
  for (const batch of data.batches(batchSize, inputShape)) {
    const [m, l] = tf.tidy(() => {
      const predicted = model.predict(batch.x) as tf.Tensor2D;
      return [task.metricSum(batch.y, predicted).dataSync()[0], task.lossOf(batch.y, predicted).dataSync()[0] * batch.size];
    });
    metricSum += m;
    lossSum += l;
    tf.dispose([batch.x, batch.y]);
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

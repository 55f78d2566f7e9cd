import * as tf from '@tensorflow/tfjs';
import { ArrayDataset, modelInputShape } from '../datasets/dataset';
import { crossEntropy } from './loss';

export interface Evaluation {
  /** Fraction of correctly classified examples, in [0, 1]. */
  readonly accuracy: number;
  /** Mean cross-entropy. */
  readonly loss: number;
  readonly examples: number;
}

/** Accuracy and loss of `model` on every example of `data`, in inference mode. */
export function evaluate(model: tf.LayersModel, data: ArrayDataset, batchSize = 500): Evaluation {
  if (data.size === 0) throw new Error(`cannot evaluate on an empty dataset (${data.name})`);
  const inputShape = modelInputShape(model);
  let correct = 0;
  let lossSum = 0;
  for (let start = 0; start < data.size; start += batchSize) {
    const batch = data.batch(start, start + batchSize, inputShape);
    const [c, l] = tf.tidy(() => {
      const probs = model.predict(batch.x) as tf.Tensor2D;
      const hits = tf.sum(tf.cast(tf.equal(tf.argMax(probs, 1), tf.argMax(batch.y, 1)), 'float32'));
      return [hits.dataSync()[0], crossEntropy(batch.y, probs).dataSync()[0] * batch.size];
    });
    correct += c;
    lossSum += l;
    tf.dispose([batch.x, batch.y]);
  }
  return { accuracy: correct / data.size, loss: lossSum / data.size, examples: data.size };
}

import * as tf from '@tensorflow/tfjs';

/**
 * Mean categorical cross-entropy of predicted probabilities (models end in softmax).
 * Probabilities are clipped so log never sees 0.
 */
export function crossEntropy(yTrue: tf.Tensor, probs: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.neg(tf.mean(tf.sum(tf.mul(yTrue, tf.log(tf.clipByValue(probs, 1e-7, 1))), -1))) as tf.Scalar);
}

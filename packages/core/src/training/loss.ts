import * as tf from '@tensorflow/tfjs';
import { CLASSIFICATION } from './task';

/**
 * Mean categorical cross-entropy of predicted probabilities (models end in softmax), clipped
 * so log never sees 0: the classification task's loss.
 */
export function crossEntropy(yTrue: tf.Tensor, probs: tf.Tensor): tf.Scalar {
  return tf.tidy(() => CLASSIFICATION.lossOf(yTrue, probs));
}

export interface DistillationOptions {
  /** Share of the loss taken by matching the teacher (0: plain cross-entropy, 1: teacher only). */
  readonly weight: number;
  /** Softening temperature applied to both distributions (Hinton et al. 2015; 1 = none). */
  readonly temperature: number;
}

/**
 * Knowledge distillation from a teacher's predicted probabilities:
 * (1 − w)·CE(labels, student) + w·T²·KL(teacher_T ‖ student_T), where p_T = softmax(log p / T)
 * — the temperature-softened distribution, computed from probabilities because every model
 * here ends in softmax. T² keeps the soft term's gradients on the scale of the hard one.
 */
export function distillationLoss(yTrue: tf.Tensor, student: tf.Tensor, teacher: tf.Tensor, options: DistillationOptions): tf.Scalar {
  return tf.tidy(() => {
    const t = options.temperature;
    const logSoft = (p: tf.Tensor): tf.Tensor => tf.logSoftmax(tf.div(tf.log(tf.clipByValue(p, 1e-7, 1)), t));
    const logTeacher = logSoft(teacher);
    const kl = tf.mean(tf.sum(tf.mul(tf.exp(logTeacher), tf.sub(logTeacher, logSoft(student))), -1));
    const hard = crossEntropy(yTrue, student);
    return tf.add(tf.mul(hard, 1 - options.weight), tf.mul(kl, options.weight * t * t)) as tf.Scalar;
  });
}

/**
 * The check every structured surgery passes before its model is accepted: two models that
 * should compute the same function are run on the same seeded probe inputs, and their
 * outputs must agree within float32 rounding. What a layer kind gets wrong (a layer that
 * mixes channels declared as not mixing them) shows up here as an error naming the change,
 * never as a silently different model.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../util/rng';

/** Probe examples per check: enough to see a mixed channel, cheap on big models. */
const PROBES = 4;
/**
 * Allowed |difference| relative to the reference output's largest magnitude. Removing a
 * channel drops exact zeros from sums, which only reorders float32 additions (relative
 * error ~1e-6 per layer); a wrong surgery moves outputs by far more.
 */
const TOLERANCE = 1e-3;

/** Seeded inputs in [-1, 1] for each model input; unknown dimensions (besides batch) are 8. */
export function probeInputs(model: tf.LayersModel, count = PROBES, seed = 1): tf.Tensor[] {
  const rng = new Rng(seed);
  return model.inputs.map((input) => {
    const shape = [count, ...input.shape.slice(1).map((d) => d ?? 8)];
    const size = shape.reduce((a, b) => a * b, 1);
    return tf.tensor(Float32Array.from({ length: size }, () => 2 * rng.next() - 1), shape);
  });
}

export interface OutputDifference {
  /** Largest |a − b| over every output entry. */
  readonly maxDifference: number;
  /** Largest |a| over every output entry (the scale the difference is judged against). */
  readonly scale: number;
}

/** How far apart the two models' outputs are on `inputs`. */
export function outputDifference(a: tf.LayersModel, b: tf.LayersModel, inputs: tf.Tensor[]): OutputDifference {
  return tf.tidy(() => {
    const outA = a.predict(inputs.length === 1 ? inputs[0] : inputs);
    const outB = b.predict(inputs.length === 1 ? inputs[0] : inputs);
    const listA = Array.isArray(outA) ? outA : [outA];
    const listB = Array.isArray(outB) ? outB : [outB];
    let maxDifference = 0;
    let scale = 0;
    listA.forEach((t, i) => {
      maxDifference = Math.max(maxDifference, tf.max(tf.abs(tf.sub(t, listB[i]))).dataSync()[0]);
      scale = Math.max(scale, tf.max(tf.abs(t)).dataSync()[0]);
    });
    return { maxDifference, scale };
  });
}

/**
 * Throws unless `candidate` computes what `reference` computes on seeded probe inputs.
 * `describe` names the change for the message (called only on failure).
 */
export function checkSameFunction(reference: tf.LayersModel, candidate: tf.LayersModel, describe: () => string): void {
  const inputs = probeInputs(reference);
  try {
    const { maxDifference, scale } = outputDifference(reference, candidate, inputs);
    if (!(maxDifference <= TOLERANCE * Math.max(scale, 1e-6))) {
      throw new Error(
        `surgery check failed: ${describe()} changes the model's output by ${maxDifference.toPrecision(3)} (output scale ${scale.toPrecision(3)}); ` +
          'a layer on the path of those channels does not treat them as its layer kind declares, so the smaller model was refused',
      );
    }
  } finally {
    tf.dispose(inputs);
  }
}

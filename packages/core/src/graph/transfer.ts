/**
 * Model changes for transfer learning, shared by structured techniques: a new classification
 * head for the target classes, and re-initialisation (training the pruned structure from
 * scratch, Liu et al. 2019's baseline).
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../util/rng';
import { copyWeights, modelFromTopology, topologyOf } from './topology';

/**
 * A copy of `model` whose output Dense layer has `classes` units, freshly initialised (seeded);
 * every other weight is copied. Throws when the output layer is not Dense.
 */
export async function replaceHead(model: tf.LayersModel, classes: number, seed: number): Promise<tf.LayersModel> {
  const head = model.outputs[0].sourceLayer;
  if (head.getClassName() !== 'Dense') throw new Error(`the output layer ${head.name} is ${head.getClassName()}, not Dense; cannot replace the head`);
  const json = topologyOf(model);
  const entry = json.config.layers.find((l) => l.config.name === head.name)!;
  entry.config.units = classes;
  const next = await modelFromTopology(json, [head.name]);
  copyWeights(model, next, new Set([head.name]));
  const [kernel] = next.getLayer(head.name).getWeights();
  const fresh = [tf.initializers.glorotUniform({ seed }).apply(kernel.shape), tf.zeros([classes])];
  next.getLayer(head.name).setWeights(fresh);
  tf.dispose(fresh);
  return next;
}

/**
 * Re-initialises every weight in place, seeded: Glorot-uniform kernels, zero biases and
 * BatchNorm betas/means, unit BatchNorm gammas/variances.
 */
export function reinitialize(model: tf.LayersModel, seed: number): void {
  const rng = new Rng(seed);
  for (const layer of model.layers) {
    const values = layer.weights.map((w) => {
      const name = w.originalName ?? w.name;
      const shape = w.shape as number[];
      if (/(kernel|depthwise_kernel)(_\d+)?$/.test(name)) return tf.initializers.glorotUniform({ seed: rng.childSeed() }).apply(shape);
      if (/(gamma|moving_variance)(_\d+)?$/.test(name)) return tf.ones(shape);
      return tf.zeros(shape);
    });
    if (values.length > 0) layer.setWeights(values);
    tf.dispose(values);
  }
}

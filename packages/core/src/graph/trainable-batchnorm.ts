/**
 * tfjs (4.x) cannot train a BatchNormalization layer built with `scale: false` or
 * `center: false`: its training path reads gamma and beta unconditionally and fails with
 * "Cannot read properties of undefined (reading 'read')". Such a layer computes exactly what
 * the same layer with scale and center on computes when gamma is 1 and beta is 0, so core
 * rewrites it that way before anything trains it.
 */
import * as tf from '@tensorflow/tfjs';
import { modelFromTopology, topologyOf } from './topology';

interface BatchNormFlags {
  scale?: boolean;
  center?: boolean;
}

/** BatchNormalization layers with scale or center turned off, by name. */
export function untrainableBatchNorms(model: tf.LayersModel): string[] {
  return model.layers
    .filter((l) => l.getClassName() === 'BatchNormalization')
    .filter((l) => {
      const c = l.getConfig() as BatchNormFlags;
      return c.scale === false || c.center === false;
    })
    .map((l) => l.name);
}

/**
 * The same function with every BatchNormalization's scale and center on (gamma 1 and beta 0
 * where they were off), as a new model; undefined when no layer needed it. The input model is
 * not changed.
 */
export async function withTrainableBatchNorm(model: tf.LayersModel): Promise<{ model: tf.LayersModel; rewritten: string[] } | undefined> {
  const rewritten = untrainableBatchNorms(model);
  if (rewritten.length === 0) return undefined;
  const names = new Set(rewritten);
  const json = topologyOf(model);
  for (const entry of json.config.layers) {
    if (!names.has(entry.config.name)) continue;
    entry.config.scale = true;
    entry.config.center = true;
  }
  const rebuilt = await modelFromTopology(json);
  for (const layer of rebuilt.layers) {
    const source = model.getLayer(layer.name);
    const old = source.getWeights();
    if (!names.has(layer.name)) {
      if (old.length > 0) layer.setWeights(old);
      continue;
    }
    // tfjs orders a BatchNormalization's weights gamma, beta, moving mean, moving variance, leaving out what is off.
    const flags = source.getConfig() as BatchNormFlags;
    const channels = old[old.length - 1].shape;
    let i = 0;
    const gamma = flags.scale === false ? tf.ones(channels) : old[i++];
    const beta = flags.center === false ? tf.zeros(channels) : old[i++];
    layer.setWeights([gamma, beta, old[i], old[i + 1]]);
    if (flags.scale === false) gamma.dispose();
    if (flags.center === false) beta.dispose();
  }
  return { model: rebuilt, rewritten };
}

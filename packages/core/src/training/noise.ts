/**
 * Layers that draw random numbers in training (dropout and noise), seeded from the run's
 * generator so that the same config and seed train to the same weights.
 *
 * tfjs draws them unseeded: Dropout and SpatialDropout1D take a `seed`, but one seed would
 * give the same mask at every step, so each step gets a fresh one from the run's generator;
 * GaussianNoise, GaussianDropout and AlphaDropout take none, so for the length of a training
 * run their `call` is replaced by the same computation with seeded draws (restored after).
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../util/rng';

/** Reads `seed` at each call: a fresh seed per step gives a fresh, reproducible mask. */
const SEED_FIELD_CLASSES = new Set(['Dropout', 'SpatialDropout1D']);

type Kwargs = { readonly training?: boolean };
type Call = (inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs) => tf.Tensor | tf.Tensor[];
type NoiseLayer = tf.layers.Layer & { seed?: number; rate?: number; stddev?: number; noiseShape?: number[]; call: Call };

/** The same computations as tfjs-layers' noise layers (training phase), with a seed. */
const SEEDED_CALLS: Readonly<Record<string, (layer: NoiseLayer, x: tf.Tensor, seed: number) => tf.Tensor>> = {
  GaussianNoise: (layer, x, seed) => tf.add(x, tf.randomNormal(x.shape, 0, layer.stddev ?? 0, 'float32', seed)),
  GaussianDropout: (layer, x, seed) => {
    const rate = layer.rate ?? 0;
    if (!(rate > 0 && rate < 1)) return x;
    return tf.mul(x, tf.randomNormal(x.shape, 1, Math.sqrt(rate / (1 - rate)), 'float32', seed));
  },
  AlphaDropout: (layer, x, seed) => {
    const rate = layer.rate ?? 0;
    if (!(rate > 0 && rate < 1)) return x;
    // SELU's negative saturation value, and the affine map that keeps mean and variance (Klambauer et al. 2017).
    const alphaP = -1.6732632423543772 * 1.0507009873554805;
    const kept = tf.cast(tf.greaterEqual(tf.randomUniform(layer.noiseShape ?? x.shape, 0, 1, 'float32', seed), rate), 'float32');
    const a = ((1 - rate) * (1 + rate * alphaP ** 2)) ** -0.5;
    const b = -a * alphaP * rate;
    return tf.add(tf.mul(tf.add(tf.mul(x, kept), tf.mul(tf.sub(kept, 1), alphaP)), a), b);
  },
};

/** `model`'s layers that draw random numbers in training. */
function noiseLayersOf(model: tf.LayersModel): NoiseLayer[] {
  return model.layers.filter((l) => SEED_FIELD_CLASSES.has(l.getClassName()) || l.getClassName() in SEEDED_CALLS) as unknown as NoiseLayer[];
}

/** Names of `model`'s layers that draw random numbers in training. */
export function noiseLayers(model: tf.LayersModel): string[] {
  return noiseLayersOf(model).map((l) => l.name);
}

export interface TrainingNoise {
  /** Layers that draw random numbers, by name. */
  readonly layers: readonly string[];
  /** Before each step: fresh seeds for every noise layer. */
  reseed(): void;
  /** After training: the layers as they came. */
  restore(): void;
}

/** Seeds `model`'s noise layers from a generator derived from `rng` (drawn from only when the model has such layers, so other runs keep their streams). */
export function seededTrainingNoise(model: tf.LayersModel, rng: Rng): TrainingNoise {
  const layers = noiseLayersOf(model);
  if (layers.length === 0) return { layers: [], reseed: () => undefined, restore: () => undefined };
  const draws = new Rng(rng.childSeed());
  const seeds = new Map<NoiseLayer, number>();
  const savedSeeds = new Map<NoiseLayer, number | undefined>();
  for (const layer of layers) {
    const seeded = SEEDED_CALLS[layer.getClassName()];
    if (!seeded) {
      savedSeeds.set(layer, layer.seed);
      continue;
    }
    // An own property shadows the class's method until `restore` deletes it.
    layer.call = (inputs, kwargs) =>
      tf.tidy(() => {
        const x = Array.isArray(inputs) ? inputs[0] : inputs;
        return kwargs?.training ? seeded(layer, x, seeds.get(layer) ?? 0) : x;
      });
  }
  return {
    layers: layers.map((l) => l.name),
    reseed() {
      for (const layer of layers) {
        const seed = draws.nextUint32();
        if (savedSeeds.has(layer)) layer.seed = seed;
        else seeds.set(layer, seed);
      }
    },
    restore() {
      for (const layer of layers) {
        if (savedSeeds.has(layer)) layer.seed = savedSeeds.get(layer);
        else delete (layer as { call?: Call }).call;
      }
    },
  };
}

/**
 * Switches every noise layer of `model` off (each passes its input through, in training mode
 * too) until the returned function is called: for passes that run in training mode for
 * another reason, such as BatchNorm recalibration, where noise would only inflate the
 * statistics that inference never sees.
 */
export function switchOffNoise(model: tf.LayersModel): () => void {
  const layers = noiseLayersOf(model);
  for (const layer of layers) layer.call = (inputs) => (Array.isArray(inputs) ? inputs[0] : inputs);
  return () => {
    for (const layer of layers) delete (layer as { call?: Call }).call;
  };
}


import { ArrayDataset, Evaluator, PrunableWeight, prunableWeights, tf, WeightTies } from '@nncompress/core';
import { ClusterInit, Clustering, kmeans, sharedValues } from './kmeans';

/** One kernel after sharing: its layer, bits asked for, and the shared values it holds. */
export interface SharedWeight {
  readonly name: string;
  readonly layerName: string;
  readonly bits: number;
  /** Distinct non-zero values after clustering (≤ 2^bits). */
  readonly clusters: number;
  readonly nonZero: number;
  readonly size: number;
}

export interface ShareWeightsOptions {
  /** Bits per kernel (and per bias, with `biases`); a weight it gives no bits keeps its values. */
  readonly bitsOf: (weight: PrunableWeight) => number | undefined;
  /** Share the biases of the same layers too (with `bitsOf` deciding their bits). */
  readonly biases?: boolean;
  readonly init?: ClusterInit;
  readonly iterations?: number;
  /** Where the ties go, for the trainer to keep (a pipeline's `state.ties`); none for one-shot sharing. */
  readonly ties?: WeightTies;
}

/** True for a bias weight's name (`dense_1/bias`, `conv1/bias_2:0`). */
export function isBiasWeight(weightName: string): boolean {
  return /(^|\/)bias(_\d+)?(:\d+)?$/.test(weightName);
}

/** The trainable biases of the layers that own `kernels`, in layer order. */
function biasesOf(model: tf.LayersModel, kernels: readonly PrunableWeight[]): PrunableWeight[] {
  const owners = new Set(kernels.map((k) => k.layerName));
  return model.layers
    .filter((layer) => owners.has(layer.name))
    .flatMap((layer) =>
      layer.weights
        .filter((v) => v.trainable && isBiasWeight(v.originalName ?? v.name))
        .map((variable) => {
          const shape = variable.shape.map((d) => d ?? 0);
          return { name: variable.name, layerName: layer.name, shape, size: shape.reduce((a, b) => a * b, 1), variable };
        }),
    );
}

function writeValues(weight: PrunableWeight, values: Float32Array): void {
  tf.tidy(() => {
    weight.variable.write(tf.tensor(values, weight.shape as number[]));
  });
}

function clusterWeight(weight: PrunableWeight, bits: number, init: ClusterInit, iterations: number): Clustering {
  return kmeans(weight.variable.read().dataSync() as Float32Array, 2 ** bits, init, iterations);
}

/**
 * Shares the weights of `model`'s kernels in place: each kernel's non-zero weights are
 * clustered (k-means, 2^bits centroids) and replaced by their centroids; zeros stay zero.
 * With `ties`, each kernel's clusters are recorded so fine-tuning keeps them shared.
 */
export function shareWeights(model: tf.LayersModel, options: ShareWeightsOptions): SharedWeight[] {
  const out: SharedWeight[] = [];
  const kernels = prunableWeights(model);
  for (const weight of options.biases ? [...kernels, ...biasesOf(model, kernels)] : kernels) {
    const bits = options.bitsOf(weight);
    if (bits === undefined) continue;
    const clustering = clusterWeight(weight, bits, options.init ?? 'linear', options.iterations ?? 30);
    const values = sharedValues(clustering);
    writeValues(weight, values);
    options.ties?.set(weight.name, clustering.clusters, clustering.centroids.length);
    out.push({ name: weight.name, layerName: weight.layerName, bits, clusters: clustering.centroids.length, nonZero: values.reduce((n, v) => n + (v !== 0 ? 1 : 0), 0), size: weight.size });
  }
  return out;
}

export interface BitChoice {
  readonly name: string;
  readonly layerName: string;
  readonly bits: number;
  /** The loss rise that layer's clustering at `bits` causes alone. */
  readonly lossIncrease: number;
}

/**
 * Per kernel, the fewest bits in [minBits, maxBits] whose clustering of that kernel alone
 * raises the loss on `calibration` by at most `maxLossIncrease` (maxBits when none does).
 * Each kernel is measured with the others as they are, and restored afterwards: the model
 * leaves as it came.
 */
export function chooseBits(
  model: tf.LayersModel,
  calibration: ArrayDataset,
  evaluator: Pick<Evaluator, 'evaluate'>,
  options: {
    readonly maxLossIncrease: number;
    readonly minBits: number;
    readonly maxBits: number;
    readonly init?: ClusterInit;
    readonly iterations?: number;
    readonly include: (weight: PrunableWeight) => boolean;
    /** After each kernel: how many are measured, of how many. */
    readonly onKernel?: (done: number, total: number) => void;
  },
): BitChoice[] {
  if (options.minBits > options.maxBits) throw new Error(`sensitivity: minBits ${options.minBits} is above maxBits ${options.maxBits}`);
  const base = evaluator.evaluate(model, calibration).loss;
  const choices: BitChoice[] = [];
  const measured = prunableWeights(model).filter(options.include);
  for (const weight of measured) {
    const original = (weight.variable.read().dataSync() as Float32Array).slice();
    let chosen: BitChoice | undefined;
    try {
      for (let bits = options.minBits; bits <= options.maxBits && !chosen; bits++) {
        writeValues(weight, sharedValues(kmeans(original, 2 ** bits, options.init ?? 'linear', options.iterations ?? 30)));
        const rise = evaluator.evaluate(model, calibration).loss - base;
        if (rise <= options.maxLossIncrease || bits === options.maxBits) chosen = { name: weight.name, layerName: weight.layerName, bits, lossIncrease: rise };
      }
    } finally {
      writeValues(weight, original);
    }
    choices.push(chosen!);
    options.onKernel?.(choices.length, measured.length);
  }
  return choices;
}

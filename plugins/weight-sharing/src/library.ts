import { ArrayDataset, Evaluator, PrunableWeight, prunableWeights, tf, WeightTies } from '@nncompress/core';
import { nearestFloat16 } from '@nncompress/core/model';
import { outputChannels } from '@nncompress/format';
import { ClusterInit, Clustering, kmeans, kmeansPerChannel, sharedValues } from './kmeans';

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
  /** k-means in each output channel apart (kernels only; a bias is one channel). */
  readonly perChannel?: boolean;
  /** Where the ties go, for the trainer to keep (a pipeline's `state.ties`); none for one-shot sharing. */
  readonly ties?: WeightTies;
  /** Shared values on float16's grid (and kept there by the ties), so the codebook codec stores them in 16 bits. */
  readonly float16?: boolean;
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

/** How a kernel is clustered: its k-means start and iterations, and whether per output channel. */
interface ClusterHow {
  readonly init?: ClusterInit;
  readonly iterations?: number;
  readonly perChannel?: boolean;
}

/** Clusters `values` (the weight's, or a copy of them) at `bits`, per channel when asked and the weight has channels (the format's rule: last axis, or the one before for a depthwise kernel). */
function clusterValues(weight: PrunableWeight, values: Float32Array, bits: number, how: ClusterHow): Clustering {
  try {
    const channels = how.perChannel && !isBiasWeight(weight.name) ? outputChannels(values.length, { shape: weight.shape }) : 1;
    return channels > 1 ? kmeansPerChannel(values, channels, 2 ** bits, how.init ?? 'linear', how.iterations ?? 30) : kmeans(values, 2 ** bits, how.init ?? 'linear', how.iterations ?? 30);
  } catch (err) {
    throw new Error(`weight sharing: ${weight.name}: ${(err as Error).message}`);
  }
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
    const clustering = clusterValues(weight, weight.variable.read().dataSync() as Float32Array, bits, options);
    const values = sharedValues(options.float16 ? { ...clustering, centroids: clustering.centroids.map(nearestFloat16) } : clustering);
    writeValues(weight, values);
    options.ties?.set(weight.name, clustering.clusters, clustering.centroids.length, { float16: options.float16 });
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
 * Bits per kernel from a measurement: each kernel is clustered alone at each bit width in
 * [minBits, maxBits] (the others as they are, and restored afterwards: the model leaves as
 * it came), and the loss on `calibration` measured.
 * - `budget: 'layer'`: per kernel the fewest bits whose loss rise is at most
 *   `maxLossIncrease` (maxBits when none is); widths above the first that fits are not measured.
 * - `budget: 'total'`: `maxLossIncrease` bounds the sum of the kernels' rises. From maxBits
 *   everywhere, the step down that saves the most bits per unit of added loss is taken while
 *   the sum stays within the bound (the rises taken as additive, and as never smaller at fewer
 *   bits). Large, tolerant layers give up bits first; small, sensitive ones keep theirs.
 */
export function chooseBits(
  model: tf.LayersModel,
  calibration: ArrayDataset,
  evaluator: Pick<Evaluator, 'evaluate'>,
  options: {
    readonly maxLossIncrease: number;
    readonly budget?: 'layer' | 'total';
    readonly minBits: number;
    readonly maxBits: number;
    readonly init?: ClusterInit;
    readonly iterations?: number;
    readonly perChannel?: boolean;
    readonly include: (weight: PrunableWeight) => boolean;
    /** After each kernel: how many are measured, of how many. */
    readonly onKernel?: (done: number, total: number) => void;
    /** Why a total budget could not be spent as asked. */
    readonly onBudget?: (message: string) => void;
  },
): BitChoice[] {
  if (options.minBits > options.maxBits) throw new Error(`sensitivity: minBits ${options.minBits} is above maxBits ${options.maxBits}`);
  const total = options.budget === 'total';
  const base = evaluator.evaluate(model, calibration).loss;
  const measured = prunableWeights(model).filter(options.include);
  /** Per kernel, the loss rise at each measured width (index bits − minBits), and its non-zero count. */
  const curves: { weight: PrunableWeight; rises: number[]; nonZero: number }[] = [];
  for (const weight of measured) {
    const original = (weight.variable.read().dataSync() as Float32Array).slice();
    const rises: number[] = [];
    try {
      for (let bits = options.minBits; bits <= options.maxBits; bits++) {
        writeValues(weight, sharedValues(clusterValues(weight, original, bits, options)));
        rises.push(evaluator.evaluate(model, calibration).loss - base);
        if (!total && rises[rises.length - 1] <= options.maxLossIncrease) break;
      }
    } finally {
      writeValues(weight, original);
    }
    curves.push({ weight, rises, nonZero: original.reduce((n, v) => n + (v !== 0 ? 1 : 0), 0) });
    options.onKernel?.(curves.length, measured.length);
  }
  const choice = (c: (typeof curves)[number], bits: number): BitChoice => ({ name: c.weight.name, layerName: c.weight.layerName, bits, lossIncrease: c.rises[bits - options.minBits] });
  if (!total) return curves.map((c) => choice(c, options.minBits + c.rises.length - 1));
  // Fewer bits never cost less: each curve made non-increasing in bits, and never below 0.
  const cost = curves.map((c) => {
    const out = c.rises.map((r) => Math.max(0, r));
    for (let i = out.length - 2; i >= 0; i--) out[i] = Math.max(out[i], out[i + 1]);
    return out;
  });
  const bits = curves.map(() => options.maxBits);
  let spent = cost.reduce((sum, c) => sum + c[c.length - 1], 0);
  if (spent > options.maxLossIncrease) options.onBudget?.(`the layers at maxBits ${options.maxBits} already add up to a loss rise of ${spent.toFixed(4)}, above the budget ${options.maxLossIncrease}: every layer keeps ${options.maxBits} bits`);
  for (;;) {
    // The step saving the most bits per unit of loss added; free steps (no loss added) first, the largest of them.
    let best = -1;
    let bestKey: [number, number] = [-1, -1];
    curves.forEach((c, k) => {
      if (bits[k] === options.minBits) return;
      const at = bits[k] - options.minBits;
      const added = cost[k][at - 1] - cost[k][at];
      if (spent + added > options.maxLossIncrease) return;
      const key: [number, number] = added > 0 ? [0, c.nonZero / added] : [1, c.nonZero];
      if (key[0] > bestKey[0] || (key[0] === bestKey[0] && key[1] > bestKey[1])) {
        best = k;
        bestKey = key;
      }
    });
    if (best < 0) break;
    const at = bits[best] - options.minBits;
    spent += cost[best][at - 1] - cost[best][at];
    bits[best]--;
  }
  return curves.map((c, k) => choice(c, bits[k]));
}

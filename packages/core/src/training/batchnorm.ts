/**
 * BatchNorm recalibration ("adaptive BN"): after structured surgery a BatchNorm layer's
 * moving mean and variance describe inputs that no longer exist — the layer before it lost
 * input channels, or a whole block upstream was bypassed — so the network is miscalibrated
 * even where every kept weight is untouched. Re-estimating the statistics on a few batches of
 * real data restores most of the accuracy before any gradient step; it is what makes the
 * frozen-statistics fine-tuning that suits small transfer sets work after pruning.
 */
import * as tf from '@tensorflow/tfjs';
import { ArrayDataset, modelInputShape } from '../datasets/dataset';
import { Rng } from '../util/rng';
import { switchOffNoise } from './noise';

export interface RecalibrateOptions {
  /** Batches to average over (fewer if the data run out). */
  readonly batches: number;
  readonly batchSize: number;
  /** Shuffles which examples are used; the data's order when omitted. */
  readonly rng?: Rng;
}

export interface RecalibrateResult {
  /** BatchNormalization layers whose statistics were re-estimated. */
  readonly layers: string[];
  /** Examples the averages were taken over. */
  readonly examples: number;
}

/** The private field of tfjs-layers' BatchNormalization that recalibration borrows. */
interface MutableMomentum {
  momentum: number;
}

/**
 * Re-estimates every BatchNormalization layer's moving mean and variance as the average of
 * its batch statistics over `batches` batches of `data`.
 *
 * One pass per batch in training mode (the approach of PyTorch's `update_bn` and EagleEye's
 * adaptive BN): every BatchNorm normalises with the batch's own statistics, so each layer sees
 * inputs produced by already-calibrated layers upstream, and tfjs updates the moving averages
 * as `old·m + batch·(1−m)`. Setting m = (t−1)/t on the t-th batch turns that update into an
 * exact running mean of the per-batch statistics. Dropout and noise layers are switched off
 * for the pass (they would inflate the variances that inference never sees); they and the
 * momenta are restored afterwards, whatever happens. No trainable weight changes.
 */
export function recalibrateBatchNorm(model: tf.LayersModel, data: ArrayDataset, options: RecalibrateOptions): RecalibrateResult {
  if (data.size === 0) throw new Error(`cannot recalibrate BatchNorm on an empty dataset (${data.name})`);
  if (options.batches < 1) throw new Error(`recalibrate: batches must be ≥ 1 (got ${options.batches})`);
  const norms = model.layers.filter((l) => l.getClassName() === 'BatchNormalization');
  if (norms.length === 0) return { layers: [], examples: 0 };
  const momenta = norms.map((l) => (l as unknown as MutableMomentum).momentum);
  const inputShape = modelInputShape(model);
  let examples = 0;
  const restoreNoise = switchOffNoise(model);
  try {
    let t = 0;
    for (const batch of data.batches(options.batchSize, inputShape, options.rng)) {
      if (t >= options.batches) {
        tf.dispose([batch.x, batch.y]);
        break;
      }
      t++;
      for (const l of norms) (l as unknown as MutableMomentum).momentum = (t - 1) / t;
      tf.tidy(() => {
        model.apply(batch.x, { training: true });
      });
      examples += batch.size;
      tf.dispose([batch.x, batch.y]);
    }
  } finally {
    norms.forEach((l, i) => ((l as unknown as MutableMomentum).momentum = momenta[i]));
    restoreNoise();
  }
  return { layers: norms.map((l) => l.name), examples };
}

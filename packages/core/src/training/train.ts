/**
 * The training loop every technique shares: mini-batch training with a seeded shuffle,
 * mask-aware (masked weights are re-zeroed after every optimizer step, and their gradients
 * zeroed so optimizer state does not push them), optional validation with early stopping
 * that restores the best weights.
 */
import * as tf from '@tensorflow/tfjs';
import { untrainableBatchNorms } from '../graph/trainable-batchnorm';
import { ArrayDataset, modelInputShape } from '../datasets/dataset';
import { applyMask, MaskSet, maskTensor } from '../model/masks';
import { PINNED_ZERO, projectToMeans, tiedGradient, WeightTie, WeightTies } from '../model/ties';
import { Rng } from '../util/rng';
import { evaluate, Evaluation } from './evaluate';
import { distillationLoss, DistillationOptions } from './loss';
import { GradientWorkers, shardBounds } from './data-parallel';
import { inputConvolutionKernels, weightGradients } from './weight-gradients';
import { seededTrainingNoise } from './noise';

export type OptimizerName = 'adam' | 'sgd' | 'momentum' | 'rmsprop';

export interface TrainOptions {
  readonly epochs: number;
  readonly batchSize: number;
  readonly learningRate: number;
  readonly optimizer?: OptimizerName;
  /** Multiplies the learning rate after every epoch (1 = constant). */
  readonly learningRateDecay?: number;
  readonly rng: Rng;
  readonly masks?: MaskSet;
  /** Shared weights (weight sharing's clusters): each cluster moves by its summed gradient and stays one value. */
  readonly ties?: WeightTies;
  readonly validation?: ArrayDataset;
  /** Stop when the validation metric has not improved by minDelta for `patience` epochs. */
  readonly earlyStopping?: { readonly patience: number; readonly minDelta?: number };
  /** Called after every epoch (for progress output). */
  readonly onEpoch?: (epoch: number, result: EpochResult) => void;
  /** Called after every batch with the number of batches done and the total. */
  readonly onBatch?: (done: number, total: number) => void;
  /**
   * `update` (default): layers run in training mode, so BatchNorm normalises with batch
   * statistics and updates its moving averages. `freeze`: layers run in inference mode, so
   * BatchNorm keeps its (pretrained) statistics while its scale and shift still train — the
   * usual choice when transferring to small data, where batch statistics are noisy and the
   * moving averages would lag behind.
   */
  readonly batchNorm?: 'update' | 'freeze';
  /** Train only these layers' weights (e.g. a new head before the whole network); all when omitted. */
  readonly layers?: readonly string[];
  /**
   * Also match a teacher's predictions (knowledge distillation), e.g. the model before
   * pruning: on a few hundred examples its soft targets carry far more signal than labels.
   */
  readonly distill?: DistillationOptions & { readonly teacher: tf.LayersModel };
  /**
   * Threads that share each batch (data-parallel, see data-parallel.ts); 1 (default) trains
   * on the calling thread alone. The same seed gives the same weights for a given count; a
   * different count sums the gradients in a different order, so the last bits may differ.
   */
  readonly workers?: number;
}

export interface EpochResult {
  readonly epoch: number;
  readonly loss: number;
  readonly validation?: Evaluation;
}

export interface TrainResult {
  readonly epochs: EpochResult[];
  /** True when early stopping ended training before `epochs`. */
  readonly stoppedEarly: boolean;
  /** Threads that computed gradients (1 when data-parallel training was not asked for or was refused). */
  readonly workers?: number;
  /** Why fewer workers were used than asked for. */
  readonly workersRefused?: string;
}

function makeOptimizer(name: OptimizerName, lr: number): tf.Optimizer {
  switch (name) {
    case 'adam':
      return tf.train.adam(lr);
    case 'sgd':
      return tf.train.sgd(lr);
    case 'momentum':
      return tf.train.momentum(lr, 0.9);
    case 'rmsprop':
      return tf.train.rmsprop(lr);
  }
}

function setLearningRate(optimizer: tf.Optimizer, lr: number): void {
  (optimizer as unknown as { learningRate: number }).learningRate = lr;
}

/** The parts of one training step that a profile times separately; `forward` (the loss) runs inside `forward+backward`. */
export type StepPhase = 'forward+backward' | 'forward' | 'workers' | 'mask gradients' | 'optimizer' | 'mask weights' | 'loss readback';

/** Runs `f` as `phase` of a step; the profiler times it, training itself just runs it. */
export type StepTimer = <T>(phase: StepPhase, f: () => T) => T;

const untimed: StepTimer = (_phase, f) => f();

/** What every step of a training run shares: the variables trained, their masks, the optimizer. */
export interface TrainingSetup {
  /** One step on `batch`: the loss before the step. Tensors of the batch stay the caller's. */
  step(batch: { readonly x: tf.Tensor; readonly y: tf.Tensor }, timer?: StepTimer): number;
  setLearningRate(lr: number): void;
  /** Threads computing each batch's gradients, and why fewer than asked for. */
  readonly workers: number;
  readonly workersRefused?: string;
  dispose(): void;
}

/** Checks `options` against `model` and `data`, applies the masks, and readies the optimizer: what `train` does once before its steps. */
export function prepareTraining(model: tf.LayersModel, data: ArrayDataset, options: TrainOptions): TrainingSetup {
  if (data.size === 0) throw new Error(`cannot train on an empty dataset (${data.name})`);
  // The soft targets of distillation are class probabilities; other tasks have none.
  if (options.distill && data.task.kind !== 'classification') throw new Error(`distillation matches class probabilities; the data's task is ${data.task.kind}`);
  const lossOf = data.task.lossOf;
  const frozenNorms = untrainableBatchNorms(model);
  if (frozenNorms.length > 0) {
    throw new Error(`tfjs cannot train BatchNormalization layers with scale or center off (${frozenNorms.join(', ')}); rewrite the model with withTrainableBatchNorm first (same function)`);
  }
  if (options.layers) {
    for (const name of options.layers) if (!model.layers.some((l) => l.name === name)) throw new Error(`layers: the model has no layer named "${name}"`);
  }
  const optimizer = makeOptimizer(options.optimizer ?? 'adam', options.learningRate);
  const only = options.layers ? new Set(options.layers.flatMap((name) => model.getLayer(name).trainableWeights.map((w) => w.name))) : undefined;
  const trainable = model.trainableWeights.filter((w) => !only || only.has(w.name)).map((w) => w.read() as tf.Variable);
  const masks = options.masks;
  const maskTensors = new Map<string, tf.Tensor>();
  if (masks) {
    for (const w of model.trainableWeights) {
      const m = masks.get(w.name);
      const variable = w.read() as tf.Variable;
      if (m && trainable.includes(variable)) maskTensors.set(variable.name, maskTensor(m, w.shape.map((d) => d ?? 0)));
    }
    masks.apply(model);
  }
  const tied = new Map<string, { tie: WeightTie; shape: number[] }>();
  if (options.ties && options.ties.size > 0) {
    options.ties.check(model);
    options.ties.apply(model);
    for (const w of model.trainableWeights) {
      const tie = options.ties.get(w.name);
      const variable = w.read() as tf.Variable;
      const mask = masks?.get(w.name);
      if (tie && mask) {
        // A weight pruned after it was shared: the mask's zeros sit in clusters that would pull them back.
        for (let i = 0; i < mask.length; i++) {
          if (mask[i] === 0 && tie.clusters[i] !== PINNED_ZERO) throw new Error(`weight "${w.name}" was pruned after its weights were shared (entry ${i}): share weights after the last pruning stage`);
        }
      }
      if (tie && trainable.includes(variable)) tied.set(variable.name, { tie, shape: w.shape.map((d) => d ?? 0) });
    }
  }
  const distill = options.distill;
  const training = options.batchNorm !== 'freeze';
  const asked = Math.max(1, Math.floor(options.workers ?? 1));
  const pool = asked > 1 ? GradientWorkers.start({ workers: asked, model, trainable, task: data.task, training, inputShape: modelInputShape(model), yWidth: data.yWidth, batchSize: options.batchSize, teacher: distill?.teacher, distill }) : undefined;
  const workers = pool instanceof GradientWorkers ? pool : undefined;
  const inputKernels = inputConvolutionKernels(model);
  const noise = seededTrainingNoise(model, options.rng);
  /** The loss of `x`, `y` (the whole batch, or the caller's shard) and its gradients. */
  const lossAndGrads = (x: tf.Tensor, y: tf.Tensor, time: StepTimer): { value: tf.Scalar; grads: tf.NamedTensorMap } => {
    const teacherProbs = distill ? (distill.teacher.predict(x) as tf.Tensor) : undefined;
    return time('forward+backward', () =>
      weightGradients(
        () =>
          time('forward', () => {
            const probs = model.apply(x, { training }) as tf.Tensor;
            return distill && teacherProbs ? distillationLoss(y, probs, teacherProbs, distill) : lossOf(y, probs);
          }),
        trainable,
        inputKernels,
      ),
    );
  };
  return {
    step(batch, time = untimed) {
      noise.reseed();
      return tf.tidy(() => {
        let grads: tf.NamedTensorMap;
        let loss: () => number;
        if (workers) {
          const n = batch.x.shape[0];
          workers.begin(batch.x, batch.y);
          const end = shardBounds(n, workers.count, 0)[1];
          const first = lossAndGrads(tf.slice(batch.x, 0, end), tf.slice(batch.y, 0, end), time);
          const firstLoss = time('loss readback', () => first.value.dataSync()[0]);
          const combined = time('workers', () => workers.finish(n, first.grads, firstLoss));
          grads = combined.grads;
          loss = () => combined.loss;
        } else {
          const own = lossAndGrads(batch.x, batch.y, time);
          grads = own.grads;
          loss = () => time('loss readback', () => own.value.dataSync()[0]);
        }
        time('mask gradients', () => {
          for (const [name, keep] of maskTensors) grads[name] = applyMask(grads[name], keep);
          for (const [name, { tie, shape }] of tied) grads[name] = tf.tensor(tiedGradient(grads[name].dataSync() as Float32Array, tie), shape);
        });
        time('optimizer', () => optimizer.applyGradients(grads));
        time('mask weights', () => {
          for (const v of trainable) {
            const keep = maskTensors.get(v.name);
            if (keep) v.assign(applyMask(v, keep));
            const t = tied.get(v.name);
            // Members moved alike already; the projection keeps them one value against rounding.
            if (t) v.assign(tf.tensor(projectToMeans(v.dataSync() as Float32Array, t.tie), t.shape));
          }
        });
        return loss();
      });
    },
    setLearningRate: (lr) => setLearningRate(optimizer, lr),
    workers: workers ? workers.count : 1,
    workersRefused: pool && !(pool instanceof GradientWorkers) ? pool.refused : undefined,
    dispose() {
      noise.restore();
      workers?.stop();
      for (const t of maskTensors.values()) t.dispose();
      optimizer.dispose();
    },
  };
}

/** Trains `model` in place on `data` with the task's loss: seeded shuffling, optional masks re-applied after every step (pruned weights stay zero), optional validation and early stopping, and a teacher for distillation. */
export function train(model: tf.LayersModel, data: ArrayDataset, options: TrainOptions): TrainResult {
  const setup = prepareTraining(model, data, options);
  const inputShape = modelInputShape(model);
  const totalBatches = Math.ceil(data.size / options.batchSize) * options.epochs;
  const epochs: EpochResult[] = [];
  let best: { score: number; weights: tf.Tensor[] } | undefined;
  let sinceBest = 0;
  let stoppedEarly = false;
  let lr = options.learningRate;
  let done = 0;
  try {
    for (let epoch = 0; epoch < options.epochs; epoch++) {
      let lossSum = 0;
      for (const batch of data.batches(options.batchSize, inputShape, options.rng)) {
        const lossValue = setup.step(batch);
        lossSum += lossValue * batch.size;
        tf.dispose([batch.x, batch.y]);
        options.onBatch?.(++done, totalBatches);
      }
      const result: EpochResult = {
        epoch,
        loss: lossSum / data.size,
        validation: options.validation ? evaluate(model, options.validation) : undefined,
      };
      epochs.push(result);
      options.onEpoch?.(epoch, result);
      if (options.earlyStopping && result.validation) {
        const minDelta = options.earlyStopping.minDelta ?? 0;
        if (!best || result.validation.score > best.score + minDelta) {
          best?.weights.forEach((t) => t.dispose());
          best = { score: result.validation.score, weights: model.getWeights().map((t) => t.clone()) };
          sinceBest = 0;
        } else if (++sinceBest >= options.earlyStopping.patience) {
          stoppedEarly = true;
          break;
        }
      }
      if (options.learningRateDecay !== undefined && options.learningRateDecay !== 1) {
        lr *= options.learningRateDecay;
        setup.setLearningRate(lr);
      }
    }
    if (best && sinceBest > 0) model.setWeights(best.weights);
  } finally {
    best?.weights.forEach((t) => t.dispose());
    setup.dispose();
  }
  return { epochs, stoppedEarly, workers: setup.workers, workersRefused: setup.workersRefused };
}

/**
 * Calls `visit` with the loss gradient of every trainable weight (keyed by weight name) on
 * `batches` batches of `data`. Gradient tensors are disposed after `visit` returns.
 */
export function forEachGradient(
  model: tf.LayersModel,
  data: ArrayDataset,
  options: { readonly batches: number; readonly batchSize: number; readonly rng: Rng },
  visit: (grads: Map<string, tf.Tensor>) => void,
): void {
  if (data.size === 0) throw new Error(`cannot compute gradients on an empty dataset (${data.name})`);
  const inputShape = modelInputShape(model);
  const weights = model.trainableWeights;
  const variables = weights.map((w) => w.read() as tf.Variable);
  const inputKernels = inputConvolutionKernels(model);
  let n = 0;
  for (const batch of data.batches(options.batchSize, inputShape, options.rng)) {
    if (n++ >= options.batches) {
      tf.dispose([batch.x, batch.y]);
      break;
    }
    tf.tidy(() => {
      const { grads } = weightGradients(() => data.task.lossOf(batch.y, model.apply(batch.x, { training: false }) as tf.Tensor), variables, inputKernels);
      visit(new Map(weights.map((w, i) => [w.name, grads[variables[i].name]] as const)));
    });
    tf.dispose([batch.x, batch.y]);
  }
}

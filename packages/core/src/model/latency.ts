/**
 * Inference latency: the median wall time of `model.predict` on random inputs, after warm-up,
 * reading the result back (so asynchronous backends are fully timed).
 */
import * as tf from '@tensorflow/tfjs';
import { modelInputShape } from '../datasets/dataset';
import { median } from '../util/median';

export interface Latency {
  /** Median milliseconds per call at batch 1 and batch 32. */
  readonly batch1: number;
  readonly batch32: number;
}

export function medianPredictMs(model: tf.LayersModel, batchSize: number, repeats: number, warmup = 1): number {
  const x = tf.randomUniform([batchSize, ...modelInputShape(model)], 0, 1, 'float32', 1);
  const times: number[] = [];
  try {
    for (let i = 0; i < warmup + repeats; i++) {
      const start = performance.now();
      tf.tidy(() => {
        const y = model.predict(x) as tf.Tensor;
        y.dataSync();
      });
      if (i >= warmup) times.push(performance.now() - start);
    }
  } finally {
    x.dispose();
  }
  return median(times);
}

export function measureLatency(model: tf.LayersModel, repeats = 5): Latency {
  return {
    // Batch 1 is cheap and the first calls after loading pay for kernel set-up and JIT:
    // warm up three times (measured: one warm-up left the same model 1.65x apart across runs).
    batch1: medianPredictMs(model, 1, repeats * 2, 3),
    batch32: medianPredictMs(model, 32, repeats),
  };
}

/**
 * Latency of two models measured in alternation — a block of calls on `before`, a block on
 * `after`, `rounds` times — and the median of each model's block medians. On a shared
 * machine the load drifts over seconds; measured apart (as the pipeline's baseline and
 * final are, minutes apart) the ratio carries that drift, measured in alternation both
 * models see it alike.
 */
export function compareLatency(before: tf.LayersModel, after: tf.LayersModel, rounds = 9, callsPerBlock = 5): { before: Latency; after: Latency } {
  if (!(Number.isInteger(rounds) && rounds >= 1 && Number.isInteger(callsPerBlock) && callsPerBlock >= 1)) {
    throw new Error(`compareLatency: rounds and callsPerBlock must be positive integers (got ${rounds}, ${callsPerBlock})`);
  }
  const at = (batchSize: number, warmup: number): [number, number] => alternatingMedians(before, after, batchSize, rounds, callsPerBlock, warmup);
  const [before1, after1] = at(1, 3);
  const [before32, after32] = at(32, 1);
  return { before: { batch1: before1, batch32: before32 }, after: { batch1: after1, batch32: after32 } };
}

/**
 * The two models' median call times at one batch size, in alternation: a warm-up of each,
 * then `rounds` blocks of `callsPerBlock` calls on each in turn; the median of each model's
 * block medians.
 */
export function alternatingMedians(before: tf.LayersModel, after: tf.LayersModel, batchSize: number, rounds: number, callsPerBlock: number, warmup: number): [number, number] {
  medianPredictMs(before, batchSize, 1, warmup);
  medianPredictMs(after, batchSize, 1, warmup);
  const a: number[] = [];
  const b: number[] = [];
  for (let r = 0; r < rounds; r++) {
    a.push(medianPredictMs(before, batchSize, callsPerBlock, 0));
    b.push(medianPredictMs(after, batchSize, callsPerBlock, 0));
  }
  return [median(a), median(b)];
}

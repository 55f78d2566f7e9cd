/**
 * Inference latency: the median wall time of `model.predict` on random inputs, after warm-up,
 * reading the result back (so asynchronous backends are fully timed).
 */
import * as tf from '@tensorflow/tfjs';
import { modelInputShape } from '../datasets/dataset';

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
  times.sort((a, b) => a - b);
  const mid = Math.floor(times.length / 2);
  return times.length % 2 ? times[mid] : (times[mid - 1] + times[mid]) / 2;
}

export function measureLatency(model: tf.LayersModel, repeats = 5): Latency {
  return {
    // Batch 1 is cheap and the first calls after loading pay for kernel set-up and JIT:
    // warm up three times (measured: one warm-up left the same model 1.65x apart across runs).
    batch1: medianPredictMs(model, 1, repeats * 2, 3),
    batch32: medianPredictMs(model, 32, repeats),
  };
}

/**
 * Where a training step's time goes: the phases of `train`'s own step (batch assembly from
 * the dataset, forward and backward, mask application, optimizer, loss read-back, and what is
 * left: tidy, disposal, JavaScript around the kernels), timed without profiling, and the
 * kernels each phase runs, timed by the engine's profiler. The next speed change starts from
 * this table instead of a guess (docs/performance.md).
 *
 * Kernels are attributed to phases by running steps with the engine's profiling switched on
 * and noting, at each phase boundary, how many kernels it has recorded. The forward pass (the
 * loss) is a phase inside forward+backward; what forward+backward runs outside it is the
 * backward pass.
 */
import * as tf from '@tensorflow/tfjs';
import type { ArrayDataset, Batch } from '../datasets/dataset';
import { modelInputShape } from '../datasets/dataset';
import { modelFlops } from '../model/model-stats';
import { Rng } from '../util/rng';
import { prepareTraining, StepPhase, TrainOptions } from './train';
import { tidyRead } from '../util/tidy-read';
import { median } from '../util/median';

/** Where a row of the profile's time goes. */
export type ProfilePhase = 'batch assembly' | 'backward' | Exclude<StepPhase, 'forward+backward'> | 'other';

export interface PhaseTime {
  readonly phase: ProfilePhase;
  /** Median milliseconds per step. */
  readonly ms: number;
}

export interface KernelTime {
  readonly phase: ProfilePhase;
  readonly kernel: string;
  /** Calls per step. */
  readonly calls: number;
  /** Milliseconds per step (the mean over the profiled steps). */
  readonly ms: number;
  /** Input shapes of the call that took longest, e.g. `[64,24,24,6] [5,5,1,6]`. */
  readonly slowestInputs: string;
}

export interface TrainingProfile {
  readonly batchSize: number;
  readonly steps: number;
  /** Median wall milliseconds per step (batch assembly included), without profiling. */
  readonly stepMs: number;
  readonly examplesPerSecond: number;
  /** Forward FLOPs per example (core's count: multiply-adds × 2); a training step costs about three times this. */
  readonly forwardFlopsPerExample: number;
  readonly phases: readonly PhaseTime[];
  /** Kernels by phase and name, the slowest first. */
  readonly kernels: readonly KernelTime[];
  /** Milliseconds per step inside kernels, as profiled. */
  readonly kernelMs: number;
}

export interface ProfileOptions extends Pick<TrainOptions, 'optimizer' | 'masks' | 'batchNorm'> {
  /** Default 1e-4. */
  readonly learningRate?: number;
  readonly batchSize: number;
  /** Steps timed (after `warmup` untimed ones); each phase's median is taken over them. */
  readonly steps: number;
  readonly warmup?: number;
  readonly seed?: number;
  /** Threads sharing each batch (data-parallel, as `train`'s option); 1 by default. */
  readonly workers?: number;
}

interface EngineProfileState {
  profiling: boolean;
  activeProfile: { kernels: { name: string; inputShapes: (number[] | null)[]; kernelTimeMs: number | Promise<number> }[] };
}

/**
 * The engine's profiling switch and the kernels it records. tfjs exposes these only through
 * `tf.profile`, which awaits its query and so cannot be switched on and off around phases of
 * one synchronous step; this reads the same engine state directly (tfjs 4.x).
 */
function engineProfile(): EngineProfileState {
  const state = (tf.engine() as unknown as { state: EngineProfileState }).state;
  if (typeof state?.profiling !== 'boolean' || !Array.isArray(state.activeProfile?.kernels)) throw new Error('this tfjs engine does not keep a kernel profile where nncompress reads it');
  return state;
}

/**
 * Profiles `train`'s step on `model` (trained in place: profile a copy) over `options.steps`
 * batches of `data` after `warmup` steps. The same step `train` runs, so what it shows is what
 * fine-tuning spends.
 */
export async function profileTraining(model: tf.LayersModel, data: ArrayDataset, options: ProfileOptions): Promise<TrainingProfile> {
  const rng = new Rng(options.seed ?? 1);
  const setup = prepareTraining(model, data, { epochs: 1, batchSize: options.batchSize, learningRate: options.learningRate ?? 1e-4, optimizer: options.optimizer, masks: options.masks, batchNorm: options.batchNorm, rng, workers: options.workers });
  const inputShape = modelInputShape(model);
  const warmup = options.warmup ?? 2;
  // Batches for warm-up, the timed steps and the profiled ones, cycling through the data.
  function* batches(): Generator<Batch> {
    for (;;) {
      let any = false;
      for (const batch of data.batches(options.batchSize, inputShape, rng)) {
        any = true;
        yield batch;
      }
      if (!any) return;
    }
  }
  const source = batches();
  const next = (): Batch => {
    const { value, done } = source.next();
    if (done) throw new Error(`${data.name} gives no batches`);
    return value;
  };
  const phaseTimes = new Map<string, number[]>();
  const record = (phase: string, ms: number): void => {
    const list = phaseTimes.get(phase) ?? [];
    list.push(ms);
    phaseTimes.set(phase, list);
  };
  try {
    for (let i = 0; i < warmup; i++) {
      const batch = next();
      setup.step(batch);
      tf.dispose([batch.x, batch.y]);
    }
    // Phases, without profiling.
    const stepTimes: number[] = [];
    for (let i = 0; i < options.steps; i++) {
      const started = performance.now();
      const batch = next();
      const assembled = performance.now() - started;
      const step = new Map<StepPhase, number>();
      setup.step(batch, (phase, f) => {
        const t0 = performance.now();
        const out = f();
        step.set(phase, performance.now() - t0);
        return out;
      });
      tf.dispose([batch.x, batch.y]);
      const total = performance.now() - started;
      stepTimes.push(total);
      const ms = (phase: StepPhase): number => step.get(phase) ?? 0;
      record('batch assembly', assembled);
      record('forward', ms('forward'));
      record('backward', ms('forward+backward') - ms('forward'));
      for (const phase of ['workers', 'mask gradients', 'optimizer', 'mask weights', 'loss readback'] as const) record(phase, ms(phase));
      record('other', total - assembled - ms('forward+backward') - ms('workers') - ms('mask gradients') - ms('optimizer') - ms('mask weights') - ms('loss readback'));
    }
    // Kernels, with profiling: attributed to the phase that ran them.
    const engine = engineProfile();
    const byKey = new Map<string, { phase: ProfilePhase; kernel: string; calls: number; ms: number; slowest: number; slowestInputs: string }>();
    let kernelMs = 0;
    for (let i = 0; i < options.steps; i++) {
      const batch = next();
      const bounds: { phase: StepPhase; from: number; to: number }[] = [];
      engine.activeProfile.kernels = [];
      engine.profiling = true;
      try {
        setup.step(batch, (phase, f) => {
          const from = engine.activeProfile.kernels.length;
          const out = f();
          bounds.push({ phase, from, to: engine.activeProfile.kernels.length });
          return out;
        });
      } finally {
        engine.profiling = false;
        tf.dispose([batch.x, batch.y]);
      }
      const kernels = engine.activeProfile.kernels;
      const times = await Promise.all(kernels.map((k) => k.kernelTimeMs));
      kernels.forEach((k, index) => {
        // Ops with a custom gradient are recorded as a scope around their kernels: count the kernels only.
        if (k.name.endsWith('__op')) return;
        // The innermost phase that ran the kernel; forward+backward outside forward is the backward pass.
        const bound = bounds.filter((b) => index >= b.from && index < b.to).sort((a, b) => a.to - a.from - (b.to - b.from))[0];
        const phase: ProfilePhase = !bound ? 'other' : bound.phase === 'forward+backward' ? 'backward' : bound.phase;
        const key = `${phase}\u0000${k.name}`;
        const entry = byKey.get(key) ?? { phase, kernel: k.name, calls: 0, ms: 0, slowest: -1, slowestInputs: '' };
        entry.calls++;
        entry.ms += times[index];
        kernelMs += times[index];
        if (times[index] > entry.slowest) {
          entry.slowest = times[index];
          entry.slowestInputs = k.inputShapes.map((s) => (s ? `[${s.join(',')}]` : '–')).join(' ');
        }
        byKey.set(key, entry);
      });
      engine.activeProfile.kernels = [];
    }
    const stepMs = median(stepTimes);
    const order: ProfilePhase[] = ['batch assembly', 'forward', 'backward', ...(setup.workers > 1 ? (['workers'] as const) : []), 'mask gradients', 'optimizer', 'mask weights', 'loss readback', 'other'];
    return {
      batchSize: options.batchSize,
      steps: options.steps,
      stepMs,
      examplesPerSecond: (1000 * options.batchSize) / stepMs,
      forwardFlopsPerExample: modelFlops(model),
      phases: order.map((phase) => ({ phase, ms: median(phaseTimes.get(phase) ?? [0]) })),
      kernels: [...byKey.values()]
        .map((e) => ({ phase: e.phase, kernel: e.kernel, calls: e.calls / options.steps, ms: e.ms / options.steps, slowestInputs: e.slowestInputs }))
        .sort((a, b) => b.ms - a.ms),
      kernelMs: kernelMs / options.steps,
    };
  } finally {
    source.return(undefined);
    setup.dispose();
  }
}

/** Measured matrix-multiply speed of the current backend: GFLOP/s of an n×n by n×n product (median of `repeats`). */
export function matmulGflops(n = 512, repeats = 7): number {
  const a = tf.randomUniform([n, n], -1, 1, 'float32', 1);
  const b = tf.randomUniform([n, n], -1, 1, 'float32', 2);
  try {
    // Warm-up: the first products pack the operands and grow the backend's memory.
    for (let i = 0; i < 3; i++) tidyRead(() => [tf.matMul(a, b)]);
    const times: number[] = [];
    for (let i = 0; i < repeats; i++) {
      const started = performance.now();
      tidyRead(() => [tf.matMul(a, b)]);
      times.push(performance.now() - started);
    }
    return (2 * n * n * n) / (median(times) / 1000) / 1e9;
  } finally {
    tf.dispose([a, b]);
  }
}

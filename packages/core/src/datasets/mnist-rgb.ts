/**
 * MNIST digits as RGB images of a chosen size (bilinear resize, grey copied to three
 * channels, values in [0, 1]), so ImageNet-style pretrained models can be transferred to
 * them. Same fixed split and prefix semantics as `mnist`.
 */
import * as tf from '@tensorflow/tfjs';
import { ArrayDataset } from './dataset';
import { loadMnist } from './mnist';
import { DatasetSource } from './source';
import { tidyRead } from '../util/tidy-read';

function toRgb(data: ArrayDataset, size: number): ArrayDataset {
  const out = new Float32Array(data.size * size * size * 3);
  const chunk = 64;
  for (let start = 0; start < data.size; start += chunk) {
    const n = Math.min(chunk, data.size - start);
    const [pixels] = tidyRead(() => {
      const grey = tf.tensor4d(data.features.subarray(start * 784, (start + n) * 784), [n, 28, 28, 1]);
      const resized = tf.image.resizeBilinear(grey, [size, size]);
      return [tf.tile(resized, [1, 1, 1, 3])];
    });
    out.set(pixels, start * size * size * 3);
  }
  return new ArrayDataset(`${data.name}-rgb${size}`, out, data.labels, [size, size, 3], data.numClasses);
}

export function loadMnistRgb(options: { train?: number; test?: number; size?: number } = {}): { train: ArrayDataset; test: ArrayDataset } {
  const size = options.size ?? 224;
  if (!Number.isInteger(size) || size < 8 || size > 512) throw new Error(`size must be an integer from 8 to 512, got ${size}`);
  const { train, test } = loadMnist({ train: options.train, test: options.test });
  return { train: toRgb(train, size), test: toRgb(test, size) };
}

export const mnistRgbSource: DatasetSource<{ size: number }> = {
  id: 'mnist-rgb',
  description: 'The mnist digits resized (bilinear) to size×size and copied to three channels, for ImageNet-style models.',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: { size: { type: 'integer', minimum: 8, maximum: 512, default: 224, description: 'Side of the square RGB images.' } },
  },
  order: 'fixed-random',
  // The limits are taken here, before resizing: 8,000 digits at 224×224×3 would be 4.8 GB.
  load: (options, ctx) => loadMnistRgb({ ...ctx.limits, size: options.size }),
};

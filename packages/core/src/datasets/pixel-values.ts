/**
 * How stored pixel bytes become model inputs, shared by the image sources: a value range
 * (default [0, 1], as the `mnist` source gives) and optional per-channel mean and std, so
 * the input matches what the model was trained on.
 */
import type { JsonSchema } from '../plugins/plugin';
import type { FeatureDecoding } from './dataset';

export interface PixelValueOptions {
  /** What byte 0 and byte 255 become (before mean/std). Default [0, 1]. */
  readonly range?: readonly [number, number];
  /** Per-channel mean subtracted after scaling (e.g. ImageNet's [0.485, 0.456, 0.406]). */
  readonly mean?: readonly number[];
  /** Per-channel standard deviation divided by after the mean. */
  readonly std?: readonly number[];
}

export const pixelValueSchema: Record<string, JsonSchema> = {
  range: { type: 'array', items: { type: 'number' }, minItems: 2, maxItems: 2, default: [0, 1], description: 'What pixel values 0 and 255 become, before mean/std: [0, 1] (default), [-1, 1], [0, 255].' },
  mean: { type: 'array', items: { type: 'number' }, minItems: 1, description: 'Per-channel mean subtracted after the range is applied.' },
  std: { type: 'array', items: { type: 'number', exclusiveMinimum: 0 }, minItems: 1, description: 'Per-channel standard deviation divided by after the mean.' },
};

/** The decoding of uint8 pixels under these options, checked against the channel count. */
export function pixelDecoding(options: PixelValueOptions, channels: number): FeatureDecoding {
  const [lo, hi] = options.range ?? [0, 1];
  for (const key of ['mean', 'std'] as const) {
    const v = options[key];
    if (v && v.length !== channels) throw new Error(`data.${key}: ${v.length} values for images of ${channels} channel${channels === 1 ? '' : 's'}`);
  }
  return { scale: (hi - lo) / 255, offset: lo, mean: options.mean, std: options.std };
}

import type { JsonSchema, OptionsOf } from '@nncompress/core';

export const weightSharingOptionsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    bits: { type: 'integer', minimum: 1, maximum: 8, default: 5, description: 'Clusters per layer as bits: 2^bits shared values for the non-zero weights of each kernel (Deep Compression: 5 for fully connected layers, 8 for convolutions).' },
    layerBits: {
      type: 'object',
      additionalProperties: { type: 'integer', minimum: 1, maximum: 8 },
      description: 'Bits per layer (layer name → bits), overriding bits for the layers it names.',
    },
    sensitivity: {
      type: 'object',
      additionalProperties: false,
      required: ['maxLossIncrease'],
      description: "Choose each layer's bits from a measurement instead: each layer clustered alone at each width from minBits to maxBits, the loss rise on calibration examples measured, and the bits chosen within maxLossIncrease (see budget). layerBits still fixes the layers it names.",
      properties: {
        maxLossIncrease: { type: 'number', exclusiveMinimum: 0, description: 'Largest rise of the mean loss: per layer, or summed over the layers with budget total.' },
        budget: { enum: ['layer', 'total'], default: 'layer', description: "layer: each layer the fewest bits within maxLossIncrease alone; total: maxLossIncrease bounds the sum over the layers, spent where it saves the most bits (a network of many layers, such as MobileNetV2, needs this: per-layer bounds add up)." },
        minBits: { type: 'integer', minimum: 1, maximum: 8, default: 2 },
        maxBits: { type: 'integer', minimum: 1, maximum: 8, default: 8 },
        examples: { type: 'integer', minimum: 16, default: 2000, description: 'Calibration examples, drawn from the training split (stratified).' },
      },
    },
    biasBits: { type: 'integer', minimum: 1, maximum: 8, description: "Also share the biases of the same layers, in 2^biasBits values each (a 500-unit layer's biases take 2,000 bytes as float32, more than its pruned kernel's shared values); absent: biases keep their values." },
    entries: { enum: ['float32', 'float16'], default: 'float32', description: "Precision of the shared values. float16: each cluster's value is kept on float16's grid (its mean rounded to the nearest float16 after every fine-tuning step), so the codebook codec stores each entry in 16 bits instead of 32, halving what per-filter codebooks cost; float16 carries 11 significant bits, far finer than the spacing of a few dozen clusters." },
    perChannel: { type: 'boolean', default: false, description: "Cluster each output channel (filter) of a kernel apart: 2^bits shared values per filter instead of per kernel, for networks whose filters differ in range (MobileNetV2 kept 85.0% at 4 bits a filter, 81.2% at 6 bits a kernel). The codebook codec stores one codebook per channel, at 32 bits an entry (16 with entries: float16): on networks whose filters do not differ (the LeNets) files grow." },
    init: { enum: ['linear', 'density'], default: 'linear', description: 'Where k-means starts: linear (evenly between the smallest and largest weight; Deep Compression found it best, as it keeps large weights their own clusters) or density (evenly spaced quantiles).' },
    iterations: { type: 'integer', minimum: 1, maximum: 1000, default: 30, description: "Most Lloyd iterations of k-means per layer (it stops earlier when no cluster's members change)." },
    exclude: { type: 'array', items: { type: 'string' }, default: [], description: 'Names of layers whose weights are not shared.' },
  },
} as const satisfies JsonSchema;

/** The options as `apply` receives them: validated, defaults filled in. */
export type WeightSharingOptions = OptionsOf<typeof weightSharingOptionsSchema>;

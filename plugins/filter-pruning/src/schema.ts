import type { JsonSchema, OptionsOf } from '@nncompress/core';

export const filterPruningOptionsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    criterion: {
      type: 'string',
      minLength: 1,
      default: 'average-weight',
      description: 'Importance measure of a channel, by id (docs/importance.md): sum (min-weight, Li et al.) or mean (average-weight) of the absolute weights of its filters, their L2 norm, its mean activation on the target data, or 1 − APoZ (the fraction of non-zero activations after ReLU). min-weight and average-weight rank the channels of one layer identically (same filter size); they differ only with scope: global. A channel measure a configured plugin declares may be named too.',
    },
    scope: { enum: ['global', 'layer'], default: 'global', description: 'global: normalised scores compete across groups; layer: every group loses the same fraction (or its layerRatios entry).' },
    normalize: { enum: ['mean', 'max', 'none'], default: 'mean', description: "Global scope: divide each group's scores by their mean or max so groups of different scale compete fairly." },
    layerRatios: { type: 'object', additionalProperties: { type: 'number', minimum: 0, exclusiveMaximum: 1 }, default: {}, description: "Layer scope: fraction removed from the group a producer layer belongs to, overriding the stage's filterRatio." },
    protect: { type: 'array', items: { type: 'string' }, default: [], description: 'Layers whose output channels are never pruned (the channel group they produce stays whole, with its BatchNorm, depthwise and residual partners; their inputs may still shrink); `*` is a wildcard, e.g. `block_*_project`.' },
    minChannels: { type: 'integer', minimum: 1, default: 1, description: 'Channels every group keeps at least.' },
    batches: { type: 'integer', minimum: 1, maximum: 1000, default: 4, description: 'Activation criteria: batches of target (training) data measured.' },
    batchSize: { type: 'integer', minimum: 1, maximum: 1024, default: 16, description: 'Activation criteria: batch size (memory grows with it).' },
    head: { enum: ['auto', 'keep'], default: 'auto', description: 'auto: replace the output Dense layer with a fresh one when the dataset has another number of classes (transfer learning).' },
    headOn: { type: 'string', minLength: 1, description: "Transfer learning: cut the network after this layer and attach a new head there (global average pooling, then a softmax Dense for the dataset's classes); also lets the input size follow the dataset's images." },
    compensate: { type: 'boolean', default: false, description: "Mean-replacement: fold each removed channel's mean value on `batches` × `batchSize` training examples into the next layer's bias (or the BatchNorm after it), so the next layer's output keeps its mean. Exact for constant channels (e.g. a ReLU channel that never fires still adds a constant)." },
    reinit: { type: 'boolean', default: false, description: 'Re-initialise all weights after pruning, so fine-tuning trains the pruned structure from scratch.' },
  },
} as const satisfies JsonSchema;

/** The options as `apply` receives them: validated, defaults filled in (derived from the schema, so each option is described once). */
export type FilterPruningOptions = OptionsOf<typeof filterPruningOptionsSchema>;

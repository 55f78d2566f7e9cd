import type { JsonSchema, OptionsOf } from '@nncompress/core';

export const smallWeightRetentionOptionsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    rho: { type: 'number', minimum: 0, maximum: 1, default: 0.1, description: 'Share of the k kept weights chosen from the small-weight pool; the other (1 − rho)·k are the largest by abs(w). 0 is magnitude pruning.' },
    scope: { enum: ['layer', 'global'], default: 'global', description: 'layer: every layer keeps the same share k of its weights, with its own large set and pool; global: one magnitude threshold and one pool across layers.' },
    selector: { enum: ['saliency', 'search'], default: 'saliency', description: 'saliency: retain the pool weights with the highest gradient saliency; search: start there and anneal swaps between retained and candidate pool weights, keeping the mask with the lowest calibration loss.' },
    saliency: { enum: ['first-order', 'second-order'], default: 'first-order', description: 'Estimate of the loss increase when a weight is removed: first-order abs(w·g); second-order ½·w²·g² (diagonal Fisher). Averaged over calibration batches.' },
    exclude: { type: 'array', items: { type: 'string' }, default: [], description: 'Names of layers that are never pruned (they count as kept).' },
    calibrationBatches: { type: 'integer', minimum: 1, maximum: 1000, default: 8, description: 'Training batches whose gradients are averaged for the saliency.' },
    batchSize: { type: 'integer', minimum: 1, maximum: 4096, default: 64, description: 'Batch size of the saliency gradients.' },
    evaluations: { type: 'integer', minimum: 1, maximum: 100000, default: 200, description: 'search: budget of calibration-loss evaluations, the starting mask included.' },
    calibrationExamples: { type: 'integer', minimum: 1, maximum: 60000, default: 1000, description: 'search: training examples (a seeded sample) on which the loss of a mask is measured.' },
    candidates: { type: 'number', minimum: 1, maximum: 100, default: 4, description: 'search: candidates per retained slot — the search swaps among the candidates·rho·k pool weights of highest saliency.' },
    moveFraction: { type: 'number', minimum: 0, maximum: 1, default: 0.02, description: 'search: share of the retained weights swapped per move (at least one).' },
  },
} as const satisfies JsonSchema;

/** The options as `apply` receives them: validated, defaults filled in (derived from the schema, so each option is described once). */
export type SmallWeightRetentionOptions = OptionsOf<typeof smallWeightRetentionOptionsSchema>;
export type RetentionScope = SmallWeightRetentionOptions['scope'];
export type RetentionSelector = SmallWeightRetentionOptions['selector'];
export type SaliencyOrder = SmallWeightRetentionOptions['saliency'];

import type { JsonSchema, OptionsOf } from '@nncompress/core';

export const magnitudeOptionsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    criterion: { type: 'string', minLength: 1, default: 'magnitude', description: 'Importance measure of a weight, by id: magnitude = abs(w); taylor = abs(w·∂L/∂w), the first-order estimate of the loss change when the weight is removed; squared, taylor-second, or one a configured plugin declares (docs/importance.md).' },
    scope: { enum: ['layer', 'global'], default: 'global', description: 'layer: each layer pruned to the round target; global: one threshold over all layers (layers keep what they need).' },
    exclude: { type: 'array', items: { type: 'string' }, default: [], description: 'Names of layers that are never pruned.' },
    taylorBatches: { type: 'integer', minimum: 1, maximum: 1000, default: 8, description: 'Calibration batches averaged for the Taylor criterion.' },
    batchSize: { type: 'integer', minimum: 1, maximum: 4096, default: 64, description: 'Batch size for the Taylor criterion.' },
    layerSparsity: {
      type: 'object',
      additionalProperties: { type: 'number', minimum: 0, exclusiveMaximum: 1 },
      description: 'Per-layer sparsity map (layer name → sparsity), e.g. the one `nncompress sensitivity --target` writes. Overrides scope; each round scales the map by its progress to the stage target; unlisted layers are not pruned.',
    },
  },
} as const satisfies JsonSchema;

/** The options as `apply` receives them: validated, defaults filled in (derived from the schema, so each option is described once). */
export type MagnitudeOptions = OptionsOf<typeof magnitudeOptionsSchema>;
export type SelectionScope = MagnitudeOptions['scope'];

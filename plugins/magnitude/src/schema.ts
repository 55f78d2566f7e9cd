import type { JsonSchema } from '@nncompress/core';

export type MagnitudeCriterion = 'magnitude' | 'taylor';
export type SelectionScope = 'layer' | 'global';

export interface MagnitudeOptions {
  /** `magnitude`: |w|. `taylor`: |w·∂L/∂w| averaged over calibration batches. */
  criterion: MagnitudeCriterion;
  /** `layer`: every layer pruned to the same sparsity; `global`: one threshold across layers. */
  scope: SelectionScope;
  /** Layers never pruned (by name). */
  exclude: string[];
  /** Calibration batches for the Taylor criterion. */
  taylorBatches: number;
  /** Batch size for the Taylor criterion. */
  batchSize: number;
  /**
   * Per-layer final sparsities (e.g. from `nncompress sensitivity`). Overrides `scope`: each
   * round scales every listed layer's sparsity by its progress to the stage target; layers
   * not listed are not pruned.
   */
  layerSparsity?: Record<string, number>;
}

export const magnitudeOptionsSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    criterion: { enum: ['magnitude', 'taylor'], default: 'magnitude', description: 'Importance of a weight: magnitude = abs(w); taylor = abs(w·∂L/∂w), the first-order estimate of the loss change when the weight is removed.' },
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
};

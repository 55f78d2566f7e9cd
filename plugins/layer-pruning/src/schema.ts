import type { JsonSchema, OptionsOf } from '@nncompress/core';

export const layerPruningOptionsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    criterion: {
      type: 'string',
      minLength: 1,
      default: 'bypass-loss',
      description: "Importance measure of a unit, by id (docs/importance.md): bypass-loss, the loss increase on held-back training examples when it is removed (and repaired), or 1 − linear CKA between the unit's input and output activations (label-free, one forward pass per unit); a unit measure a configured plugin declares may be named too.",
    },
    kinds: { type: 'array', items: { enum: ['residual', 'block'] }, minItems: 1, uniqueItems: true, default: ['residual', 'block'], description: 'Units that may be removed: residual blocks (the identity path stays) and layer blocks (a Conv2D/Dense/DepthwiseConv2D with its BatchNorm and activation).' },
    repair: { enum: ['always', 'auto', 'never'], default: 'always', description: "Least-squares refit of the next Conv2D/Dense on calibration activations: always when there is one, auto only when the unit changes the channel count (required then), never (such units are skipped)." },
    protect: { type: 'array', items: { type: 'string' }, default: [], description: 'Layers never removed: units containing any of them are skipped; `*` is a wildcard, e.g. `block_*`.' },
    calibrationExamples: { type: 'integer', minimum: 1, maximum: 100000, default: 256, description: 'Training examples the repairs are fitted on (and CKA measured on).' },
    validationExamples: { type: 'integer', minimum: 1, maximum: 100000, default: 512, description: 'bypass-loss: training examples, after the calibration ones, that the loss change is measured on.' },
    batchSize: { type: 'integer', minimum: 1, maximum: 1024, default: 32, description: 'Examples per forward pass (memory grows with it).' },
  },
} as const satisfies JsonSchema;

/** The options as `apply` receives them: validated, defaults filled in (derived from the schema, so each option is described once). */
export type LayerPruningOptions = OptionsOf<typeof layerPruningOptionsSchema>;

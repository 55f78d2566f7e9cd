import type { JsonSchema, OptionsOf } from '@nncompress/core';

export const rowColumnOptionsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    method: { enum: ['greedy', 'global-greedy', 'local-sa', 'neighboring-sa'], default: 'neighboring-sa', description: "greedy: the better of row-then-column and column-then-row over every feasible row count, per layer (a 2-approximation); global-greedy: rows of all layers ranked together (importance divided by each layer's mean), then columns, to the model-wide budget, so layers end at different sparsities; local-sa: simulated annealing per layer, started from greedy and never worse; neighboring-sa: annealing over all layers at once, where removing a layer's row removes the next layer's columns that read that channel (residual groups move as one)." },
    importance: { type: 'string', minLength: 1, default: 'magnitude', description: 'Importance measure of a weight, by id (docs/importance.md): magnitude abs(w), squared w², taylor abs(w·∂L/∂w) averaged over calibration batches, taylor-second, or one a configured plugin declares.' },
    layers: { type: 'array', items: { type: 'string' }, default: [], description: 'Conv2D and Dense layers to prune (names, `*` wildcards); empty: all of them. A layer without a GEMM view is an error.' },
    exclude: { type: 'array', items: { type: 'string' }, default: [], description: 'Layers never pruned (names, `*` wildcards).' },
    iterations: { type: 'integer', minimum: 0, maximum: 10000000, default: 20000, description: 'local-sa, neighboring-sa: proposed moves per pruned layer (neighboring-sa spends them on all layers at once).' },
    initialTemperature: { type: 'number', exclusiveMinimum: 0, default: 0.3, description: "local-sa, neighboring-sa: starting temperature, as a fraction of the start's mean kept row/column importance." },
    finalTemperature: { type: 'number', exclusiveMinimum: 0, default: 0.0001, description: 'local-sa, neighboring-sa: final temperature, same unit; cooling is geometric.' },
    taylorBatches: { type: 'integer', minimum: 1, maximum: 1000, default: 8, description: 'taylor: calibration batches averaged.' },
    batchSize: { type: 'integer', minimum: 1, maximum: 4096, default: 64, description: 'taylor: batch size; compact: calibration batch size.' },
    compact: { type: 'boolean', default: false, description: "After the stage's last selection, rebuild the model without the channels the masks made dead: removed rows become removed filters, and columns covering a whole input channel shrink the layer before. Exact (same outputs); the other removed columns stay masked. The report's sparsity then counts only those masked zeros." },
  },
} as const satisfies JsonSchema;

/** The options as `apply` receives them: validated, defaults filled in (derived from the schema, so each option is described once). */
export type RowColumnOptions = OptionsOf<typeof rowColumnOptionsSchema>;
export type RowColumnMethod = RowColumnOptions['method'];

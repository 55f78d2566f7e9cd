import type { JsonSchema } from '@nncompress/core';

export type RowColumnMethod = 'greedy' | 'local-sa';
export type RowColumnImportance = 'magnitude' | 'squared' | 'taylor';

export interface RowColumnOptions {
  method: RowColumnMethod;
  importance: RowColumnImportance;
  /** Layers to prune (names or `*` patterns); empty: every Conv2D and Dense layer. */
  layers: string[];
  /** Layers never pruned. */
  exclude: string[];
  iterations: number;
  initialTemperature: number;
  finalTemperature: number;
  taylorBatches: number;
  batchSize: number;
}

export const rowColumnOptionsSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    method: { enum: ['greedy', 'local-sa'], default: 'local-sa', description: 'greedy: the better of row-then-column and column-then-row over every feasible row count (a 2-approximation); local-sa: simulated annealing per layer, started from greedy and never worse.' },
    importance: { enum: ['magnitude', 'squared', 'taylor'], default: 'magnitude', description: 'Importance of a weight: abs(w), w², or abs(w·∂L/∂w) averaged over calibration batches.' },
    layers: { type: 'array', items: { type: 'string' }, default: [], description: 'Conv2D and Dense layers to prune (names, `*` wildcards); empty: all of them. A layer without a GEMM view is an error.' },
    exclude: { type: 'array', items: { type: 'string' }, default: [], description: 'Layers never pruned (names, `*` wildcards).' },
    iterations: { type: 'integer', minimum: 0, maximum: 10000000, default: 20000, description: 'local-sa: proposed moves per layer.' },
    initialTemperature: { type: 'number', exclusiveMinimum: 0, default: 0.3, description: "local-sa: starting temperature, as a fraction of the start's mean kept row/column importance." },
    finalTemperature: { type: 'number', exclusiveMinimum: 0, default: 0.0001, description: 'local-sa: final temperature, same unit; cooling is geometric.' },
    taylorBatches: { type: 'integer', minimum: 1, maximum: 1000, default: 8, description: 'taylor: calibration batches averaged.' },
    batchSize: { type: 'integer', minimum: 1, maximum: 4096, default: 64, description: 'taylor: batch size.' },
  },
};

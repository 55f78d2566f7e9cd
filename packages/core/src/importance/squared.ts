import { defineImportance } from './measure';

/** w²: ranks as |w| does within a layer, but weighs layers apart when scores are summed over rows and columns. */
export const squared = defineImportance({
  id: 'squared',
  granularity: 'weight',
  needsData: false,
  description: 'w²: the squared weight; summed over a row or column it is the energy a GEMM row-and-column selection keeps.',
  score: (_model, weights) => new Map(weights.map((w) => [w.name, (w.variable.read().dataSync() as Float32Array).map((v) => v * v)] as const)),
});

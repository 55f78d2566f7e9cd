import { defineImportance } from './measure';

/** |w| (Han et al., "Learning both Weights and Connections for Efficient Neural Networks", 2015). */
export const magnitude = defineImportance({
  id: 'magnitude',
  granularity: 'weight',
  needsData: false,
  description: 'abs(w): small weights go first (Han et al. 2015).',
  score: (_model, weights) => new Map(weights.map((w) => [w.name, (w.variable.read().dataSync() as Float32Array).map(Math.abs)] as const)),
});

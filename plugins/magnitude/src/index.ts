export { MagnitudePlugin as default, MagnitudePlugin } from './plugin';
export { magnitudePrune } from './library';
export type { MagnitudePruneOptions } from './library';
export { scoreWeights } from './scores';
export { selectMasks, selectMasksByLayer } from './select';
export { magnitudeOptionsSchema } from './schema';
export type { MagnitudeOptions, SelectionScope } from './schema';

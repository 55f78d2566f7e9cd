export { FilterPruningPlugin as default, FilterPruningPlugin } from './plugin';
export { scoreChannels, measureLayer } from './criteria';
export type { ScoreOptions } from './criteria';
export { selectChannels } from './select';
export type { ChannelSelection } from './select';
export { filterPruningOptionsSchema } from './schema';
export type { FilterPruningOptions, FilterCriterion } from './schema';

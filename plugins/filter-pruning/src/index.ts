export { FilterPruningPlugin as default, FilterPruningPlugin } from './plugin';
export { scoreChannels } from './criteria';
export type { ScoreOptions } from './criteria';
export { selectChannels } from './select';
export type { ChannelSelection } from './select';
export { filterPruningOptionsSchema } from './schema';
export type { FilterPruningOptions } from './schema';

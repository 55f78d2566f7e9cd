import { filterStatistic } from './channel-weights';
import { defineImportance } from './measure';

/** Σ|w| of a channel's filters (Li et al., "Pruning Filters for Efficient ConvNets", 2017). */
export const minWeight = defineImportance({
  id: 'min-weight',
  granularity: 'channel',
  needsData: false,
  description: 'The sum of the absolute weights of the channel\'s filters: filters of minimum weight go first (Li et al. 2017).',
  score: (model, _analysis, groups) => filterStatistic(model, groups, Math.abs, (sum) => sum),
});

import { filterStatistic } from './channel-weights';
import { defineImportance } from './measure';

/** Mean |w| of a channel's filters: min-weight divided by the filter size, so layers of different filter sizes compare. */
export const averageWeight = defineImportance({
  id: 'average-weight',
  granularity: 'channel',
  needsData: false,
  description: 'The mean of the absolute weights of the channel\'s filters; ranks one layer as min-weight does, and compares layers of different filter sizes.',
  score: (model, _analysis, groups) => filterStatistic(model, groups, Math.abs, (sum, perChannel) => sum / perChannel),
});

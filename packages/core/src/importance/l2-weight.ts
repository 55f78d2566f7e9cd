import { filterStatistic } from './channel-weights';
import { defineImportance } from './measure';

/** The L2 norm of a channel's filters. */
export const l2Weight = defineImportance({
  id: 'l2-weight',
  granularity: 'channel',
  needsData: false,
  description: 'The L2 norm of the channel\'s filters.',
  score: (model, _analysis, groups) => filterStatistic(model, groups, (w) => w * w, (sum) => Math.sqrt(sum)),
});

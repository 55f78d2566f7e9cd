import * as tf from '@tensorflow/tfjs';
import { activationStatistic } from './channel-activations';
import { defineImportance } from './measure';

/** Mean |activation| of the channel on data. */
export const meanActivation = defineImportance({
  id: 'mean-activation',
  granularity: 'channel',
  needsData: true,
  description: 'The mean absolute activation of the channel on the target data (after its ReLU when it has one).',
  score: (model, analysis, groups, input) => activationStatistic('mean-activation', model, analysis, groups, input, (a, axes) => tf.mean(tf.abs(a), axes)),
});

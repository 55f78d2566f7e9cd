import * as tf from '@tensorflow/tfjs';
import { activationStatistic } from './channel-activations';
import { defineImportance } from './measure';

/** 1 − APoZ (Hu et al., "Network Trimming", 2016): the fraction of non-zero activations after ReLU. */
export const apoz = defineImportance({
  id: 'apoz',
  granularity: 'channel',
  needsData: true,
  description: '1 − APoZ, the fraction of the channel\'s activations after ReLU that are not zero on the target data (Hu et al. 2016); channels without a ReLU use the mean absolute activation.',
  score: (model, analysis, groups, input) =>
    activationStatistic('apoz', model, analysis, groups, input, (a, axes, rectified) => (rectified ? tf.mean(tf.cast(tf.greater(a, 0), 'float32'), axes) : tf.mean(tf.abs(a), axes))),
});

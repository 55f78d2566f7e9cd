/**
 * nncompress-plugin-timed-trainer: a plugin that replaces a service for the whole run rather
 * than tapping a hook. It provides the trainer: core's, wrapped to log each call's
 * throughput (examples per second), so a user sees where fine-tuning time goes. Every plugin
 * that trains through the run's trainer (the finetune plugin does) is timed, and the weights
 * are the same as without it, since the training itself is core's.
 */
import { definePlugin, Logger, Trainer } from '@nncompress/core';

/** `inner`, with one log line per call: examples seen, seconds, examples per second. */
export function timedTrainer(inner: Trainer, logger: Logger): Trainer {
  return {
    train(model, data, options) {
      const started = performance.now();
      const result = inner.train(model, data, options);
      const seconds = (performance.now() - started) / 1000;
      const examples = data.size * result.epochs.length;
      logger.info(`trained ${examples} examples in ${seconds.toFixed(2)} s (${Math.round(examples / Math.max(seconds, 1e-9))} examples/s)`);
      return result;
    },
  };
}

const timedTrainerPlugin = definePlugin({
  id: 'nncompress-plugin-timed-trainer',
  // A factory: the run gives it this instance's logger and core's services to wrap.
  provides: { trainer: ({ logger, defaults }) => timedTrainer(defaults.trainer, logger) },
  apply() {},
});

export default timedTrainerPlugin;

import { inject, injectable, Logger, PipelineHooks, PluginContext, Services, tf, Trainer } from '@nncompress/core';
import { cloneModel } from '@nncompress/core/graph';
import { recalibrateBatchNorm } from '@nncompress/core/training';
import { FinetuneOptions, finetuneOptionsSchema } from './schema';

/** Batches of training data BatchNorm statistics are re-estimated on (`batchNorm: recalibrate`). */
const RECALIBRATION_BATCHES = 16;

/**
 * Recovers accuracy after pruning with the run's trainer (core's mask-aware training loop
 * unless a plugin or the caller replaced it): gradients of pruned weights are zeroed and the
 * masks re-applied after every step, so pruned weights stay exactly zero; shared weights (the
 * state's ties) move by their cluster's summed gradient and stay one value per cluster.
 */
@injectable()
export class FinetunePlugin {
  static readonly id = '@nncompress/plugin-finetune';
  static readonly optionsSchema = finetuneOptionsSchema;

  constructor(
    @inject(Services.Logger) private readonly logger: Logger,
    @inject(Services.Trainer) private readonly trainer: Trainer,
  ) {}

  apply(hooks: PipelineHooks, options: FinetuneOptions, ctx: PluginContext): void {
    if (options.patience > 0 && options.validationSplit === 0) {
      throw new Error('patience needs a validation set: set validationSplit > 0');
    }
    // Distillation's teacher: the model at the start of a stage that prunes, before its first
    // round, kept until the stage's last round ends.
    let teacher: tf.LayersModel | undefined;
    if (options.distill > 0) {
      hooks.beforeRound.tapPromise(FinetunePlugin.name, async (round) => {
        if (round.round !== 0 || Object.keys(round.targets).length === 0) return;
        teacher?.dispose();
        teacher = await cloneModel(round.state.model);
      });
      hooks.afterRound.tapPromise(FinetunePlugin.name, async (round) => {
        if (round.round !== round.rounds - 1) return;
        teacher?.dispose();
        teacher = undefined;
      });
    }
    hooks.finetune.tapPromise(FinetunePlugin.name, async (round) => {
      const recalibrate = options.batchNorm === 'recalibrate';
      if (options.epochs === 0 && !recalibrate) return;
      if (options.when === 'last-round' && round.round !== round.rounds - 1) return;
      const [trainSet, validation] = options.validationSplit > 0 ? round.data.train.split(options.validationSplit) : [round.data.train, undefined];
      const label = `${round.stage.name} round ${round.round + 1}/${round.rounds}`;
      if (options.distill > 0 && !teacher) {
        throw new Error(`distill: stage "${round.stage.name}" prunes nothing, so there is no teacher (distillation learns from the model as it was before the stage's pruning)`);
      }
      if (recalibrate) {
        const { layers, examples } = recalibrateBatchNorm(round.state.model, trainSet, { batches: RECALIBRATION_BATCHES, batchSize: options.batchSize, rng: ctx.rng });
        this.logger.debug(`${label}: recalibrated ${layers.length} BatchNorm layer(s) on ${examples} examples`);
        if (options.epochs === 0) return;
      }
      const result = this.trainer.train(round.state.model, trainSet, {
        epochs: options.epochs,
        batchSize: options.batchSize,
        learningRate: options.learningRate,
        optimizer: options.optimizer,
        learningRateDecay: options.learningRateDecay,
        rng: ctx.rng,
        masks: round.state.masks,
        ties: round.state.ties,
        validation,
        earlyStopping: options.patience > 0 ? { patience: options.patience } : undefined,
        batchNorm: options.batchNorm === 'update' ? 'update' : 'freeze',
        layers: options.layers.length > 0 ? options.layers : undefined,
        distill: teacher ? { teacher, weight: options.distill, temperature: options.temperature } : undefined,
        onBatch: (done, total) => hooks.progress.call({ phase: 'finetune', message: label, done, total }),
      });
      const last = result.epochs[result.epochs.length - 1];
      this.logger.debug(`${label}: ${result.epochs.length} epoch(s), loss ${last?.loss.toFixed(4)}${result.stoppedEarly ? ' (stopped early)' : ''}`);
    });
  }
}

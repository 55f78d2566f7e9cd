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
    // Distillation's teacher: the model as the stage found it (taken in the first round, before
    // any plugin of the stage prunes or shares it: its tap runs ahead of theirs) and freed after
    // the stage's last round, or the run's input model, kept until the run ends.
    let teacher: tf.LayersModel | undefined;
    let teacherChecked = false;
    const takeTeacher = async (model: tf.LayersModel): Promise<void> => {
      teacher?.dispose();
      teacher = await cloneModel(model);
      teacherChecked = false;
    };
    const dropTeacher = async (): Promise<void> => {
      teacher?.dispose();
      teacher = undefined;
    };
    const first = { name: FinetunePlugin.name, stage: -100 };
    if (options.distill > 0 && options.teacher === 'stage') {
      hooks.beforeRound.tapPromise(first, async (round) => {
        if (round.round === 0) await takeTeacher(round.state.model);
      });
      hooks.afterRound.tapPromise(FinetunePlugin.name, async (round) => {
        if (round.round === round.rounds - 1) await dropTeacher();
      });
    }
    if (options.distill > 0 && options.teacher === 'input') {
      hooks.beforeRun.tapPromise(first, async (run) => takeTeacher(run.state.model));
      hooks.afterRun.tapPromise(FinetunePlugin.name, dropTeacher);
    }
    if (options.distill > 0) hooks.failed.tapPromise(FinetunePlugin.name, dropTeacher);
    hooks.finetune.tapPromise(FinetunePlugin.name, async (round) => {
      const recalibrate = options.batchNorm === 'recalibrate';
      if (options.epochs === 0 && !recalibrate) return;
      if (options.when === 'last-round' && round.round !== round.rounds - 1) return;
      const [trainSet, validation] = options.validationSplit > 0 ? round.data.train.split(options.validationSplit) : [round.data.train, undefined];
      const label = `${round.stage.name} round ${round.round + 1}/${round.rounds}`;
      if (options.distill > 0) {
        if (!teacher) throw new Error(`distill: no teacher for stage "${round.stage.name}" (it is taken in the ${options.teacher === 'stage' ? "stage's first beforeRound" : "run's beforeRun"} hook, which did not run)`);
        if (!teacherChecked) {
          const taught = String(round.state.model.outputs[0].shape.slice(1));
          const teaches = String(teacher.outputs[0].shape.slice(1));
          if (taught !== teaches) {
            throw new Error(`distill: the teacher predicts [${teaches}] and the model in stage "${round.stage.name}" [${taught}] (its head changed since the teacher was taken); distill in a stage after the change, with teacher: stage`);
          }
          if (sameWeights(teacher, round.state.model)) {
            throw new Error(`distill: the model has not changed since its teacher was taken (${options.teacher === 'stage' ? `stage "${round.stage.name}" neither pruned nor shared it` : 'the run has not changed it'}), so it would learn from itself; distill in a stage that prunes or shares weights, or set teacher: input`);
          }
          teacherChecked = true;
        }
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

/** Whether two models hold the same weights, shape for shape and value for value. */
function sameWeights(a: tf.LayersModel, b: tf.LayersModel): boolean {
  const wa = a.getWeights();
  const wb = b.getWeights();
  if (wa.length !== wb.length) return false;
  return wa.every((w, i) => {
    if (!tf.util.arraysEqual(w.shape, wb[i].shape)) return false;
    const x = w.dataSync();
    const y = wb[i].dataSync();
    for (let j = 0; j < x.length; j++) if (x[j] !== y[j]) return false;
    return true;
  });
}

import { inject, injectable, Logger, PipelineHooks, PluginContext, prunableWeights, Services, TapStage } from '@nncompress/core';
import { MagnitudeOptions, magnitudeOptionsSchema } from './schema';
import { scoreWeights } from './scores';
import { selectMasks } from './select';

/**
 * Unstructured pruning by weight importance (Han et al. 2015): `score` adds |w| or Taylor
 * scores, `select` keeps the highest-scored weights to the round's target sparsity (per
 * layer or one global threshold). Masks are applied by core's `prune` step and kept through
 * fine-tuning. Schedules (one-shot, iterative, gradual) come from the stage config.
 */
@injectable()
export class MagnitudePlugin {
  static readonly id = '@nncompress/plugin-magnitude';
  static readonly optionsSchema = magnitudeOptionsSchema;

  constructor(@inject(Services.Logger) private readonly logger: Logger) {}

  apply(hooks: PipelineHooks, options: MagnitudeOptions, ctx: PluginContext): void {
    const name = MagnitudePlugin.name;
    hooks.score.tapPromise(name, async (scores, round) => {
      const computed = scoreWeights(round.state.model, options.criterion, {
        exclude: options.exclude,
        data: round.data.train,
        batches: options.taylorBatches,
        batchSize: options.batchSize,
        rng: ctx.rng,
      });
      for (const [weight, s] of computed) if (!scores.weights.has(weight)) scores.weights.set(weight, s);
      return scores;
    });
    hooks.select.tapPromise({ name, stage: TapStage.NORMAL }, async (scores, round) => {
      const total = prunableWeights(round.state.model).reduce((n, w) => n + w.size, 0);
      const masks = selectMasks(scores.weights, round.targetSparsity, options.scope, total);
      this.logger.debug(`${ctx.instanceName}: ${options.scope} ${options.criterion} selection to ${(100 * round.targetSparsity).toFixed(1)}%`);
      return { kind: 'weights', masks, selectedBy: MagnitudePlugin.id };
    });
  }
}

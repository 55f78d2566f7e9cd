import { inject, injectable, Logger, PipelineHooks, PluginContext, Services, TapStage } from '@nncompress/core';
import { SmallWeightRetentionOptions, smallWeightRetentionOptionsSchema } from './schema';
import { saliencyScores } from './scores';
import { selectRetention } from './select';

/**
 * Unstructured pruning that does not assume small weights are unimportant: each round keeps
 * the (1 − rho)·k largest weights and fills the other rho·k from the small-weight pool, by
 * gradient saliency or by a seeded annealing search on calibration loss. `score` supplies
 * the saliency (a score an earlier tap set is kept, so another importance can rank the
 * pool); `select` reads `round.targetSparsity`, so every schedule of the stage config
 * (one-shot, iterative, gradual) works as it does for magnitude pruning.
 */
@injectable()
export class SmallWeightRetentionPlugin {
  static readonly id = '@nncompress/plugin-small-weight-retention';
  static readonly optionsSchema = smallWeightRetentionOptionsSchema;

  constructor(@inject(Services.Logger) private readonly logger: Logger) {}

  apply(hooks: PipelineHooks, options: SmallWeightRetentionOptions, ctx: PluginContext): void {
    const name = SmallWeightRetentionPlugin.name;
    hooks.score.tapPromise(name, async (scores, round) => {
      const computed = saliencyScores(round.state.model, options.saliency, round.data.train, {
        exclude: options.exclude,
        batches: options.calibrationBatches,
        batchSize: options.batchSize,
        rng: ctx.rng,
      });
      for (const [weight, s] of computed) if (!scores.weights.has(weight)) scores.weights.set(weight, s);
      return scores;
    });
    hooks.select.tapPromise({ name, stage: TapStage.NORMAL, targets: ['sparsity'] }, async (scores, round) => {
      const what = `${options.selector} retention (rho ${options.rho}, ${options.scope}) to ${(100 * round.targetSparsity).toFixed(1)}%`;
      // Progress lines are not scoped like log lines: they name the instance themselves.
      const label = `${ctx.instanceName}: ${what}`;
      const selection = selectRetention(round.state.model, scores.weights, round.targetSparsity, {
        ...options,
        // The message stays the same through the search so plain (CI) logs print quarters, not every improvement.
        onEvaluation: (done, total) => hooks.progress.call({ phase: 'search', message: label, done, total }),
      }, round.data.train, ctx.rng);
      const retained = selection.plan.buckets.reduce((n, b) => n + b.retain, 0);
      const search = selection.search;
      this.logger.info(search
        ? `${what}: ${retained} small weights retained; calibration loss magnitude ${search.magnitudeLoss.toFixed(4)}, saliency ${search.startLoss.toFixed(4)}, search ${search.bestLoss.toFixed(4)} (${search.evaluations} evaluations, ${search.improved} improvements)`
        : `${what}: ${retained} small weights retained`);
      return { kind: 'weights', masks: selection.masks, selectedBy: SmallWeightRetentionPlugin.id };
    });
  }
}

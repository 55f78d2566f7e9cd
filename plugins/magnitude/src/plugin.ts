import { inject, injectable, Logger, PipelineHooks, PluginContext, PrunableWeight, prunableWeights, pruneCount, Services, TapStage } from '@nncompress/core';
import { MagnitudeOptions, magnitudeOptionsSchema } from './schema';
import { scoreWeights } from './scores';
import { selectMasks, selectMasksByLayer } from './select';

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
    // An unknown criterion is a config error now, not in the first round.
    ctx.importance.measure(options.criterion, 'weight', `plugins.${ctx.instanceName}.options.criterion`);
    hooks.score.tapPromise(name, async (scores, round) => {
      const computed = scoreWeights(round.state.model, options.criterion, {
        exclude: options.exclude,
        data: round.data.train,
        batches: options.taylorBatches,
        batchSize: options.batchSize,
        rng: ctx.rng,
        registry: ctx.importance,
      });
      for (const [weight, s] of computed) if (!scores.weights.has(weight)) scores.weights.set(weight, s);
      return scores;
    });
    hooks.select.tapPromise({ name, stage: TapStage.NORMAL, targets: ['sparsity'], layerTargets: ['sparsity'] }, async (scores, round) => {
      const weights = prunableWeights(round.state.model);
      const total = weights.reduce((n, w) => n + w.size, 0);
      // Per-layer values: the stage's own (core scales them to the round), else this plugin's option.
      const stageMap = round.layerTargets.sparsity;
      const map = stageMap ?? options.layerSparsity;
      if (map) {
        const source = stageMap ? `stages[${round.stageIndex}].layerTargets.sparsity` : 'layerSparsity';
        const rates = layerRates(weights, map, source);
        // The option's map is the stage's end point: earlier rounds go the same share of the way.
        const stageTarget = round.stageTargets.sparsity ?? round.targetSparsity;
        const scale = stageMap || !(stageTarget > 0) ? 1 : round.targetSparsity / stageTarget;
        const masks = selectMasksByLayer(scores.weights, rates, scale);
        let pruned = 0;
        for (const m of masks.values()) for (const v of m) pruned += 1 - v;
        if (pruned < pruneCount(round.targetSparsity, total)) {
          throw new Error(`${source} reaches ${(pruned / total).toFixed(4)} kernel sparsity, short of the round's target ${round.targetSparsity.toFixed(4)}: give the stage the map's own sparsity as its target`);
        }
        this.logger.debug(`per-layer map (${source}) to ${(100 * round.targetSparsity).toFixed(1)}% of the stage's ${(100 * stageTarget).toFixed(1)}%`);
        return { kind: 'weights', masks, selectedBy: MagnitudePlugin.id };
      }
      const masks = selectMasks(scores.weights, round.targetSparsity, options.scope, total);
      this.logger.debug(`${options.scope} ${options.criterion} selection to ${(100 * round.targetSparsity).toFixed(1)}%`);
      return { kind: 'weights', masks, selectedBy: MagnitudePlugin.id };
    });
  }
}

/** Weight name → sparsity for the layers a map lists; an unknown layer is an error naming where the map came from. */
function layerRates(weights: readonly PrunableWeight[], map: Readonly<Record<string, number>>, source: string): Map<string, number> {
  const rates = new Map<string, number>();
  for (const [layer, rate] of Object.entries(map)) {
    const w = weights.find((x) => x.layerName === layer);
    if (!w) throw new Error(`${source}: the model has no prunable layer "${layer}" (it has ${weights.map((x) => x.layerName).join(', ')})`);
    rates.set(w.name, rate);
  }
  return rates;
}

import { inject, injectable, Logger, PipelineHooks, PluginContext, Services, TapStage } from '@nncompress/core';
import { modelInputShape } from '@nncompress/core/data';
import { compactState } from '@nncompress/core/internal';
import { checkAnnealOptions } from './anneal';
import { RowColumnOptions, rowColumnOptionsSchema } from './schema';
import { scoreGemmWeights, selectRowColumn } from './select';

/**
 * Row-and-column pruning (Tu 2024) in the pipeline: `score` adds per-entry importance of
 * every Conv2D/Dense kernel, `select` keeps, per layer, the rows and columns of its GEMM
 * matrix that hold the most importance within the round's sparsity budget. The plan is a
 * structured weight mask (whole rows and columns), which core applies and keeps through
 * fine-tuning; schedules come from the stage.
 */
@injectable()
export class RowColumnPlugin {
  static readonly id = '@nncompress/plugin-row-column';
  static readonly optionsSchema = rowColumnOptionsSchema;

  constructor(@inject(Services.Logger) private readonly logger: Logger) {}

  apply(hooks: PipelineHooks, options: RowColumnOptions, ctx: PluginContext): void {
    checkAnnealOptions(options, ctx.instanceName);
    const name = RowColumnPlugin.name;
    // An unknown measure is a config error now, not in the first round.
    ctx.importance.measure(options.importance, 'weight', `plugins.${ctx.instanceName}.options.importance`);
    hooks.score.tapPromise(name, async (scores, round) => {
      const computed = scoreGemmWeights(round.state.model, options.importance, {
        layers: options.layers,
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
    hooks.select.tapPromise({ name, stage: TapStage.NORMAL, targets: ['sparsity'] }, async (scores, round) => {
      const analysis = options.method === 'neighboring-sa' ? round.channels() : undefined;
      const { masks, layers } = selectRowColumn(round.state.model, scores.weights, round.targetSparsity, options, ctx.rng, analysis);
      for (const l of layers) {
        this.logger.debug(`${l.layer} keeps ${l.keptRows}/${l.rows} rows × ${l.keptCols}/${l.cols} columns (${(100 * l.removedFraction).toFixed(1)}% of its importance removed)`);
      }
      return { kind: 'weights', masks, selectedBy: RowColumnPlugin.id };
    });
    // After core has applied the last round's masks, before fine-tuning.
    hooks.afterPrune.tapPromise(name, async (plan, round) => {
      if (!options.compact || plan.selectedBy !== RowColumnPlugin.id || round.round !== round.rounds - 1) return;
      const train = round.data.train;
      const sample = ctx.rng.fork('compact').shuffle(Array.from({ length: train.size }, (_, i) => i)).slice(0, 4 * options.batchSize);
      const calibration = sample.length > 0 ? train.subset(sample).batch(0, sample.length, modelInputShape(round.state.model)) : undefined;
      calibration?.y.dispose();
      const before = round.state.model.countParams();
      const dead = await compactState(round.state, calibration?.x);
      this.logger.info(`compacted: ${dead.unread} unread and ${dead.constant} constant channels removed, ${before} → ${round.state.model.countParams()} params`);
    });
  }
}

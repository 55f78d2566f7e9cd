import { ArrayDataset, inject, injectable, Evaluator, Logger, PipelineHooks, PluginContext, RoundContext, Services, TapStage } from '@nncompress/core';
import { findRemovableUnits, matchLayerNames, RemovableUnit } from '@nncompress/core/graph';
import { modelInputShape } from '@nncompress/core/data';
import { unitImportance } from './importance';
import { LayerPruningOptions, layerPruningOptionsSchema } from './schema';
import { selectUnits } from './select';

/**
 * Layer pruning (Azhari 2018): ranks residual blocks and layer blocks by how much the loss
 * rises when each is removed (or by how similar its input and output are, linear CKA) and
 * removes the least important ones until the stage's `layers` target; core rebuilds the
 * model, refitting the next layer by least squares where the channel count changes. Follow
 * it with a filter-pruning stage to reach a size target.
 */
@injectable()
export class LayerPruningPlugin {
  static readonly id = '@nncompress/plugin-layer-pruning';
  static readonly optionsSchema = layerPruningOptionsSchema;

  /** Units removed so far in the current stage (the target counts from the stage start). */
  private removedInStage = 0;

  constructor(
    @inject(Services.Logger) private readonly logger: Logger,
    @inject(Services.Evaluator) private readonly evaluator: Evaluator,
  ) {}

  /** Removable units the options allow, that save parameters; protected names or patterns that match no layer are an error. */
  private candidates(round: RoundContext, options: LayerPruningOptions): RemovableUnit[] {
    const model = round.state.model;
    const protectedNames = matchLayerNames(options.protect, model.layers.map((l) => l.name), 'protect');
    return findRemovableUnits(model).filter(
      (u) => options.kinds.includes(u.kind) && u.paramsSaved > 0 && !u.layers.some((l) => protectedNames.has(l)) && (u.shapePreserving || options.repair !== 'never'),
    );
  }

  /** Calibration and validation examples: a seeded sample of the training data, disjoint. */
  private samples(round: RoundContext, options: LayerPruningOptions, ctx: PluginContext): { calibration: ArrayDataset; validation: ArrayDataset } {
    const train = round.data.train;
    if (train.size === 0) throw new Error('the training set is empty; layer pruning needs calibration examples');
    const order = ctx.rng.shuffle(Array.from({ length: train.size }, (_, i) => i));
    const c = Math.min(options.calibrationExamples, train.size);
    return {
      calibration: train.subset(order.slice(0, c), `${train.name}-calibration`),
      validation: train.subset(order.slice(c, c + options.validationExamples), `${train.name}-validation`),
    };
  }

  apply(hooks: PipelineHooks, options: LayerPruningOptions, ctx: PluginContext): void {
    const name = LayerPruningPlugin.name;
    // An unknown criterion is a config error now, not in the first round.
    ctx.importance.measure(options.criterion, 'unit', `plugins.${ctx.instanceName}.options.criterion`);
    let sample: ReturnType<LayerPruningPlugin['samples']> | undefined;
    hooks.beforeStage.tapPromise(name, async () => {
      this.removedInStage = 0;
    });
    hooks.score.tapPromise(name, async (scores, round) => {
      if (round.targetLayers <= this.removedInStage) return scores;
      const units = this.candidates(round, options);
      sample = this.samples(round, options, ctx);
      const { calibration, validation } = sample;
      const x = calibration.batch(0, calibration.size, modelInputShape(round.state.model)).x;
      try {
        const computed = await unitImportance(round.state.model, units, {
          criterion: options.criterion,
          repair: options.repair,
          calibration: x,
          validation,
          batchSize: options.batchSize,
          evaluate: (model, data, batchSize) => this.evaluator.evaluate(model, data, batchSize),
          registry: ctx.importance,
          onUnit: (done, total) => hooks.progress.call({ phase: 'layer importance', message: `${ctx.instanceName}: ${options.criterion}`, done, total }),
        });
        for (const [id, s] of computed) if (!scores.layers.has(id)) scores.layers.set(id, s);
      } finally {
        x.dispose();
      }
      return scores;
    });
    hooks.select.tapPromise({ name, stage: TapStage.NORMAL, targets: ['layers'] }, async (scores, round) => {
      const count = round.targetLayers - this.removedInStage;
      if (count <= 0) return undefined;
      const units = this.candidates(round, options);
      const chosen = selectUnits(units, scores.layers, count);
      this.removedInStage += chosen.length;
      const detail = chosen.map((id) => `${id} (${(scores.layers.get(id) ?? 0).toFixed(4)})`).join(', ');
      this.logger.info(`removing ${detail} by ${options.criterion}`);
      const calibration = sample?.calibration ?? this.samples(round, options, ctx).calibration;
      sample = undefined;
      return { kind: 'layers', units: chosen, repair: options.repair, calibration: calibration.batch(0, calibration.size, modelInputShape(round.state.model)).x, selectedBy: LayerPruningPlugin.id };
    });
  }
}

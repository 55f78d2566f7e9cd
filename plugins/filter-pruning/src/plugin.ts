import { ChannelAnalysis, inject, injectable, Logger, PipelineHooks, PluginContext, RoundContext, Services, TapStage, tf } from '@nncompress/core';
import { attachHead, matchLayerNames, reinitialize, replaceHead } from '@nncompress/core/graph';
import { modelInputShape } from '@nncompress/core/data';
import { scoreChannels } from './criteria';
import { FilterPruningOptions, filterPruningOptionsSchema } from './schema';
import { selectChannels } from './select';

/**
 * Filter pruning for transfer learning (Liao 2020): scores every output channel of every
 * Conv2D/Dense channel group, on the target data for the activation criteria, and removes
 * the least important physically (core's channel groups keep BatchNorm, depthwise, residual
 * partners and the next layer's input in step). Optionally replaces the classification head
 * for the target classes and re-initialises the pruned model.
 */
@injectable()
export class FilterPruningPlugin {
  static readonly id = '@nncompress/plugin-filter-pruning';
  static readonly optionsSchema = filterPruningOptionsSchema;

  /** Group sizes when first seen, by first producer: ratios are relative to these. */
  private readonly original = new Map<string, number>();

  /** Protected layers already warned about (candidates run every round). */
  private readonly warnedProtect = new Set<string>();

  constructor(@inject(Services.Logger) private readonly logger: Logger) {}

  private active(round: RoundContext, options: FilterPruningOptions): boolean {
    return round.targetFilterRatio > 0 || Object.keys(options.layerRatios).length > 0;
  }

  /**
   * Prunable groups minus protected ones. A protected layer keeps its output channels: the
   * group it produces (or normalises, or passes through) stays whole, while its input channels
   * may still shrink with the layer before it. Protecting by any member instead would also
   * freeze every group the layer merely consumes — protecting MobileNetV2's projections
   * would then protect the expansion channels feeding them too, i.e. almost everything.
   * Protected names or patterns that match no layer are an error.
   */
  private candidates(analysis: ChannelAnalysis, options: FilterPruningOptions): ChannelAnalysis['groups'] {
    for (const name of Object.keys(options.layerRatios)) {
      if (!analysis.graph.nodes.has(name)) throw new Error(`layerRatios: the model has no layer named "${name}"`);
    }
    const protectedGroups = new Set<number>();
    for (const name of matchLayerNames(options.protect, analysis.graph.nodes.keys(), 'protect')) {
      const group = analysis.outputGroups.get(name);
      if (group === undefined) {
        if (!this.warnedProtect.has(name)) this.logger.warn(`protect: layer "${name}" has no prunable output channels; it protects nothing`);
        this.warnedProtect.add(name);
      } else protectedGroups.add(group);
    }
    return analysis.groups.filter((g) => !g.blocked && !protectedGroups.has(g.id));
  }

  /** A seeded sample of `batches` × `batchSize` training inputs, shaped for the model (core disposes it). */
  private calibrationInputs(round: RoundContext, options: FilterPruningOptions, ctx: PluginContext): tf.Tensor | undefined {
    const train = round.data.train;
    if (train.size === 0) return undefined;
    const order = ctx.rng.shuffle(Array.from({ length: train.size }, (_, i) => i)).slice(0, options.batches * options.batchSize);
    const { x, y } = train.subset(order).batch(0, order.length, modelInputShape(round.state.model));
    y.dispose();
    return x;
  }

  apply(hooks: PipelineHooks, options: FilterPruningOptions, ctx: PluginContext): void {
    const name = FilterPruningPlugin.name;
    // An unknown criterion is a config error now, not in the first round.
    ctx.importance.measure(options.criterion, 'channel', `plugins.${ctx.instanceName}.options.criterion`);
    hooks.beforeRun.tapPromise(name, async (run) => {
      if (options.head !== 'auto') return;
      // A new head is a softmax over the data's classes: other tasks have no classes to fit, and keep the model's own output.
      if (run.task.kind !== 'classification') return;
      const classes = run.data.train.numClasses;
      const previous = run.state.model;
      const outputs = previous.outputs[0].shape[previous.outputs[0].shape.length - 1];
      const dataShape = run.data.train.featureShape;
      const modelShape = modelInputShape(previous);
      const reshaped = dataShape.join('x') !== modelShape.join('x');
      if (options.headOn) {
        run.state.model = await attachHead(previous, { classes, seed: ctx.rng.childSeed(), on: options.headOn, inputShape: reshaped ? dataShape : undefined });
        this.logger.info(`new ${classes}-class head on ${options.headOn}${reshaped ? `, input ${dataShape.join('×')}` : ''}`);
      } else if (reshaped) {
        throw new Error(`the data are ${dataShape.join('×')} but the model takes ${modelShape.join('×')}; set headOn to the layer to attach a new head to (the body must be convolutional up to there)`);
      } else if (outputs !== classes) {
        run.state.model = await replaceHead(previous, classes, ctx.rng.childSeed());
        this.logger.info(`new ${classes}-class head replaces the ${outputs}-class output layer`);
      } else {
        return;
      }
      previous.dispose();
    });
    hooks.score.tapPromise(name, async (scores, round) => {
      if (!this.active(round, options)) return scores;
      const analysis = round.channels();
      for (const g of analysis.groups) if (!this.original.has(g.producers[0])) this.original.set(g.producers[0], g.size);
      const computed = scoreChannels(round.state.model, analysis, { criterion: options.criterion, data: round.data.train, batches: options.batches, batchSize: options.batchSize, rng: ctx.rng, registry: ctx.importance });
      for (const [id, s] of computed) if (!scores.channels.has(id)) scores.channels.set(id, s);
      return scores;
    });
    hooks.select.tapPromise({ name, stage: TapStage.NORMAL, targets: ['filterRatio'], layerTargets: ['filterRatio'] }, async (scores, round) => {
      if (!this.active(round, options)) return undefined;
      const analysis = round.channels();
      const candidates = this.candidates(analysis, options);
      // Per-layer ratios: the stage's own (core scales them to the round), over this plugin's option.
      const stageRatios = round.layerTargets.filterRatio;
      if (stageRatios) {
        const at = `stages[${round.stageIndex}].layerTargets.filterRatio`;
        if (options.scope !== 'layer') throw new Error(`${at}: per-layer ratios need this plugin's scope: layer (it is ${options.scope}); a global ranking sets no layer's ratio`);
        const producers = new Set(candidates.flatMap((g) => g.producers));
        for (const layer of Object.keys(stageRatios)) {
          if (!producers.has(layer)) throw new Error(`${at}.${layer}: not a layer whose output channels this plugin prunes (blocked, protected, or not a producer such as a Conv2D or Dense)`);
        }
      }
      const removals = selectChannels(candidates, scores.channels, {
        // With the stage's map, the groups it does not name keep their channels (as the magnitude plugin leaves unnamed layers whole).
        ratio: stageRatios ? 0 : round.targetFilterRatio,
        scope: options.scope,
        normalize: options.normalize,
        layerRatios: stageRatios ? { ...options.layerRatios, ...stageRatios } : options.layerRatios,
        minChannels: options.minChannels,
        original: this.original,
      });
      const removed = [...removals.values()].reduce((n, r) => n + r.length, 0);
      this.logger.debug(`removing ${removed} channels from ${removals.size} groups (${options.criterion}, ${options.scope})`);
      const calibration = options.compensate ? this.calibrationInputs(round, options, ctx) : undefined;
      return { kind: 'channels', analysis, removals, calibration, selectedBy: FilterPruningPlugin.id };
    });
    hooks.finetune.tapPromise({ name, stage: TapStage.EARLY }, async (round) => {
      if (options.reinit && this.active(round, options) && round.round === round.rounds - 1) {
        reinitialize(round.state.model, ctx.rng.childSeed());
        this.logger.debug(`re-initialised the pruned model`);
      }
    });
  }
}

import { inject, injectable, Evaluator, Logger, PipelineHooks, PluginContext, PrunableWeight, Services } from '@nncompress/core';
import { chooseBits, isBiasWeight, shareWeights } from './library';
import { WeightSharingOptions, weightSharingOptionsSchema } from './schema';

/**
 * Weight sharing (Han, Mao & Dally 2016, "Deep Compression"): at the start of each stage it
 * is active in, every kernel's non-zero weights are clustered by k-means into 2^bits shared
 * values, and the clusters are tied in the run's state, so the stage's fine-tuning trains
 * the centroids (each moved by its members' summed gradient) instead of the weights. Pruned
 * zeros stay zero. The model leaves with a few distinct values per kernel, which the
 * `codebook` codec (or `encode: { codec: auto }`) stores as indices and a codebook.
 *
 * It clusters what it is given, so it belongs in a stage of its own after the pruning
 * stages; a stage that also prunes is refused (pruning would break the clusters).
 */
@injectable()
export class WeightSharingPlugin {
  static readonly id = '@nncompress/plugin-weight-sharing';
  static readonly optionsSchema = weightSharingOptionsSchema;

  constructor(
    @inject(Services.Logger) private readonly logger: Logger,
    @inject(Services.Evaluator) private readonly evaluator: Evaluator,
  ) {}

  // Sharing is deterministic (k-means from a fixed start): it draws nothing from the run's generator.
  apply(hooks: PipelineHooks, options: WeightSharingOptions, _ctx: PluginContext): void {
    const name = WeightSharingPlugin.name;
    const excluded = new Set(options.exclude);
    hooks.beforeRound.tapPromise(name, async (round) => {
      if (round.round !== 0) return;
      const targets = Object.keys(round.targets);
      if (targets.length > 0) {
        throw new Error(`stage "${round.stage.name}" prunes (target ${targets.join(', ')}) and shares weights: pruning after clustering breaks the clusters; share weights in a stage of its own, after the pruning stages`);
      }
      const model = round.state.model;
      const layerNames = new Set(model.layers.map((l) => l.name));
      for (const layer of [...Object.keys(options.layerBits ?? {}), ...options.exclude]) {
        if (!layerNames.has(layer)) throw new Error(`${options.exclude.includes(layer) ? 'exclude' : 'layerBits'}: the model has no layer named "${layer}"`);
      }
      const included = (w: PrunableWeight): boolean => !excluded.has(w.layerName);
      const bits = new Map<string, number>();
      if (options.sensitivity) {
        const s = options.sensitivity;
        const calibration = round.data.train.stratified(s.examples);
        const choices = chooseBits(model, calibration, this.evaluator, {
          ...s,
          init: options.init,
          iterations: options.iterations,
          perChannel: options.perChannel,
          include: (w) => included(w) && options.layerBits?.[w.layerName] === undefined,
          onKernel: (done, total) => hooks.progress.call({ phase: 'share', message: `${round.stage.name}: bits per layer`, done, total }),
          onBudget: (message) => this.logger.warn(`weight sharing: ${message}`),
        });
        for (const c of choices) {
          bits.set(c.name, c.bits);
          this.logger.info(`weight sharing: ${c.layerName} → ${c.bits} bits (loss +${c.lossIncrease.toFixed(4)} alone, on ${calibration.size} calibration examples; allowed ${s.maxLossIncrease}${s.budget === 'total' ? ' in all' : ''})`);
        }
      }
      const shared = shareWeights(model, {
        biases: options.biasBits !== undefined,
        bitsOf: (w) => (!included(w) ? undefined : isBiasWeight(w.name) ? options.biasBits : (options.layerBits?.[w.layerName] ?? bits.get(w.name) ?? options.bits)),
        init: options.init,
        iterations: options.iterations,
        perChannel: options.perChannel,
        ties: round.state.ties,
        float16: options.entries === 'float16',
      });
      for (const s of shared) this.logger.info(`weight sharing: ${s.name}: ${s.nonZero.toLocaleString('en-US')} non-zero values in ${s.clusters} shared (${s.bits} bits${options.perChannel && s.clusters > 2 ** s.bits ? ' per channel' : ''})`);
    });
  }
}

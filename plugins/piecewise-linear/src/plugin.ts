import { inject, injectable, Logger, PipelineHooks, PluginContext, Services } from '@nncompress/core';
import { containerArtifact, encodeTensorWith } from '@nncompress/core/internal';
import type { WeightEncoding } from '@nncompress/format';
import { codecs, pwlRegistry } from './codec';
import { PiecewiseLinearOptions, piecewiseLinearOptionsSchema } from './schema';

/**
 * The piecewise-linear codec for a run's registry, and, listed as a plugin, the encode
 * stage of a config written before core had its own: every weight tensor is encoded as the
 * options say (piecewise-linear by default) into an .nnc container, with the same rule and
 * bytes as core's `encode` section and `nncompress encode`. Core then loads the model back
 * from the container and reports the decoded model.
 */
@injectable()
export class PiecewiseLinearPlugin {
  static readonly id = '@nncompress/plugin-piecewise-linear';
  static readonly optionsSchema = piecewiseLinearOptionsSchema;
  static readonly codecs = codecs;

  constructor(@inject(Services.Logger) private readonly logger: Logger) {}

  apply(hooks: PipelineHooks, options: PiecewiseLinearOptions, ctx: PluginContext): void {
    const name = PiecewiseLinearPlugin.name;
    const registry = pwlRegistry();
    const modes = [options.maxError, options.relativeError, options.bitsPerWeight].filter((m) => m !== undefined);
    if (modes.length > 1) throw new Error(`${ctx.instanceName}: maxError, relativeError and bitsPerWeight are alternatives; give one`);
    if (modes.length && options.codec !== 'pwl') throw new Error(`${ctx.instanceName}: maxError, relativeError and bitsPerWeight apply to codec pwl, not ${options.codec}`);
    const how: WeightEncoding = {
      codec: options.codec,
      sparse: options.sparse,
      options: options.codec === 'pwl' ? { p: options.p, pm: options.pm, pd: options.pd, parallel: options.parallel, ...(options.perChannel ? { perChannel: true } : {}) } : {},
      maxError: options.maxError,
      relativeError: options.relativeError,
      bitsPerWeight: options.bitsPerWeight,
    };

    hooks.encodeTensor.tapPromise(name, async (tensor) => {
      const encoded = encodeTensorWith(tensor, how, registry);
      this.logger.debug(`${tensor.name} ${encoded.codec} ${encoded.bytes.length} bytes, ${((8 * encoded.bytes.length) / Math.max(1, tensor.values.length)).toFixed(2)} bits/weight, max error ${encoded.maxError.toExponential(2)}`);
      return encoded;
    });
    hooks.encodeArtifact.tapPromise(name, async (artifact) => containerArtifact(artifact, options.fileName, registry));
  }
}

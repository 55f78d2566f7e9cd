import { EncodedTensor, inject, injectable, Logger, PipelineHooks, PluginContext, Services } from '@nncompress/core';
import { CodecParams, EncodeChoice, encodeTensor, errorBound, largestAbs, nncompressIO, writeNnc, JsonValue } from '@nncompress/format';
import { pwlRegistry } from './codec';
import { smallestBoundWithin } from './encode';
import { PiecewiseLinearOptions, piecewiseLinearOptionsSchema } from './schema';

/**
 * The pipeline's encode stage: every weight tensor is encoded (piecewise-linear by default,
 * pruned zeros stored apart when that is smaller) into an .nnc container in the output
 * folder. Core then loads the model back from the container and reports the decoded model's
 * accuracy and the compression ratio.
 */
@injectable()
export class PiecewiseLinearPlugin {
  static readonly id = '@nncompress/plugin-piecewise-linear';
  static readonly optionsSchema = piecewiseLinearOptionsSchema;

  constructor(@inject(Services.Logger) private readonly logger: Logger) {}

  apply(hooks: PipelineHooks, options: PiecewiseLinearOptions, ctx: PluginContext): void {
    const name = PiecewiseLinearPlugin.name;
    const registry = pwlRegistry();
    const modes = [options.maxError, options.relativeError, options.bitsPerWeight].filter((m) => m !== undefined);
    if (modes.length > 1) throw new Error(`${ctx.instanceName}: maxError, relativeError and bitsPerWeight are alternatives; give one`);
    if (modes.length && options.codec !== 'pwl') throw new Error(`${ctx.instanceName}: maxError, relativeError and bitsPerWeight apply to codec pwl, not ${options.codec}`);

    hooks.encodeTensor.tapPromise(name, async (tensor) => {
      const pwl: CodecParams = { p: options.p, pm: options.pm, pd: options.pd, parallel: options.parallel };
      const maxError = errorBound(tensor.values, options);
      const choice: EncodeChoice = { codec: options.codec, sparse: options.sparse, options: options.codec === 'pwl' ? (maxError === undefined ? pwl : { ...pwl, maxError }) : {} };
      const encoded =
        options.bitsPerWeight === undefined
          ? encodeTensor(tensor.values, choice, registry)
          : smallestBoundWithin((bound) => encodeTensor(tensor.values, { ...choice, options: { ...pwl, maxError: bound } }, registry), Math.ceil((options.bitsPerWeight * tensor.values.length) / 8), largestAbs(tensor.values)).encoded;
      const result: EncodedTensor = { name: tensor.name, shape: tensor.shape, codec: encoded.codec, params: encoded.params, bytes: encoded.bytes, maxError: encoded.maxError };
      this.logger.debug(`${ctx.instanceName}: ${tensor.name} ${encoded.codec} ${encoded.bytes.length} bytes, ${((8 * encoded.bytes.length) / Math.max(1, tensor.values.length)).toFixed(2)} bits/weight, max error ${encoded.maxError.toExponential(2)}`);
      return result;
    });

    hooks.encodeArtifact.tapPromise(name, async (artifact) => {
      const bytes = writeNnc(
        { ...artifact.model, modelTopology: artifact.model.modelTopology as JsonValue },
        artifact.tensors.map((t) => ({ ...t, params: t.params as CodecParams })),
      );
      return { ...artifact, fileName: options.fileName, bytes, ioHandler: nncompressIO(bytes, registry) };
    });
  }
}

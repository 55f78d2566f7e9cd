/**
 * The end of a run's encoding: core's own encode stage when the config has an `encode`
 * section, the `encodeTensor` / `encodeArtifact` hooks over the saved model's tensors, and
 * the container written and measured as a user gets it (the model decoded from the file).
 */
import * as tf from '@tensorflow/tfjs';
import { CodecRegistry, weightEncodingProblem } from '@nncompress/format';
import type { LoadedConfig } from '../config/load';
import { containerArtifact, DEFAULT_CONTAINER_NAME, encodeTensorWith } from '../encode/stage';
import { ConfigError, PluginError } from '../errors';
import type { Evaluator } from '../plugins/di';
import type { PluginHost } from '../plugins/host';
import type { Report } from '../report/report';
import type { Evaluation } from '../training/evaluate';
import { formatMetric, metricLabel } from '../training/task';
import { writeFileAtomic } from '../util/fs-atomic';
import type { Logger } from '../util/logger';
import { PipelineHooks, TapStage } from './hooks';
import type { OutputFolder } from './output';
import type { EncodedArtifact, EncodedTensor, RunContext } from './types';

/**
 * With an `encode` section, core's own encoder answers `encodeTensor` and writes the
 * container, with any codec of the run's registry. Checked before anything runs: the codec
 * exists, takes the bound asked for, and no plugin encodes too.
 */
export function tapEncodeSection(hooks: PipelineHooks, loaded: Pick<LoadedConfig, 'config' | 'file'>, host: PluginHost, codecRegistry: () => CodecRegistry): void {
  const { config, file } = loaded;
  const spec = config.encode;
  if (!spec) return;
  const codecs = codecRegistry();
  const problem = weightEncodingProblem(spec, codecs);
  if (problem) {
    const hint = problem.key === 'codec' ? '; a plugin package adds more when it is installed or listed under plugins' : '';
    throw new ConfigError(`${file}: encode.${problem.key}: ${problem.message}${hint}`, file, `encode.${problem.key}`);
  }
  const others = [...(host.tappedBy.get('encodeTensor') ?? [])];
  if (others.length > 0) throw new ConfigError(`${file}: encode: plugin ${others.join(', ')} encodes the model too (it taps encodeTensor); keep the encode section or that plugin, not both`, file, 'encode');
  const name = 'nncompress:encode';
  hooks.encodeTensor.tapPromise({ name, stage: TapStage.FALLBACK }, async (tensor) => encodeTensorWith(tensor, spec, codecs));
  hooks.encodeArtifact.tapPromise({ name, stage: TapStage.FALLBACK }, async (artifact) => (artifact.bytes ? artifact : containerArtifact(artifact, spec.fileName ?? DEFAULT_CONTAINER_NAME, codecs)));
}

/** Asks `encodeTensor` for every tensor of `artifacts` (the saved model's), then `encodeArtifact`, so a container loads like model/. */
async function encodeTensors(hooks: PipelineHooks, run: RunContext, artifacts: tf.io.ModelArtifacts): Promise<EncodedArtifact | undefined> {
  if (!hooks.encodeTensor.isUsed()) return undefined;
  const data = new Float32Array(tf.io.CompositeArrayBuffer.join(artifacts.weightData ?? new ArrayBuffer(0)));
  const tensors: EncodedTensor[] = [];
  let offset = 0;
  for (const spec of artifacts.weightSpecs ?? []) {
    const size = spec.shape.reduce((a, b) => a * b, 1);
    const values = data.subarray(offset, offset + size);
    offset += size;
    const encoded = await hooks.encodeTensor.promise({ name: spec.name, shape: spec.shape, values }, run);
    if (!encoded) throw new PluginError(`no encoder answered "encodeTensor" for ${spec.name}`, 'core', 'encodeTensor');
    tensors.push(encoded);
  }
  const model = { modelTopology: artifacts.modelTopology, format: artifacts.format, generatedBy: artifacts.generatedBy, convertedBy: artifacts.convertedBy ?? null };
  return hooks.encodeArtifact.promise({ tensors, model }, run);
}

/** Decoding losing more than this share of the metric (points for a fraction) is said in the log and the report. */
export const LOSSY_ENCODING_WARNING = 0.005;

export interface EncodedModel {
  /** What the encoder wrote; undefined without one. */
  readonly artifact?: EncodedArtifact;
  /** The container's bytes, when one was written. */
  readonly bytes?: number;
  /** The metric a user of the file gets: the decoded model's when the encoder can load it back, else the final model's. */
  readonly evaluation: Evaluation;
  readonly encoding?: Report['encoding'];
}

/**
 * Encodes the final model (when an encoder is configured), writes the container into the
 * output folder, loads the model back from it and evaluates that: the figure the report
 * gives as final.
 */
export async function encodeFinalModel(
  deps: { readonly hooks: PipelineHooks; readonly logger: Logger; readonly evaluator: Evaluator },
  run: RunContext,
  artifacts: tf.io.ModelArtifacts,
  output: OutputFolder,
  finalEval: Evaluation,
  bytesFloat32: number,
): Promise<EncodedModel> {
  const { hooks, logger, evaluator } = deps;
  const artifact = await encodeTensors(hooks, run, artifacts);
  if (!artifact?.fileName || !artifact.bytes) return { evaluation: finalEval };
  writeFileAtomic(output.file(artifact.fileName), artifact.bytes);
  const bytes = artifact.bytes.byteLength;
  let evaluation = finalEval;
  if (artifact.ioHandler) {
    // What a user of the file gets: the model decoded from it, evaluated on the test set.
    hooks.progress.call({ phase: 'evaluate', message: `decoded ${artifact.fileName}` });
    const decoded = await tf.loadLayersModel(artifact.ioHandler);
    evaluation = evaluator.evaluate(decoded, run.data.test);
    decoded.dispose();
    await hooks.evaluate.promise({ label: 'decoded', ...evaluation }, run);
    logger.info(`encoded: ${artifact.fileName} ${bytes} bytes (${(bytesFloat32 / bytes).toFixed(1)}x), decoded ${metricLabel(evaluation.metric.name)} ${formatMetric(evaluation.metric)}`);
  }
  // A lossy bound the model cannot take (one relative to a tensor's largest value on
  // BatchNorm statistics, say) shows only as a lower figure: say it in words as well.
  const notes: string[] = [];
  const lossy = artifact.tensors.filter((t) => t.maxError > 0);
  if (artifact.ioHandler && lossy.length > 0 && finalEval.score - evaluation.score > LOSSY_ENCODING_WARNING * Math.max(1, Math.abs(finalEval.score))) {
    notes.push(`encoding cost ${metricLabel(evaluation.metric.name)}: ${formatMetric(finalEval.metric)} before encoding, ${formatMetric(evaluation.metric)} decoded from ${artifact.fileName}; ${lossy.length} of ${artifact.tensors.length} tensors are stored lossily (a smaller error bound, or codec auto without one, keeps them exact)`);
    logger.warn(notes[notes.length - 1]);
  }
  const encoding: Report['encoding'] = {
    file: artifact.fileName,
    bytes,
    metricBeforeEncoding: finalEval.metric,
    decodedMetric: artifact.ioHandler ? evaluation.metric : undefined,
    ...(notes.length > 0 ? { notes } : {}),
    ...(finalEval.accuracy !== undefined ? { accuracyBeforeEncoding: finalEval.accuracy, decodedAccuracy: artifact.ioHandler ? evaluation.accuracy : undefined } : {}),
    tensors: artifact.tensors.map((t) => ({ name: t.name, shape: [...t.shape], codec: t.codec, bytes: t.bytes.byteLength, maxError: t.maxError })),
  };
  return { artifact, bytes, evaluation, encoding };
}

/**
 * The pipeline's encode stage, codec-neutral: with an `encode` section in the config, core
 * encodes every weight tensor with the codec it names, from the registry assembled from
 * format's codecs and the installed and configured plugins' (`codecRegistryFor`), writes the
 * `.nnc` container and loads the model back from it, so the report's final metric is the
 * decoded model's. A plugin may still encode by tapping `encodeTensor` itself; a config that
 * does both is refused.
 */
import { CodecParams, CodecRegistry, encodeWeights, JsonValue, nncompressIO, WeightEncoding, writeNnc } from '@nncompress/format';
import type { JsonSchema } from '../plugins/plugin';
import type { EncodedArtifact, EncodedTensor, TensorToEncode } from '../pipeline/types';

/** A config's `encode` section. */
export interface EncodeConfig extends WeightEncoding {
  /** Name of the container in the output folder. */
  readonly fileName?: string;
}

export const DEFAULT_CONTAINER_NAME = 'model.nnc';

export const encodeConfigSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['codec'],
  description: 'Encode the final model into a .nnc container with one codec for every weight tensor, and report the decoded model (docs/config.md, Encoding).',
  properties: {
    codec: { type: 'string', minLength: 1, description: 'Codec id: auto (per tensor the smallest encoding of any codec here within the error bound; lossless without one), float32, float16, uint8, huffman or codebook (lossless), or one an installed or configured plugin provides (pwl: the piecewise-linear plugin).' },
    options: { type: 'object', description: "The codec's own options (pwl: p, pm, pd, parallel)." },
    maxError: { type: 'number', exclusiveMinimum: 0, description: 'Error-bound mode: the largest |decoded − original| of any weight (codecs that take a bound).' },
    relativeError: { type: 'number', exclusiveMinimum: 0, maximum: 1, description: "Error-bound mode per tensor: this fraction of the tensor's largest |w|." },
    bitsPerWeight: { type: 'number', exclusiveMinimum: 0, maximum: 32, description: 'Size-target mode: each tensor gets the smallest error bound whose encoding fits this many bits per entry.' },
    sparse: { enum: ['auto', 'never', 'always'], description: 'Pruned zeros stored apart (bitmap or zero runs) around the codec; auto (default) keeps whichever encoding is smaller.' },
    fileName: { type: 'string', pattern: '^[^/\\\\]+\\.nnc$', description: `Name of the container in the output folder (default ${DEFAULT_CONTAINER_NAME}).` },
  },
};

/** One weight tensor encoded as `how` says (format's `encodeWeights`, the rule `nncompress encode` follows too). */
export function encodeTensorWith(tensor: TensorToEncode, how: WeightEncoding, registry: CodecRegistry): EncodedTensor {
  const encoded = encodeWeights(tensor.values, how, registry, tensor.shape);
  return { name: tensor.name, shape: tensor.shape, codec: encoded.codec, params: encoded.params, bytes: encoded.bytes, maxError: encoded.maxError };
}

/** The encoded tensors written into a `.nnc` container named `fileName`, with the handler that loads the model back from it. */
export function containerArtifact(artifact: EncodedArtifact, fileName: string, registry: CodecRegistry): EncodedArtifact {
  const bytes = writeNnc(
    { ...artifact.model, modelTopology: artifact.model.modelTopology as JsonValue },
    artifact.tensors.map((t) => ({ ...t, params: t.params as CodecParams })),
  );
  return { ...artifact, fileName, bytes, ioHandler: nncompressIO(bytes, registry) };
}

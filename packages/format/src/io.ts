/**
 * Between .nnc files and tfjs model artifacts, without importing tfjs: the types below are
 * the structural subset of tf.io's that a LayersModel needs, so `tf.loadLayersModel(
 * nncompressIO(source))` works with any tfjs 4 build, in Node and in a browser.
 */
import type { JsonValue } from './codecs/codec';
import { fromHalf } from './codecs/float';
import { CodecRegistry, codecs as defaultRegistry } from './codecs/registry';
import { NncFile, NncHeader, NncModel, NncTensorEntry, readNnc, TensorToWrite, writeNnc, ReadLimits } from './container';
import { ByteSource, NncStream, openNncStream } from './stream';
import { AUTO_CODEC, EncodeChoice, encodeWeights, WeightEncoding } from './tensor';

export type WeightDtype = 'float32' | 'int32' | 'bool' | 'string' | 'complex64';

export interface WeightQuantization {
  readonly dtype: 'uint8' | 'uint16' | 'float16';
  readonly scale?: number;
  readonly min?: number;
}

export interface WeightSpec {
  name: string;
  shape: number[];
  dtype: WeightDtype;
  quantization?: WeightQuantization;
}

export interface ModelArtifactsLike {
  modelTopology?: {} | ArrayBuffer;
  weightSpecs?: WeightSpec[];
  weightData?: ArrayBuffer | ArrayBuffer[];
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  userDefinedMetadata?: { [key: string]: {} };
}

export interface IOHandlerLike {
  load(): Promise<ModelArtifactsLike>;
}

function concat(data: ArrayBuffer | ArrayBuffer[] | undefined): Uint8Array {
  if (!data) return new Uint8Array(0);
  if (!Array.isArray(data)) return new Uint8Array(data);
  const out = new Uint8Array(data.reduce((n, b) => n + b.byteLength, 0));
  let o = 0;
  for (const b of data) {
    out.set(new Uint8Array(b), o);
    o += b.byteLength;
  }
  return out;
}

/**
 * The float32 values of every weight of `artifacts`, in manifest order. Quantised manifests
 * (uint8/uint16 affine, float16: tfjs-converter's schemes) are dequantised as tfjs does.
 */
export function weightValues(artifacts: ModelArtifactsLike): { spec: WeightSpec; values: Float32Array }[] {
  const bytes = concat(artifacts.weightData);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 0;
  return (artifacts.weightSpecs ?? []).map((spec) => {
    const size = spec.shape.reduce((a, b) => a * b, 1);
    const q = spec.quantization;
    if (spec.dtype !== 'float32') throw new Error(`weight "${spec.name}" is ${spec.dtype}: only float32 weights can be encoded`);
    const width = q ? (q.dtype === 'uint8' ? 1 : 2) : 4;
    if (offset + size * width > bytes.length) throw new Error(`weight "${spec.name}" needs bytes ${offset}..${offset + size * width} but the weight data has ${bytes.length}`);
    const values = new Float32Array(size);
    for (let i = 0; i < size; i++) {
      const at = offset + i * width;
      if (!q) values[i] = view.getFloat32(at, true);
      else if (q.dtype === 'float16') values[i] = fromHalf(view.getUint16(at, true));
      else values[i] = (q.dtype === 'uint8' ? bytes[at] : view.getUint16(at, true)) * (q.scale ?? 1) + (q.min ?? 0);
    }
    offset += size * width;
    return { spec, values };
  });
}

/**
 * Encodes a model's artifacts into an .nnc container, choosing a codec per weight; by default
 * `auto` (the smallest lossless encoding of each tensor).
 */
export function encodeArtifacts(
  artifacts: ModelArtifactsLike,
  choose: (spec: WeightSpec, values: Float32Array) => EncodeChoice | WeightEncoding = () => ({}),
  registry: CodecRegistry = defaultRegistry,
): Uint8Array {
  const topology = artifacts.modelTopology;
  if (topology instanceof ArrayBuffer) throw new Error('GraphDef (binary) topologies are not supported; use a model.json with a JSON topology');
  const model: NncModel | null = topology
    ? { modelTopology: topology as JsonValue, format: artifacts.format, generatedBy: artifacts.generatedBy, convertedBy: artifacts.convertedBy ?? null, ...(artifacts.userDefinedMetadata ? { userDefinedMetadata: artifacts.userDefinedMetadata as JsonValue } : {}) }
    : null;
  const tensors: TensorToWrite[] = weightValues(artifacts).map(({ spec, values }) => ({ name: spec.name, shape: spec.shape, ...encodeWeights(values, { codec: AUTO_CODEC, ...choose(spec, values) }, registry, spec.shape) }));
  return writeNnc(model, tensors);
}

/**
 * Model artifacts for `header`, filled tensor by tensor as they are decoded: the weight
 * buffer is sized from the header's shapes up front, so no list of decoded tensors is kept.
 * A training config is not carried: compressed models are for inference (fine-tuning
 * recompiles).
 */
function artifactsBuilder(header: NncHeader): { put(entry: NncTensorEntry, values: Float32Array): void; finish(): ModelArtifactsLike } {
  const offsets = new Map<string, number>();
  let total = 0;
  for (const t of header.tensors) {
    offsets.set(t.name, total);
    total += t.shape.reduce((a, b) => a * b, 1);
  }
  const weightData = new Float32Array(total);
  return {
    put(entry, values) {
      weightData.set(values, offsets.get(entry.name));
    },
    // Both readers yield every tensor or throw, so nothing is left unfilled here.
    finish() {
      const m = header.model;
      return {
        ...(m ? { modelTopology: m.modelTopology as {}, format: m.format, generatedBy: m.generatedBy, convertedBy: m.convertedBy ?? null } : {}),
        ...(m?.userDefinedMetadata ? { userDefinedMetadata: m.userDefinedMetadata as { [key: string]: {} } } : {}),
        weightSpecs: header.tensors.map((t) => ({ name: t.name, shape: [...t.shape], dtype: 'float32' as const })),
        weightData: weightData.buffer,
      };
    },
  };
}

/** Model artifacts (float32 weights, in file order) from a parsed .nnc file held in memory. */
export function fileToArtifacts(file: NncFile): ModelArtifactsLike {
  const builder = artifactsBuilder(file.header);
  for (const { entry, values } of file.tensors()) builder.put(entry, values);
  return builder.finish();
}

/** Model artifacts from an .nnc byte stream, decoding each tensor as its bytes arrive. */
export async function streamToArtifacts(stream: NncStream): Promise<ModelArtifactsLike> {
  const builder = artifactsBuilder(stream.header);
  for await (const { entry, values } of stream.tensors()) builder.put(entry, values);
  return builder.finish();
}

type NodeFs = { createReadStream(path: string): AsyncIterable<Uint8Array> };

/** Node's fs when running in Node, found without an import a browser bundle would see. */
function nodeFs(): NodeFs | undefined {
  const proc = (globalThis as { process?: { versions?: { node?: string }; getBuiltinModule?: (id: string) => unknown } }).process;
  if (!proc?.versions?.node || !proc.getBuiltinModule) return undefined;
  return proc.getBuiltinModule('node:fs') as NodeFs;
}

/** The bytes of `source` as a stream: a Node file stream for a path, a fetch body for a URL. */
async function byteStream(source: string): Promise<ByteSource> {
  const fs = nodeFs();
  const isUrl = /^[a-z][a-z0-9+.-]*:\/\//i.test(source) || source.startsWith('data:') || source.startsWith('blob:');
  if (fs && !isUrl) return fs.createReadStream(source);
  const response = await fetch(source);
  if (!response.ok) throw new Error(`${source}: HTTP ${response.status}`);
  if (!response.body) return (async function* () {
    yield new Uint8Array(await response.arrayBuffer());
  })();
  return response.body;
}

/**
 * A tf.io IOHandler that loads an .nnc file: a path (Node) or a URL (fetch), streamed so
 * the compressed file is never held whole, or its bytes.
 * `tf.loadLayersModel(nncompressIO('model.nnc'))`.
 */
export function nncompressIO(source: string | Uint8Array | ArrayBuffer, registry: CodecRegistry = defaultRegistry, limits?: ReadLimits): IOHandlerLike {
  const label = typeof source === 'string' ? source : '.nnc input';
  const weightsOnly = (): Error => new Error(`${label}: holds weights only (no model topology); read it with readNnc`);
  return {
    async load() {
      if (typeof source !== 'string') {
        const file = readNnc(source instanceof Uint8Array ? source : new Uint8Array(source), registry, limits);
        if (!file.header.model) throw weightsOnly();
        return fileToArtifacts(file);
      }
      const stream = await openNncStream(await byteStream(source), registry, limits);
      if (!stream.header.model) {
        await stream.close();
        throw weightsOnly();
      }
      return streamToArtifacts(stream);
    },
  };
}

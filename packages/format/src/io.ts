/**
 * Between .nnc files and tfjs model artifacts, without importing tfjs: the types below are
 * the structural subset of tf.io's that a LayersModel needs, so `tf.loadLayersModel(
 * nncompressIO(source))` works with any tfjs 4 build, in Node and in a browser.
 */
import type { JsonValue } from './codecs/codec';
import { fromHalf } from './codecs/float';
import { CodecRegistry, codecs as defaultRegistry } from './codecs/registry';
import { NncFile, NncModel, readNnc, TensorToWrite, writeNnc } from './container';
import { EncodeChoice, encodeTensor } from './tensor';

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

/** Encodes a model's artifacts into an .nnc container, choosing a codec per weight. */
export function encodeArtifacts(
  artifacts: ModelArtifactsLike,
  choose: (spec: WeightSpec, values: Float32Array) => EncodeChoice = () => ({}),
  registry: CodecRegistry = defaultRegistry,
): Uint8Array {
  const topology = artifacts.modelTopology;
  if (topology instanceof ArrayBuffer) throw new Error('GraphDef (binary) topologies are not supported; use a model.json with a JSON topology');
  const model: NncModel | null = topology
    ? { modelTopology: topology as JsonValue, format: artifacts.format, generatedBy: artifacts.generatedBy, convertedBy: artifacts.convertedBy ?? null, ...(artifacts.userDefinedMetadata ? { userDefinedMetadata: artifacts.userDefinedMetadata as JsonValue } : {}) }
    : null;
  const tensors: TensorToWrite[] = weightValues(artifacts).map(({ spec, values }) => ({ name: spec.name, shape: spec.shape, ...encodeTensor(values, choose(spec, values), registry) }));
  return writeNnc(model, tensors);
}

/**
 * Model artifacts (float32 weights, in file order) from a parsed .nnc file. A training
 * config is not carried: compressed models are for inference (fine-tuning recompiles).
 */
export function fileToArtifacts(file: NncFile): ModelArtifactsLike {
  const decoded = [...file.tensors()];
  const weightData = new Float32Array(decoded.reduce((n, t) => n + t.values.length, 0));
  let o = 0;
  for (const t of decoded) {
    weightData.set(t.values, o);
    o += t.values.length;
  }
  const m = file.header.model;
  return {
    ...(m ? { modelTopology: m.modelTopology as {}, format: m.format, generatedBy: m.generatedBy, convertedBy: m.convertedBy ?? null } : {}),
    ...(m?.userDefinedMetadata ? { userDefinedMetadata: m.userDefinedMetadata as { [key: string]: {} } } : {}),
    weightSpecs: decoded.map((t) => ({ name: t.entry.name, shape: [...t.entry.shape], dtype: 'float32' as const })),
    weightData: weightData.buffer,
  };
}

type FsPromises = { readFile(path: string): Promise<Uint8Array> };

/** Node's fs/promises when running in Node, found without an import a browser bundle would see. */
function nodeFs(): FsPromises | undefined {
  const proc = (globalThis as { process?: { versions?: { node?: string }; getBuiltinModule?: (id: string) => unknown } }).process;
  if (!proc?.versions?.node || !proc.getBuiltinModule) return undefined;
  return proc.getBuiltinModule('node:fs/promises') as FsPromises;
}

async function readSource(source: string | Uint8Array | ArrayBuffer): Promise<Uint8Array> {
  if (source instanceof Uint8Array) return source;
  if (source instanceof ArrayBuffer) return new Uint8Array(source);
  const fs = nodeFs();
  const isUrl = /^[a-z][a-z0-9+.-]*:\/\//i.test(source) || source.startsWith('data:') || source.startsWith('blob:');
  if (fs && !isUrl) return new Uint8Array(await fs.readFile(source));
  const response = await fetch(source);
  if (!response.ok) throw new Error(`${source}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

/**
 * A tf.io IOHandler that loads an .nnc file: a path (Node), a URL (fetch), or its bytes.
 * `tf.loadLayersModel(nncompressIO('model.nnc'))`.
 */
export function nncompressIO(source: string | Uint8Array | ArrayBuffer, registry: CodecRegistry = defaultRegistry): IOHandlerLike {
  return {
    async load() {
      const bytes = await readSource(source);
      const file = readNnc(bytes, registry);
      if (!file.header.model) throw new Error(`${typeof source === 'string' ? source : '.nnc input'}: holds weights only (no model topology); read it with readNnc`);
      return fileToArtifacts(file);
    },
  };
}

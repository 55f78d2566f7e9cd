/**
 * `encode`, `decode` and the .nnc half of `inspect`: between tfjs model files and .nnc
 * containers, without running a pipeline. Codecs beyond the built-in ones come from installed
 * plugins that export `codecs` (e.g. the piecewise-linear encoder).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { chooseBackend, InputError, tf } from '@nncompress/core';
import { modelInputFiles, readModelOrWeights } from '@nncompress/core/model';
import { codecRegistryFor, errorMessage, overwrittenInput, removeOnExit, sweepStale, writeFileAtomic } from '@nncompress/core/internal';
import { AUTO_CODEC, CodecParams, CodecRegistry, encodeArtifacts, ModelArtifactsLike, NncFile, NncFormatError, NncStream, openNncStream, readNnc, ReadLimits, WeightEncoding, weightEncodingProblem } from '@nncompress/format';
import { formatTable, int } from '../table';

/** The codecs of the project in `from` (the working directory) and of the plugins named with `--plugin`. */
export function codecRegistry(named: readonly string[] = [], from = process.cwd()): CodecRegistry {
  return codecRegistryFor({ from: [from], named, warn: (message) => process.stderr.write(`warning: ${message}\n`) });
}

/** Refuses an output that is, or (a folder) holds, one of the inputs, compared by real path and inode. */
function refuseOverwrite(inputs: readonly string[], output: string, folder = false): void {
  if (output.trim() === '') throw new InputError('-o: must name a file or folder, got an empty path');
  const hit = overwrittenInput(output, inputs, folder);
  if (hit) throw new InputError(`${output}: the output would overwrite the input ${hit}`);
}

/**
 * A LayersModel's weights must fit its topology, as `inspect` and every loader require: tfjs
 * builds the model from the artifacts. (GraphModels and weights-only manifests have no layers
 * to check against.)
 */
async function checkLayersModel(input: string, artifacts: ModelArtifactsLike): Promise<void> {
  const topology = artifacts.modelTopology as { class_name?: string; model_config?: unknown } | undefined;
  const isLayers = artifacts.format === 'layers-model' || (topology !== undefined && (topology.class_name !== undefined || topology.model_config !== undefined));
  if (!isLayers) return;
  await chooseBackend();
  try {
    const model = await tf.loadLayersModel(tf.io.fromMemory(artifacts as tf.io.ModelArtifacts));
    model.dispose();
  } catch (err) {
    throw new InputError(`${input}: the weights do not fit the model's topology (${errorMessage(err)})`);
  }
}

export interface EncodeCommandOptions {
  readonly out: string;
  readonly codec: string;
  readonly maxError?: number;
  readonly relativeError?: number;
  readonly sparse: 'auto' | 'never' | 'always';
  /** Plugins (package names or paths) whose codecs to load besides the project's own. */
  readonly plugins?: readonly string[];
}

export async function encodeCommand(input: string, options: EncodeCommandOptions): Promise<void> {
  refuseOverwrite(modelInputFiles(input), options.out);
  const registry = codecRegistry(options.plugins);
  const how: WeightEncoding = { codec: options.codec, sparse: options.sparse, maxError: options.maxError, relativeError: options.relativeError };
  const problem = weightEncodingProblem(how, registry);
  if (problem) throw new InputError(`--${problem.key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}: ${problem.message}`);
  const artifacts = readModelOrWeights(input) as ModelArtifactsLike;
  await checkLayersModel(input, artifacts);
  let bytes: Uint8Array;
  try {
    bytes = encodeArtifacts(artifacts, () => how, registry);
  } catch (err) {
    throw new InputError(`${input}: ${(err as Error).message}`);
  }
  // Read back before anything is written: a file a reader would refuse is never written.
  let table: string;
  let tensorBytes: number;
  try {
    const file = readNnc(bytes, registry);
    table = inspectNncTable(file);
    tensorBytes = file.header.tensors.reduce((n, t) => n + t.length, 0);
  } catch (err) {
    if (err instanceof NncFormatError) throw new InputError(`${input}: the encoded file would not read back: ${err.message}`);
    throw err;
  }
  fs.mkdirSync(path.dirname(path.resolve(options.out)), { recursive: true });
  writeFileAtomic(options.out, bytes);
  // What the weights take as float32: sizes from the specs, not the dequantised values again.
  const float32 = (artifacts.weightSpecs ?? []).reduce((n, spec) => n + 4 * spec.shape.reduce((a, b) => a * b, 1), 0);
  process.stdout.write(`${table}\n\nwrote ${options.out}: ${int(bytes.length)} bytes, ${(float32 / Math.max(1, bytes.length)).toFixed(2)}x smaller than float32 (${int(float32)} bytes)\n`);
  const larger = largerThanInput(tensorBytes, artifacts, how);
  if (larger) process.stderr.write(`warning: ${options.out}: ${larger}\n`);
}

/**
 * Why the encoded weights take more bytes than the input's own (a quantised model stored
 * back as float32, say), or undefined when they do not: encoding is meant to make models
 * smaller, so a larger result is said, never left for the user to notice.
 */
export function largerThanInput(tensors: number, artifacts: ModelArtifactsLike, how: WeightEncoding): string | undefined {
  const data = artifacts.weightData;
  const input = data === undefined ? 0 : (Array.isArray(data) ? data : [data]).reduce((n, b) => n + b.byteLength, 0);
  if (tensors <= input) return undefined;
  const quantised = (artifacts.weightSpecs ?? []).some((spec) => spec.quantization !== undefined);
  const hint = how.codec === AUTO_CODEC ? 'no codec here stores them smaller within the bound' : `--codec auto writes the smallest ${how.maxError === undefined && how.relativeError === undefined ? 'lossless ' : ''}encoding`;
  return `the encoded weights take ${int(tensors)} bytes, more than the input's own ${int(input)}${quantised ? ' (its weights are stored quantised)' : ''}; ${hint}`;
}

/**
 * Streams the .nnc file: each tensor is decoded as its bytes are read and appended to
 * weights.bin, so neither the compressed file nor the decoded weights are held whole.
 */
export async function decodeCommand(input: string, options: { readonly out: string; readonly maxDecodedBytes?: number; readonly plugins?: readonly string[] }): Promise<void> {
  if (!fs.existsSync(input)) throw new InputError(`file not found: ${input}`);
  const dir = options.out;
  refuseOverwrite([input], dir, true);
  if (fs.existsSync(dir)) {
    if (fs.lstatSync(dir).isSymbolicLink()) throw new InputError(`${dir}: the output folder is a link; give the folder's own path`);
    if (!fs.statSync(dir).isDirectory()) throw new InputError(`${dir}: exists and is not a folder`);
    if (fs.readdirSync(dir).length > 0) throw new InputError(`${dir}: the output folder exists and is not empty`);
  }
  // Written to a sibling temp folder, renamed into place: no partial output on failure,
  // nor on Ctrl-C (removeOnExit).
  const tmp = `${path.resolve(dir)}.tmp-${process.pid}`;
  sweepStale(dir);
  const cleanup = removeOnExit(tmp);
  let stream: NncStream | undefined;
  let written = 0;
  try {
    stream = await openNncStream(fs.createReadStream(input), codecRegistry(options.plugins), { maxDecodedBytes: options.maxDecodedBytes });
    fs.mkdirSync(tmp, { recursive: true });
    const weights = fs.openSync(path.join(tmp, 'weights.bin'), 'w');
    try {
      for await (const { values } of stream.tensors()) written += fs.writeSync(weights, new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
    } finally {
      fs.closeSync(weights);
    }
    const manifest = [{ paths: ['weights.bin'], weights: stream.header.tensors.map((t) => ({ name: t.name, shape: [...t.shape], dtype: 'float32' })) }];
    const m = stream.header.model;
    if (m) {
      const json = { modelTopology: m.modelTopology, format: m.format, generatedBy: m.generatedBy, convertedBy: m.convertedBy ?? null, weightsManifest: manifest, ...(m.userDefinedMetadata ? { userDefinedMetadata: m.userDefinedMetadata } : {}) };
      fs.writeFileSync(path.join(tmp, 'model.json'), JSON.stringify(json));
    } else fs.writeFileSync(path.join(tmp, 'weights_manifest.json'), JSON.stringify(manifest));
    if (fs.existsSync(dir)) fs.rmdirSync(dir);
    try {
      fs.renameSync(tmp, dir);
    } catch (err) {
      // Another process filled the folder meanwhile: say so, leave its files alone.
      throw new InputError(`${dir}: could not move the decoded model into place (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
  } catch (err) {
    await stream?.close();
    fs.rmSync(tmp, { recursive: true, force: true });
    if (err instanceof NncFormatError) throw new InputError(`${input}: ${err.message}`);
    throw err;
  } finally {
    cleanup.release();
  }
  const m = stream.header.model;
  process.stdout.write(`wrote ${path.join(dir, m ? 'model.json' : 'weights_manifest.json')} and weights.bin (${int(written)} bytes, float32)\n`);
}

function openNnc(input: string, registry: CodecRegistry, limits?: ReadLimits): NncFile {
  if (!fs.existsSync(input)) throw new InputError(`file not found: ${input}`);
  try {
    return readNnc(new Uint8Array(fs.readFileSync(input)), registry, limits);
  } catch (err) {
    if (err instanceof NncFormatError) throw new InputError(`${input}: ${err.message}`);
    throw err;
  }
}

/** The codec a tensor is stored with, sparse's inner codec included. */
function codecLabel(codec: string, params: CodecParams): string {
  return codec === 'sparse' && typeof params.inner === 'string' ? `sparse(${params.inner})` : codec;
}

/** Per-tensor codec, bytes, bits per weight and error of a parsed container, and where its bytes go. */
export function inspectNncTable(file: NncFile): string {
  let total = 0;
  let count = 0;
  const rows = file.header.tensors.map((t) => {
    const n = t.shape.reduce((a, b) => a * b, 1);
    total += t.length;
    count += n;
    return [t.name, `[${t.shape.join(',')}]`, codecLabel(t.codec, t.params), int(t.length), (n ? (8 * t.length) / n : 0).toFixed(2), t.maxError === 0 ? '0' : t.maxError.toExponential(2)];
  });
  rows.push(['total', '', '', int(total), (count ? (8 * total) / count : 0).toFixed(2), '']);
  const header = file.bytes.length - total;
  return `${formatTable(['tensor', 'shape', 'codec', 'bytes', 'bits/weight', 'max error'], rows)}\n\nfile ${int(file.bytes.length)} bytes: header ${int(header)} (${file.header.model ? 'model topology + tensor table' : 'tensor table, weights only'}), tensors ${int(total)}`;
}

export function inspectNncCommand(input: string, limits?: ReadLimits, plugins: readonly string[] = []): void {
  process.stdout.write(`${inspectNncTable(openNnc(input, codecRegistry(plugins), limits))}\n`);
}

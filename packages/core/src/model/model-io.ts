/**
 * Reading and writing tfjs LayersModel artifacts (model.json + weight shards) on disk,
 * without tfjs-node (whose file:// handler is unavailable here).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { ModelModuleRef } from '../config/types';
import { InputError } from '../errors';
import { completeTopology } from '../graph/topology';
import { writeFileAtomic } from '../util/fs-atomic';
import { nestedDeeperThan } from '../util/json-depth';

interface ModelJson {
  modelTopology?: unknown;
  weightsManifest?: Array<{ paths: string[]; weights: tf.io.WeightsManifestEntry[] }>;
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  trainingConfig?: tf.io.TrainingConfig;
  userDefinedMetadata?: { [key: string]: {} };
}

/** Bytes one value of a manifest entry takes in its shard (quantised entries store their own dtype). */
function bytesPerValue(spec: tf.io.WeightsManifestEntry): number {
  const stored = spec.quantization?.dtype ?? spec.dtype;
  return stored === 'uint8' || stored === 'bool' ? 1 : stored === 'uint16' || stored === 'float16' ? 2 : stored === 'complex64' ? 8 : 4;
}

/**
 * The path of one weight shard, checked to be a regular file inside the model's folder: a
 * manifest from someone else must not make nncompress read (and embed, and echo back) a
 * file elsewhere, or a device that never ends.
 */
function shardPath(file: string, p: unknown): string {
  const dir = path.dirname(file);
  if (typeof p !== 'string' || p === '' || path.isAbsolute(p) || p.split(/[\\/]/).includes('..')) {
    throw new InputError(`${file}: weight shard path ${JSON.stringify(p)} must name a file inside the model's folder (no absolute path, no "..")`);
  }
  const shard = path.join(dir, p);
  if (!fs.existsSync(shard)) throw new InputError(`${file}: weight shard not found: ${p}`);
  // A link inside the folder may still point out of it: compare real paths.
  const real = fs.realpathSync(shard);
  const realDir = fs.realpathSync(dir);
  if (!real.startsWith(realDir + path.sep)) throw new InputError(`${file}: weight shard ${p} resolves outside the model's folder`);
  if (!fs.statSync(real).isFile()) throw new InputError(`${file}: weight shard ${p} is not a regular file`);
  return real;
}

/**
 * The shards of a weights manifest (groups of `{ paths, weights }`, paths relative to
 * `file`'s folder) as one buffer. Every shard is checked (see `shardPath`) and their sizes
 * against what the manifest declares before a byte is read.
 */
function readShards(file: string, manifest: readonly { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[]): { weightSpecs: tf.io.WeightsManifestEntry[]; weightData: ArrayBuffer } {
  if (!Array.isArray(manifest)) throw new InputError(`${file}: weightsManifest is not a list of { paths, weights } groups`);
  const specs: tf.io.WeightsManifestEntry[] = [];
  const shards: string[] = [];
  for (const [i, group] of manifest.entries()) {
    if (!Array.isArray(group?.paths) || !Array.isArray(group?.weights)) throw new InputError(`${file}: weights manifest group ${i} is not { paths, weights }`);
    for (const p of group.paths) shards.push(shardPath(file, p));
    // One at a time: spreading a 130,000-entry manifest into push() overflows the call stack.
    for (const spec of group.weights) specs.push(spec);
  }
  for (const [i, s] of specs.entries()) {
    if (!Array.isArray(s?.shape) || !s.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw new InputError(`${file}: weight ${i} (${JSON.stringify(s?.name)}) has shape ${JSON.stringify(s?.shape)}, not non-negative integers below 2^53`);
  }
  const expected = specs.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1) * bytesPerValue(s), 0);
  const held = shards.reduce((n, f) => n + fs.statSync(f).size, 0);
  // String tensors store their own lengths: their size is not known from the manifest.
  if (held !== expected && !specs.some((s) => s.dtype === 'string')) throw new InputError(`${file}: weight shards hold ${held} bytes, the manifest needs ${expected}`);
  const all = Buffer.concat(shards.map((f) => fs.readFileSync(f)));
  return { weightSpecs: specs, weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) };
}

/**
 * The files a model.json (or weights manifest) reads: itself and its weight shards, as far as
 * they can be named; what an output must never overwrite.
 */
export function modelInputFiles(file: string): string[] {
  const files = [file];
  try {
    const json = JSON.parse(fs.readFileSync(file, 'utf8')) as ModelJson | ModelJson['weightsManifest'];
    const manifest = Array.isArray(json) ? json : json?.weightsManifest;
    for (const group of manifest ?? []) for (const p of group?.paths ?? []) if (typeof p === 'string') files.push(path.join(path.dirname(file), p));
  } catch {
    // unreadable: reading it will say why; the file itself is still an input
  }
  return files;
}

/**
 * How deep a model.json may nest: a real Keras topology (models nested in models) stays under
 * twenty levels; tfjs's deserialiser recurses and overflows the stack in the thousands.
 */
const MAX_MODEL_JSON_DEPTH = 100;

function readJson(file: string): unknown {
  if (!fs.existsSync(file)) throw new InputError(`model file not found: ${file}`);
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new InputError(`${file}: not valid JSON (${(err as Error).message})`);
  }
  const deep = nestedDeeperThan(json, MAX_MODEL_JSON_DEPTH);
  if (deep) throw new InputError(`${file}: ${deep}: nested more than ${MAX_MODEL_JSON_DEPTH} levels deep; no model needs that`);
  return json;
}

/** Reads model.json and its shards into memory; errors name the file that is wrong. */
export function readModelArtifacts(modelJsonPath: string): tf.io.ModelArtifacts {
  return modelJsonArtifacts(modelJsonPath, readJson(modelJsonPath));
}

function modelJsonArtifacts(file: string, parsed: unknown): tf.io.ModelArtifacts {
  const json = parsed as ModelJson;
  if (!json || typeof json !== 'object' || !json.modelTopology) {
    throw new InputError(`${file}: no modelTopology; expected a tfjs LayersModel model.json`);
  }
  return {
    modelTopology: json.modelTopology as tf.io.ModelArtifacts['modelTopology'],
    ...readShards(file, json.weightsManifest ?? []),
    format: json.format,
    generatedBy: json.generatedBy,
    convertedBy: json.convertedBy ?? undefined,
    // tfjs-converter writes it beside the topology; older Keras JSON keeps it inside.
    trainingConfig: json.trainingConfig ?? (json.modelTopology as { training_config?: tf.io.TrainingConfig }).training_config,
    userDefinedMetadata: json.userDefinedMetadata,
  };
}

/**
 * Reads a model.json (LayersModel or GraphModel) or a weights-only manifest (a JSON array of
 * `{ paths, weights }` groups, as tfjs-converter writes beside a model or alone) with its
 * shards; a manifest gives artifacts without a topology.
 */
export function readModelOrWeights(file: string): tf.io.ModelArtifacts {
  const json = readJson(file);
  return Array.isArray(json) ? readShards(file, json) : modelJsonArtifacts(file, json);
}

/** Loads a LayersModel from a model.json path on disk. */
export async function loadModel(modelJsonPath: string): Promise<tf.LayersModel> {
  const artifacts = readModelArtifacts(modelJsonPath);
  try {
    return await tf.loadLayersModel(tf.io.fromMemory(artifacts));
  } catch (err) {
    throw new InputError(`${modelJsonPath}: cannot build the model (${(err as Error).message.split('\n')[0]})`);
  }
}

/** The bytes a model's weights take as float32 (what plain tfjs stores). */
export function float32Bytes(model: tf.LayersModel): number {
  return model.getWeights().reduce((n, w) => n + w.size * 4, 0);
}

/** The model's artifacts as tfjs would save them (topology, weight specs, one weight buffer). */
export async function modelArtifacts(model: tf.LayersModel): Promise<tf.io.ModelArtifacts> {
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      saved = { ...artifacts, modelTopology: completeTopology(model, artifacts.modelTopology) };
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    }),
  );
  return saved as tf.io.ModelArtifacts;
}

/**
 * Writes artifacts as model.json + one weight shard in `dir` (created if needed), each file
 * written atomically. Returns the byte size of the weight shard.
 */
export function writeModelArtifacts(artifacts: tf.io.ModelArtifacts, dir: string): number {
  fs.mkdirSync(dir, { recursive: true });
  const shardName = 'weights.bin';
  const data = artifacts.weightData ? Buffer.from(tf.io.CompositeArrayBuffer.join(artifacts.weightData)) : Buffer.alloc(0);
  const json: ModelJson = {
    modelTopology: artifacts.modelTopology,
    format: artifacts.format,
    generatedBy: artifacts.generatedBy,
    convertedBy: artifacts.convertedBy ?? null,
    weightsManifest: [{ paths: [shardName], weights: artifacts.weightSpecs ?? [] }],
    ...(artifacts.userDefinedMetadata ? { userDefinedMetadata: artifacts.userDefinedMetadata } : {}),
  };
  writeFileAtomic(path.join(dir, shardName), data);
  writeFileAtomic(path.join(dir, 'model.json'), JSON.stringify(json));
  return data.byteLength;
}

/** Saves a model as model.json + one weight shard in `dir`; returns the shard's byte size. */
export async function saveModel(model: tf.LayersModel, dir: string): Promise<number> {
  return writeModelArtifacts(await modelArtifacts(model), dir);
}

interface ModelModule {
  modelJson(): Promise<{ default: { modelTopology: unknown; weightsManifest: { weights: tf.io.WeightsManifestEntry[] }[] } }>;
  weightBundles: (() => Promise<{ default: string }>)[];
}

/**
 * Loads a model shipped as a JS module in a package (nsfwjs's layout), resolved from
 * `baseDir`; `exportName` picks the export (default: the module's only object export).
 */
export async function loadModelFromModule(moduleId: string, exportName: string | undefined, baseDir: string): Promise<tf.LayersModel> {
  let resolved: string;
  try {
    resolved = require.resolve(moduleId, { paths: [baseDir, process.cwd()] });
  } catch {
    throw new InputError(`model module not found: ${moduleId} (install the package that ships it)`);
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const exports = require(resolved) as Record<string, unknown>;
  const candidate = (exportName ? exports[exportName] : Object.values(exports).find((v) => typeof v === 'object' && v !== null && 'modelJson' in v)) as ModelModule | undefined;
  if (!candidate || typeof candidate.modelJson !== 'function' || !Array.isArray(candidate.weightBundles)) {
    throw new InputError(`${moduleId}${exportName ? `#${exportName}` : ''}: not a model module (expected modelJson() and weightBundles)`);
  }
  const topology = (await candidate.modelJson()).default;
  const shards = await Promise.all(candidate.weightBundles.map(async (load) => Buffer.from((await load()).default, 'base64')));
  const all = Buffer.concat(shards);
  return tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: topology.modelTopology as tf.io.ModelArtifacts['modelTopology'],
      weightSpecs: topology.weightsManifest.flatMap((g) => g.weights),
      weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength),
    }),
  );
}

/** The model a pipeline config names: a model.json path relative to `configDir`, or a packaged model module. */
export async function loadConfiguredModel(model: string | ModelModuleRef, configDir: string): Promise<tf.LayersModel> {
  return typeof model === 'string' ? loadModel(path.resolve(configDir, model)) : loadModelFromModule(model.module, model.export, configDir);
}

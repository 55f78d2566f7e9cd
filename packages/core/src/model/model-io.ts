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

interface ModelJson {
  modelTopology?: unknown;
  weightsManifest?: Array<{ paths: string[]; weights: tf.io.WeightsManifestEntry[] }>;
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  trainingConfig?: tf.io.TrainingConfig;
  userDefinedMetadata?: { [key: string]: {} };
}

/**
 * The shards of a weights manifest (groups of `{ paths, weights }`, paths relative to
 * `file`'s folder) as one buffer, checked against the float32 sizes the manifest declares.
 */
function readShards(file: string, manifest: readonly { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[]): { weightSpecs: tf.io.WeightsManifestEntry[]; weightData: ArrayBuffer } {
  const specs: tf.io.WeightsManifestEntry[] = [];
  const buffers: Buffer[] = [];
  const dir = path.dirname(file);
  for (const [i, group] of manifest.entries()) {
    if (!Array.isArray(group?.paths) || !Array.isArray(group?.weights)) throw new InputError(`${file}: weights manifest group ${i} is not { paths, weights }`);
    for (const p of group.paths) {
      const shard = path.join(dir, p);
      if (!fs.existsSync(shard)) throw new InputError(`${file}: weight shard not found: ${shard}`);
      buffers.push(fs.readFileSync(shard));
    }
    specs.push(...group.weights);
  }
  const all = Buffer.concat(buffers);
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
  const expected = specs.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1) * 4, 0);
  if (specs.every((s) => s.dtype === 'float32' && !s.quantization) && expected !== weightData.byteLength) {
    throw new InputError(`${file}: weight shards hold ${weightData.byteLength} bytes, manifest needs ${expected}`);
  }
  return { weightSpecs: specs, weightData };
}

function readJson(file: string): unknown {
  if (!fs.existsSync(file)) throw new InputError(`model file not found: ${file}`);
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new InputError(`${file}: not valid JSON (${(err as Error).message})`);
  }
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

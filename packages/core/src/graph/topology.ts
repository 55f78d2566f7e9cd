/**
 * Rebuilding a LayersModel from an edited copy of its Keras topology JSON: the one path every
 * surgery (channels, layers, heads) takes to make a model of another shape.
 */
import * as tf from '@tensorflow/tfjs';
import { layerKinds, LayerKindRegistry } from './layer-kinds';

export interface LayerJson {
  class_name: string;
  config: { name: string } & Record<string, unknown>;
  /** Functional models: per call, the [layer, node, tensor, kwargs] entries feeding it. */
  inbound_nodes?: [string, number, number, unknown][][];
}

export interface TopologyJson {
  /** `Sequential` or `Model`/`Functional`. */
  class_name: string;
  config: { layers: LayerJson[] } & Record<string, unknown>;
}

/** A deep copy of the model's topology, safe to edit. */
export function topologyOf(model: tf.LayersModel, kinds: LayerKindRegistry = layerKinds): TopologyJson {
  return completeTopology(model, model.toJSON(null, false) as unknown as TopologyJson, kinds);
}

/**
 * Adds to `json` (the model's saved topology) what tfjs's serialisation drops for some layer
 * classes (each kind's `completeConfig`), so what is saved or rebuilt loads as the same model.
 */
export function completeTopology<T>(model: tf.LayersModel, json: T, kinds: LayerKindRegistry = layerKinds): T {
  const layers = (json as unknown as TopologyJson | undefined)?.config?.layers;
  for (const entry of layers ?? []) {
    const complete = kinds.get(entry.class_name)?.completeConfig;
    if (complete) complete(model.getLayer(entry.config.name), entry.config);
  }
  return json;
}

/**
 * Builds the model an edited topology describes. Layers named in `reshaped` get new weight
 * shapes: their Identity initializers (valid only for square kernels) are swapped for zeros
 * so the build succeeds; the caller sets their weights right after.
 */
export async function modelFromTopology(json: TopologyJson, reshaped: Iterable<string> = []): Promise<tf.LayersModel> {
  const names = new Set(reshaped);
  for (const layer of json.config.layers) {
    if (!names.has(layer.config.name)) continue;
    for (const [key, value] of Object.entries(layer.config)) {
      if (key.endsWith('_initializer') && (value as { class_name?: string } | null)?.class_name === 'Identity') layer.config[key] = { class_name: 'Zeros', config: {} };
    }
  }
  return tf.models.modelFromJSON({ modelTopology: json as unknown as tf.io.ModelJSON['modelTopology'] } as tf.io.ModelJSON);
}

/** Copies the weights of every layer of `to` from the same-named layer of `from`, except `skip`. */
export function copyWeights(from: tf.LayersModel, to: tf.LayersModel, skip: ReadonlySet<string> = new Set()): void {
  for (const layer of to.layers) {
    if (skip.has(layer.name)) continue;
    const weights = from.getLayer(layer.name).getWeights();
    if (weights.length > 0) layer.setWeights(weights);
  }
}

/** An independent copy of `model`: same topology, same weights, its own variables. */
export async function cloneModel(model: tf.LayersModel): Promise<tf.LayersModel> {
  const clone = await modelFromTopology(topologyOf(model));
  copyWeights(model, clone);
  return clone;
}

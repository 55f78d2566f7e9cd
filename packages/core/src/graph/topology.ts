/**
 * Rebuilding a LayersModel from an edited copy of its Keras topology JSON: the one path every
 * surgery (channels, layers, heads) takes to make a model of another shape.
 */
import * as tf from '@tensorflow/tfjs';

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
export function topologyOf(model: tf.LayersModel): TopologyJson {
  return model.toJSON(null, false) as unknown as TopologyJson;
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

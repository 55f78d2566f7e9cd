/**
 * Model changes for transfer learning, shared by structured techniques: a new classification
 * head for the target classes, and re-initialisation (training the pruned structure from
 * scratch, Liu et al. 2019's baseline).
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../util/rng';
import { buildModelGraph } from './model-graph';
import { copyWeights, modelFromTopology, topologyOf } from './topology';

/**
 * A copy of `model` whose output Dense layer has `classes` units, freshly initialised (seeded);
 * every other weight is copied. Throws when the output layer is not Dense.
 */
export async function replaceHead(model: tf.LayersModel, classes: number, seed: number): Promise<tf.LayersModel> {
  const head = model.outputs[0].sourceLayer;
  if (head.getClassName() !== 'Dense') throw new Error(`the output layer ${head.name} is ${head.getClassName()}, not Dense; cannot replace the head`);
  const json = topologyOf(model);
  const entry = json.config.layers.find((l) => l.config.name === head.name)!;
  entry.config.units = classes;
  const next = await modelFromTopology(json, [head.name]);
  copyWeights(model, next, new Set([head.name]));
  const [kernel] = next.getLayer(head.name).getWeights();
  const fresh = [tf.initializers.glorotUniform({ seed }).apply(kernel.shape), tf.zeros([classes])];
  next.getLayer(head.name).setWeights(fresh);
  tf.dispose(fresh);
  return next;
}

/**
 * Re-initialises every weight in place, seeded: Glorot-uniform kernels, zero biases and
 * BatchNorm betas/means, unit BatchNorm gammas/variances.
 */
export function reinitialize(model: tf.LayersModel, seed: number): void {
  const rng = new Rng(seed);
  for (const layer of model.layers) {
    const values = layer.weights.map((w) => {
      const name = w.originalName ?? w.name;
      const shape = w.shape as number[];
      if (/(kernel|depthwise_kernel)(_\d+)?$/.test(name)) return tf.initializers.glorotUniform({ seed: rng.childSeed() }).apply(shape);
      if (/(gamma|moving_variance)(_\d+)?$/.test(name)) return tf.ones(shape);
      return tf.zeros(shape);
    });
    if (values.length > 0) layer.setWeights(values);
    tf.dispose(values);
  }
}

export interface NewHeadOptions {
  /** Output classes of the new head (a softmax Dense layer). */
  readonly classes: number;
  readonly seed: number;
  /**
   * Layer whose output feeds the new head; it and its ancestors are kept, everything after
   * it goes. A 4-D output is pooled by a new GlobalAveragePooling2D first, so the network
   * accepts any input size.
   */
  readonly on: string;
  /** A new per-example input shape (e.g. [96, 96, 3]), for fully convolutional bodies. */
  readonly inputShape?: readonly number[];
}

function freshName(taken: ReadonlySet<string>, base: string): string {
  let name = base;
  for (let i = 1; taken.has(name); i++) name = `${base}_${i}`;
  return name;
}

/**
 * A copy of `model` cut after layer `on`, with a new seeded classification head there (global
 * average pooling when needed, then Dense(classes, softmax)) and optionally a new input
 * size. The usual transfer-learning body: a pretrained feature extractor without its
 * task-specific dense layers. Throws naming the layer when `on` does not exist.
 */
export async function attachHead(model: tf.LayersModel, options: NewHeadOptions): Promise<tf.LayersModel> {
  if (!model.layers.some((l) => l.name === options.on)) throw new Error(`head: the model has no layer named "${options.on}"`);
  const current = model.inputs[0].shape.slice(1);
  if (options.inputShape && (options.inputShape.length !== current.length || options.inputShape[current.length - 1] !== current[current.length - 1])) {
    throw new Error(`head: the new input ${options.inputShape.join('×')} must keep the model's rank and ${current[current.length - 1]} channels (it takes ${current.join('×')}); only the spatial size can change`);
  }
  // The body is rebuilt from the edited topology; the head is added with the layers API
  // (hand-written layer JSON is not validated by tfjs and can hang its deserializer).
  const json = topologyOf(model);
  if (json.class_name === 'Sequential') {
    const cut = json.config.layers.findIndex((l) => l.config.name === options.on);
    json.config.layers = json.config.layers.slice(0, cut + 1);
    if (options.inputShape) json.config.layers[0].config.batch_input_shape = [null, ...options.inputShape];
  } else {
    const graph = buildModelGraph(model);
    const keep = new Set<string>();
    const visit = (name: string): void => {
      if (keep.has(name)) return;
      keep.add(name);
      for (const input of graph.nodes.get(name)?.inputs ?? []) visit(input);
    };
    visit(options.on);
    json.config.layers = json.config.layers.filter((l) => keep.has(l.config.name));
    json.config.output_layers = [[options.on, 0, 0]];
    if (options.inputShape) {
      const input = json.config.layers.find((l) => l.class_name === 'InputLayer');
      if (input) input.config.batch_input_shape = [null, ...options.inputShape];
    }
  }
  const body = await modelFromTopology(json);
  copyWeights(model, body);
  const taken = new Set(body.layers.map((l) => l.name));
  let features = body.outputs[0];
  if (features.rank === 4) features = tf.layers.globalAveragePooling2d({ name: freshName(taken, 'head_pool') }).apply(features) as tf.SymbolicTensor;
  const head = tf.layers.dense({ name: freshName(taken, 'head'), units: options.classes, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: options.seed }) });
  return tf.model({ inputs: body.inputs, outputs: head.apply(features) as tf.SymbolicTensor });
}

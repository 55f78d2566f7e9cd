/**
 * The layer DAG of a LayersModel (sequential or functional), in topological order.
 */
import type * as tf from '@tensorflow/tfjs';
import { layerOutputShape } from '../model/layer-shape';

export interface GraphNode {
  readonly name: string;
  readonly className: string;
  readonly layer: tf.layers.Layer;
  /** Names of the layers feeding this one (model inputs included), in call order. */
  readonly inputs: readonly string[];
  /** Channel count (last dimension) of each input, in the same order. */
  readonly inputChannels: readonly number[];
  /** Names of the layers this one feeds. */
  readonly outputs: string[];
  /** Output shape without the batch dimension. */
  readonly outputShape: readonly (number | null)[];
  /** True when the layer is applied more than once (shared weights). */
  readonly shared: boolean;
}

export interface ModelGraph {
  readonly nodes: ReadonlyMap<string, GraphNode>;
  /** Layer names in topological order (the model's own layer order). */
  readonly order: readonly string[];
  /** Names of the layers whose outputs are model outputs. */
  readonly outputNames: readonly string[];
}

interface LayerWithNodes {
  inboundNodes: { inboundLayers: tf.layers.Layer[] }[];
}

/** Output shape without the batch dimension. */
function outputShape(layer: tf.layers.Layer): (number | null)[] {
  return layerOutputShape(layer).slice(1);
}

export function buildModelGraph(model: tf.LayersModel): ModelGraph {
  const nodes = new Map<string, GraphNode>();
  const order: string[] = [];
  for (const layer of model.layers) {
    const inbound = (layer as unknown as LayerWithNodes).inboundNodes;
    nodes.set(layer.name, {
      name: layer.name,
      className: layer.getClassName(),
      layer,
      inputs: inbound.length > 0 ? inbound[0].inboundLayers.map((l) => l.name) : [],
      inputChannels: inbound.length > 0 ? inbound[0].inboundLayers.map((l) => outputShape(l).slice(-1)[0] ?? 0) : [],
      outputs: [],
      outputShape: outputShape(layer),
      shared: inbound.length > 1,
    });
    order.push(layer.name);
  }
  for (const node of nodes.values()) for (const input of node.inputs) nodes.get(input)?.outputs.push(node.name);
  return { nodes, order, outputNames: model.outputs.map((o) => o.sourceLayer.name) };
}

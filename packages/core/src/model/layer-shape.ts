/** A layer's input and output shapes, batch dimension included, whatever the layer's arity. */
import type * as tf from '@tensorflow/tfjs';

type Shape = (number | null)[];

const first = (s: Shape | Shape[]): Shape => (Array.isArray(s[0]) ? (s[0] as Shape) : (s as Shape)).slice();

/** A layer's (first) output shape, batch dimension included. */
export function layerOutputShape(layer: tf.layers.Layer): Shape {
  return first(layer.outputShape as Shape | Shape[]);
}

/** A layer's (first) input shape at its first call, batch dimension included; [] when never called. */
export function layerInputShape(layer: tf.layers.Layer): Shape {
  const nodes = (layer as unknown as { inboundNodes: { inputShapes: Shape | Shape[] }[] }).inboundNodes;
  return nodes.length > 0 ? first(nodes[0].inputShapes) : [];
}

/**
 * Parameter and FLOP counts per layer. FLOPs count each multiply-accumulate of a weighted
 * layer (Dense, Conv1D/2D, Conv2DTranspose, DepthwiseConv2D, SeparableConv2D: each layer
 * kind's `flops`) as 2, the convention of most pruning papers' "FLOPs"; other layers
 * (activations, pooling, batch-norm folded at inference) are not counted. FLOPs are
 * dense FLOPs of the layer's shape: unstructured zeros do not reduce them.
 */
import type * as tf from '@tensorflow/tfjs';
import { layerKinds, LayerKindRegistry } from '../graph/layer-kinds';
import { layerOutputShape } from './layer-shape';

export interface LayerStats {
  readonly name: string;
  readonly className: string;
  readonly outputShape: readonly (number | null)[];
  readonly params: number;
  readonly nonzeroParams: number;
  /** Weights in kernels (the tensors pruning acts on). */
  readonly kernelParams: number;
  readonly kernelZeros: number;
  readonly flops: number;
}

export interface ModelStats {
  readonly layers: LayerStats[];
  readonly params: number;
  readonly nonzeroParams: number;
  readonly flops: number;
  /** zero kernel weights / all kernel weights. */
  readonly sparsity: number;
}

/** True for weights that pruning acts on: the kernels of Dense/Conv layers, not biases or norms. */
export function isKernelWeight(weightName: string): boolean {
  return /(^|\/)(kernel|depthwise_kernel|pointwise_kernel)(_\d+)?(:\d+)?$/.test(weightName);
}

function countZeros(values: Float32Array | Int32Array | Uint8Array): number {
  let z = 0;
  for (let i = 0; i < values.length; i++) if (values[i] === 0) z++;
  return z;
}

/** Forward FLOPs of one example through `model`, from its layers' shapes alone (no weights read). */
export function modelFlops(model: tf.LayersModel, kinds: LayerKindRegistry = layerKinds): number {
  return model.layers.reduce((n, layer) => n + kinds.flops(layer), 0);
}

/** Reads weights synchronously; fine for the model sizes nncompress handles in one process. */
export function modelStats(model: tf.LayersModel, kinds: LayerKindRegistry = layerKinds): ModelStats {
  const layers: LayerStats[] = [];
  for (const layer of model.layers) {
    let params = 0;
    let zeros = 0;
    let kernelParams = 0;
    let kernelZeros = 0;
    for (const w of layer.weights) {
      const values = w.read().dataSync() as Float32Array;
      const z = countZeros(values);
      params += values.length;
      zeros += z;
      if (isKernelWeight(w.originalName ?? w.name)) {
        kernelParams += values.length;
        kernelZeros += z;
      }
    }
    layers.push({
      name: layer.name,
      className: layer.getClassName(),
      outputShape: layerOutputShape(layer),
      params,
      nonzeroParams: params - zeros,
      kernelParams,
      kernelZeros,
      flops: kinds.flops(layer),
    });
  }
  const sum = (f: (l: LayerStats) => number): number => layers.reduce((n, l) => n + f(l), 0);
  const kernelParams = sum((l) => l.kernelParams);
  return {
    layers,
    params: sum((l) => l.params),
    nonzeroParams: sum((l) => l.nonzeroParams),
    flops: sum((l) => l.flops),
    sparsity: kernelParams === 0 ? 0 : sum((l) => l.kernelZeros) / kernelParams,
  };
}

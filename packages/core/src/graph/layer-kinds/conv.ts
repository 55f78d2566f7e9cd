/**
 * Conv1D and Conv2D: producers whose kernel is [taps…, inputs, filters], a linear map per
 * output position (the im2col GEMM view).
 */
import type * as tf from '@tensorflow/tfjs';
import { activationMixes, configOf, configuredActivation, kernelSize, onLastAxis, outputPositions } from './config';
import type { LayerKind, LinearKernel } from './kind';

function convKind(className: string, linearKernel: LinearKernel): LayerKind {
  return {
    className,
    channels: (layer) => onLastAxis(layer, { role: 'producer', outputBlocked: activationMixes(configOf(layer).activation, layer.name) }),
    weightAxes: (layer: tf.layers.Layer) => {
      const rank = layer.getWeights()[0].rank;
      return [{ input: rank - 2, output: rank - 1 }, ...(layer.getWeights().length > 1 ? [{ output: 0 }] : [])];
    },
    activation: configuredActivation,
    widthKey: 'filters',
    linearKernel,
    flops: (layer) => 2 * kernelSize(layer) * outputPositions(layer),
    block: 'head',
  };
}

export const conv1dKind = convKind('Conv1D', 'conv1d');
export const conv2dKind = convKind('Conv2D', 'conv2d');

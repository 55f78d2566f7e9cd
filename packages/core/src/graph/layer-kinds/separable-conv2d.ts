/**
 * SeparableConv2D: a depthwise kernel [k_h, k_w, inputs, multiplier], then a pointwise
 * kernel [1, 1, inputs·multiplier, filters] whose row c·multiplier + j reads input channel c.
 * tfjs (4.x) leaves `depth_multiplier` out of the layer's saved config, so a model with a
 * multiplier above 1 would not load back; `completeConfig` writes it from the weights.
 */
import { activationMixes, configOf, configuredActivation, kernelSize, onLastAxis, outputPositions } from './config';
import type { LayerKind } from './kind';

export const separableConv2dKind: LayerKind = {
  className: 'SeparableConv2D',
  channels: (layer) => onLastAxis(layer, { role: 'producer', outputBlocked: activationMixes(configOf(layer).activation, layer.name) }),
  weightAxes: (layer) => {
    const multiplier = layer.getWeights()[0].shape[3];
    return [{ input: 2 }, { input: 2, inputRepeat: multiplier, output: 3 }, ...(layer.getWeights().length > 2 ? [{ output: 0 }] : [])];
  },
  activation: configuredActivation,
  widthKey: 'filters',
  flops: (layer) => 2 * (kernelSize(layer, 0) + kernelSize(layer, 1)) * outputPositions(layer),
  block: 'head',
  completeConfig: (layer, config) => {
    config.depth_multiplier ??= layer.getWeights()[0]?.shape[3] ?? 1;
  },
};

/**
 * Conv2DTranspose: a producer whose kernel is [k_h, k_w, filters, inputs] (output before
 * input, unlike Conv2D). Every input position scatters the whole kernel, so its FLOPs
 * follow the input's positions, not the output's.
 */
import { activationMixes, configOf, configuredActivation, inputPositions, kernelSize, onLastAxis } from './config';
import type { LayerKind } from './kind';

export const conv2dTransposeKind: LayerKind = {
  className: 'Conv2DTranspose',
  channels: (layer) => onLastAxis(layer, { role: 'producer', outputBlocked: activationMixes(configOf(layer).activation, layer.name) }),
  weightAxes: (layer) => [{ output: 2, input: 3 }, ...(layer.getWeights().length > 1 ? [{ output: 0 }] : [])],
  activation: configuredActivation,
  widthKey: 'filters',
  flops: (layer) => 2 * kernelSize(layer) * inputPositions(layer),
  block: 'head',
};

/** Dense: a producer whose kernel is [inputs, units]; on rank > 2 inputs it acts on the last axis. */
import { activationMixes, configOf, configuredActivation, kernelSize, outputPositions } from './config';
import type { LayerKind } from './kind';

export const denseKind: LayerKind = {
  className: 'Dense',
  channels: (layer) => ({ role: 'producer', outputBlocked: activationMixes(configOf(layer).activation, layer.name) }),
  weightAxes: (layer) => [{ input: 0, output: 1 }, ...(layer.getWeights().length > 1 ? [{ output: 0 }] : [])],
  activation: configuredActivation,
  widthKey: 'units',
  linearKernel: 'dense',
  flops: (layer) => 2 * kernelSize(layer) * outputPositions(layer),
  block: 'head',
};

/** DepthwiseConv2D: with depth multiplier 1, output channel k is input channel k filtered alone. */
import { activationMixes, configOf, configuredActivation, kernelSize, onLastAxis, outputPositions } from './config';
import type { LayerKind } from './kind';

export const depthwiseConv2dKind: LayerKind = {
  className: 'DepthwiseConv2D',
  channels: (layer) => {
    const config = configOf(layer);
    const multiplier = (config.depthMultiplier as number | undefined) ?? 1;
    if (multiplier !== 1) return { role: 'unsupported', reason: `${layer.name} has depth multiplier ${multiplier}` };
    const mixes = activationMixes(config.activation, layer.name);
    return onLastAxis(layer, mixes ? { role: 'unsupported', reason: mixes } : { role: 'channelwise' });
  },
  activation: configuredActivation,
  weightAxes: (layer) => [{ channel: 2 }, ...(layer.getWeights().length > 1 ? [{ channel: 0 }] : [])],
  flops: (layer) => 2 * kernelSize(layer) * outputPositions(layer),
  block: 'head',
};

/** BatchNormalization: channelwise when it normalises the last axis (gamma, beta, moving mean and variance per channel). */
import { layerOutputShape } from '../../model/layer-shape';
import { configOf } from './config';
import type { LayerKind } from './kind';

export const batchNormalizationKind: LayerKind = {
  className: 'BatchNormalization',
  channels: (layer) => {
    const axis = (configOf(layer).axis as number | number[] | undefined) ?? -1;
    const last = layerOutputShape(layer).length - 1;
    const single = Array.isArray(axis) ? (axis.length === 1 ? axis[0] : undefined) : axis;
    if (single === -1 || single === last) return { role: 'channelwise' };
    return { role: 'unsupported', reason: `BatchNormalization layer ${layer.name} normalises axis ${JSON.stringify(axis)}: nncompress follows channels on the last axis only` };
  },
  weightAxes: (layer) => layer.getWeights().map(() => ({ channel: 0 })),
  block: 'trailing',
};

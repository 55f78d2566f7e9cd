/**
 * Layers without weights: activations, noise, pooling, padding and reshaping, merges, and
 * model inputs. Each keeps or joins channels in a way declared here; layers that keep
 * channels on another axis or mix them are unsupported, with the reason.
 */
import type * as tf from '@tensorflow/tfjs';
import { layerOutputShape } from '../../model/layer-shape';
import { activationMixes, configOf, configuredActivation, onLastAxis } from './config';
import type { ChannelBehaviour, LayerKind } from './kind';

interface Options {
  /** The element-wise activation the layer applies. */
  readonly activation?: string;
  readonly block?: 'trailing';
  readonly lookThrough?: boolean;
  /** The layer has a data format option: channels-first configs are unsupported. */
  readonly dataFormat?: boolean;
}

function passThrough(className: string, options: Options = {}): LayerKind {
  const behaviour: ChannelBehaviour = { role: 'pass-through' };
  return {
    className,
    channels: (layer) => (options.dataFormat ? onLastAxis(layer, behaviour) : behaviour),
    ...(options.activation ? { activation: () => options.activation } : {}),
    ...(options.block ? { block: options.block } : {}),
    ...(options.lookThrough ? { lookThrough: true } : {}),
  };
}

const activation: LayerKind = {
  className: 'Activation',
  channels: (layer) => {
    const mixes = activationMixes(configOf(layer).activation, layer.name);
    return mixes ? { role: 'unsupported', reason: mixes } : { role: 'pass-through' };
  },
  activation: configuredActivation,
  block: 'trailing',
  lookThrough: true,
};

const softmax: LayerKind = {
  className: 'Softmax',
  channels: (layer) => ({ role: 'unsupported', reason: `Softmax layer ${layer.name} mixes channels (it normalises across them)` }),
};

const flatten: LayerKind = {
  className: 'Flatten',
  channels: (layer) => onLastAxis(layer, { role: 'flatten' }),
  lookThrough: true,
};

const concatenate: LayerKind = {
  className: 'Concatenate',
  channels: (layer: tf.layers.Layer) => {
    const axis = (configOf(layer).axis as number | undefined) ?? -1;
    if (axis === -1 || axis === layerOutputShape(layer).length - 1) return { role: 'concat' };
    return { role: 'unsupported', reason: `${layer.name} concatenates along axis ${axis}` };
  },
};

const merge = (className: string): LayerKind => ({ className, channels: () => ({ role: 'elementwise' }) });

export const weightlessKinds: readonly LayerKind[] = [
  { className: 'InputLayer', channels: () => ({ role: 'input' }) },
  activation,
  softmax,
  ...([['ReLU', 'relu'], ['LeakyReLU', 'leakyRelu'], ['ELU', 'elu'], ['ThresholdedReLU', 'thresholdedRelu']] as const).map(([c, activation]) => passThrough(c, { activation, block: 'trailing', lookThrough: true })),
  passThrough('Dropout', { block: 'trailing', lookThrough: true }),
  ...['SpatialDropout1D', 'GaussianNoise', 'GaussianDropout', 'AlphaDropout'].map((c) => passThrough(c)),
  ...['MaxPooling2D', 'AveragePooling2D', 'GlobalAveragePooling2D', 'GlobalMaxPooling2D', 'ZeroPadding2D'].map((c) => passThrough(c, { lookThrough: true, dataFormat: true })),
  ...['MaxPooling1D', 'AveragePooling1D', 'GlobalAveragePooling1D', 'GlobalMaxPooling1D', 'Cropping2D', 'UpSampling2D'].map((c) => passThrough(c, { dataFormat: true })),
  flatten,
  concatenate,
  ...['Add', 'Multiply', 'Average', 'Maximum', 'Minimum', 'Subtract'].map(merge),
];

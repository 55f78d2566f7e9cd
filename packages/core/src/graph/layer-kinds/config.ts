/** Reading layer configs the way every kind needs them. */
import type * as tf from '@tensorflow/tfjs';
import { layerInputShape, layerOutputShape } from '../../model/layer-shape';
import type { ChannelBehaviour } from './kind';

export type LayerConfig = Record<string, unknown>;

export const configOf = (layer: tf.layers.Layer): LayerConfig => layer.getConfig() as LayerConfig;

/**
 * Activations that act on each entry alone, so a removed channel changes no other channel.
 * Anything else (softmax normalises across channels) is not channel-wise.
 */
export const ELEMENTWISE_ACTIVATIONS: ReadonlySet<string> = new Set([
  'linear', 'relu', 'relu6', 'elu', 'selu', 'sigmoid', 'hardSigmoid', 'hard_sigmoid', 'tanh', 'softplus', 'softsign', 'swish', 'mish', 'gelu', 'gelu_new',
]);

/** Why `activation` is not channel-wise, or undefined when it is. */
export function activationMixes(activation: unknown, layerName: string): string | undefined {
  const name = typeof activation === 'string' ? activation : 'linear';
  if (ELEMENTWISE_ACTIVATIONS.has(name)) return undefined;
  if (name === 'softmax') return `activation softmax of ${layerName} mixes channels (it normalises across them)`;
  return `activation ${name} of ${layerName} is not declared channel-wise`;
}

/** Why the layer's channels are not on the last axis, or undefined when they are. */
export function channelsNotLast(layer: tf.layers.Layer, config: LayerConfig = configOf(layer)): string | undefined {
  const format = config.dataFormat ?? config.data_format;
  if (format === undefined || format === 'channelsLast' || format === 'channels_last') return undefined;
  return `${layer.getClassName()} layer ${layer.name} has data format ${String(format)}: nncompress follows channels on the last axis only`;
}

/** A behaviour, unless the layer keeps channels elsewhere than on the last axis. */
export function onLastAxis(layer: tf.layers.Layer, behaviour: ChannelBehaviour): ChannelBehaviour {
  const reason = channelsNotLast(layer);
  return reason ? { role: 'unsupported', reason } : behaviour;
}

const positions = (layer: tf.layers.Layer, shape: readonly (number | null)[]): number => {
  const axes = channelsNotLast(layer) !== undefined ? shape.slice(2) : shape.slice(1, -1);
  return axes.reduce<number>((n, d) => n * (d ?? 1), 1);
};

/** Positions per example of the layer's output: every axis but batch and channels. */
export const outputPositions = (layer: tf.layers.Layer): number => positions(layer, layerOutputShape(layer));

/** Positions per example of the layer's (first) input: every axis but batch and channels. */
export const inputPositions = (layer: tf.layers.Layer): number => positions(layer, layerInputShape(layer));

export const kernelSize = (layer: tf.layers.Layer, index = 0): number => layer.getWeights()[index]?.size ?? 0;

/** The fused activation of a layer's config, by tfjs name ('linear' when none is set). */
export const configuredActivation = (layer: tf.layers.Layer): string => {
  const a = configOf(layer).activation;
  return typeof a === 'string' ? a : 'linear';
};

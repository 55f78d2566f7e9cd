/**
 * nncompress-plugin-stage-csv/channel-scale: a custom Keras layer class and the layer kind
 * that lets nncompress prune through it. `ChannelScale` multiplies every channel by its own
 * learned factor (one weight per channel). Loading this module registers the class with
 * tfjs, so models that use it load; applying the plugin registers its layer kind, so filter
 * pruning removes a channel's factor together with the channel instead of leaving the
 * channels around the layer alone.
 *
 *   plugins:
 *     scale: { use: ../third-party-plugin/dist/channel-scale.js }
 */
import { definePlugin, tf } from '@nncompress/core';
import { LayerKind, layerKinds } from '@nncompress/core/graph';

export interface ChannelScaleArgs {
  name?: string;
  trainable?: boolean;
}

export class ChannelScale extends tf.layers.Layer {
  static readonly className = 'ChannelScale';
  private scale: tf.LayerVariable | undefined;

  constructor(args: ChannelScaleArgs = {}) {
    super(args);
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    this.scale = this.addWeight('scale', [shape[shape.length - 1] as number], 'float32', tf.initializers.ones());
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => tf.mul(Array.isArray(inputs) ? inputs[0] : inputs, this.scale!.read()));
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }
}
tf.serialization.registerClass(ChannelScale);

/** Channel k out is channel k in times its own factor: channelwise, its one weight follows the channels. */
export const channelScaleKind: LayerKind = {
  className: ChannelScale.className,
  channels: () => ({ role: 'channelwise' }),
  weightAxes: () => [{ channel: 0 }],
  block: 'trailing',
};

const channelScalePlugin = definePlugin({
  id: 'nncompress-plugin-channel-scale',
  optionsSchema: { type: 'object', additionalProperties: false, properties: {} },
  apply() {
    // Registered once per process; a second run in the same process finds it there.
    if (!layerKinds.get(channelScaleKind.className)) layerKinds.register(channelScaleKind);
  },
});

export default channelScalePlugin;

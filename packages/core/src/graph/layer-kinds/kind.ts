/**
 * What core knows about one Keras layer class: how the layer treats the channel axis (so
 * channel groups can follow channels through it), which axes of its weights follow which
 * channels (so surgery can slice them), the config key of its output width, and its FLOPs.
 *
 * A layer whose class has no kind, or whose config the kind does not understand (another
 * data format, an activation that mixes channels), is `unsupported`: its channels are never
 * pruned, and the reason is reported. Plugins register kinds for their own layer classes
 * (`layerKinds.register`).
 */
import type * as tf from '@tensorflow/tfjs';

/**
 * - `producer`: computes new output channels from all of its input channels (Conv2D, Dense):
 *   a consumer of its input's channels and the producer of a new channel space;
 * - `channelwise`: output channel k depends on input channel k alone, through per-channel
 *   weights (BatchNormalization, DepthwiseConv2D with multiplier 1);
 * - `pass-through`: no weights, output channel k depends on input channel k alone
 *   (element-wise activations, pooling, padding, dropout);
 * - `elementwise`: joins inputs of the same channels entry by entry (Add, Multiply, …);
 * - `flatten`: folds every position into the channel axis (Flatten);
 * - `concat`: joins its inputs' channel axes one after another (Concatenate on the last axis);
 * - `input`: a model input (InputLayer).
 */
export type ChannelRole = 'producer' | 'channelwise' | 'pass-through' | 'elementwise' | 'flatten' | 'concat' | 'input';

/** How one layer, with its config, treats channels. */
export type ChannelBehaviour =
  | {
      readonly role: ChannelRole;
      /** A producer whose own output channels cannot be removed (e.g. a fused softmax mixes them), and why. */
      readonly outputBlocked?: string;
    }
  | { readonly role: 'unsupported'; readonly reason: string };

/**
 * Which axes of one weight tensor follow channels. `input`: the layer's input channels (a
 * consumer's rows); `output`: its own output channels (a producer's); `channel`: the channel
 * a channelwise layer passes through. `repeat` r: index c·r + j (0 ≤ j < r) along that axis
 * belongs to channel c (a separable convolution's pointwise rows after a depth multiplier).
 */
export interface WeightAxes {
  readonly input?: number;
  readonly output?: number;
  readonly channel?: number;
  readonly inputRepeat?: number;
}

/**
 * The layout of a kernel that is a plain linear map over [taps…, inputs, outputs] (Dense,
 * Conv1D, Conv2D): mean replacement, compaction, least-squares repair and GEMM views rely on it.
 */
export type LinearKernel = 'dense' | 'conv1d' | 'conv2d';

export interface LayerKind {
  /** The Keras/tfjs class name (`layer.getClassName()`). */
  readonly className: string;
  /** How this layer instance treats channels; read from its config. */
  channels(layer: tf.layers.Layer): ChannelBehaviour;
  /** Per weight, in `getWeights()` order: the axes that follow channels (none: kept whole). */
  weightAxes?(layer: tf.layers.Layer): readonly WeightAxes[];
  /** Producers: the config key of the output width (`filters`, `units`), rewritten by surgery. */
  readonly widthKey?: string;
  /** Weights are a linear map in [taps…, inputs, outputs] layout (see `LinearKernel`). */
  readonly linearKernel?: LinearKernel;
  /**
   * The element-wise activation the layer applies, by tfjs name (`relu`, `elu`, …): an
   * activation layer's, or a producer's fused one; undefined for layers that apply none.
   */
  activation?(layer: tf.layers.Layer): string | undefined;
  /** Multiply-accumulates ×2 for one example (0 when omitted). */
  flops?(layer: tf.layers.Layer): number;
  /**
   * Layer pruning: `head` layers (weighted) start a removable block; `trailing` ones
   * (per-position, per-channel: normalisation, activation, dropout) go with the block before
   * them. `lookThrough`: weightless layers a least-squares repair may look through.
   */
  readonly block?: 'head' | 'trailing';
  readonly lookThrough?: boolean;
  /**
   * Fills in `config` (the layer's Keras JSON config, snake_case) what tfjs's own
   * serialisation drops, so a saved or rebuilt model keeps the layer's real shape.
   */
  completeConfig?(layer: tf.layers.Layer, config: Record<string, unknown>): void;
}

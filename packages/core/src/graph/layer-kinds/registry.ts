/**
 * The layer-kind registry: the one place core learns what a Keras layer class does with
 * channels, weights and FLOPs. Channel groups, surgery, layer surgery, compaction, statistics
 * and the plugins read it; a plugin that brings its own layer class registers its kind here.
 */
import type * as tf from '@tensorflow/tfjs';
import { Registry } from '../../util/registry';
import { batchNormalizationKind } from './batch-normalization';
import { conv1dKind, conv2dKind } from './conv';
import { conv2dTransposeKind } from './conv2d-transpose';
import { denseKind } from './dense';
import { depthwiseConv2dKind } from './depthwise-conv2d';
import type { ChannelBehaviour, LayerKind } from './kind';
import { separableConv2dKind } from './separable-conv2d';
import { weightlessKinds } from './weightless';

export class LayerKindRegistry extends Registry<LayerKind> {
  constructor(kinds: readonly LayerKind[] = []) {
    super('layer kind', (k) => k.className);
    for (const k of kinds) this.register(k);
  }

  /** Adds a kind; a class that already has one is an error unless `replace` is set. */
  override register(kind: LayerKind, options: { readonly replace?: boolean } = {}): this {
    if (typeof kind?.className !== 'string' || typeof kind.channels !== 'function') throw new Error('a layer kind needs a className and a channels(layer) function');
    return super.register(kind, options);
  }

  classNames(): string[] {
    return this.keys();
  }

  /** How `layer` treats channels; unsupported, with the reason, when its class has no kind. */
  channels(layer: tf.layers.Layer): ChannelBehaviour {
    const kind = this.get(layer.getClassName());
    if (!kind) return { role: 'unsupported', reason: `${layer.getClassName()} layer ${layer.name}` };
    return kind.channels(layer);
  }

  /** FLOPs of one example through `layer` (0 for classes without a count). */
  flops(layer: tf.layers.Layer): number {
    return this.get(layer.getClassName())?.flops?.(layer) ?? 0;
  }
}

export const builtinLayerKinds: readonly LayerKind[] = [
  denseKind, conv1dKind, conv2dKind, conv2dTransposeKind, separableConv2dKind, depthwiseConv2dKind, batchNormalizationKind, ...weightlessKinds,
];

/** The registry core uses unless given another; plugins add their layer classes to it. */
export const layerKinds = new LayerKindRegistry(builtinLayerKinds);

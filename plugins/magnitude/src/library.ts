import { ArrayDataset, MaskSet, prunableWeights, Rng, tf } from '@nncompress/core';
import type { SelectionScope } from './schema';
import { scoreWeights } from './scores';
import { selectMasks } from './select';

export interface MagnitudePruneOptions {
  /** Kernel sparsity to reach, in [0, 1). */
  readonly sparsity: number;
  readonly scope?: SelectionScope;
  /** A weight importance measure of core's (default magnitude). */
  readonly criterion?: string;
  readonly exclude?: readonly string[];
  /** Calibration data, needed by the Taylor criterion. */
  readonly data?: ArrayDataset;
  readonly seed?: number;
}

/**
 * One-shot pruning of a model in place, without the pipeline: scores, selects and writes
 * exact zeros. Returns the masks (pass them to core's `train` to fine-tune mask-aware).
 */
export function magnitudePrune(model: tf.LayersModel, options: MagnitudePruneOptions): MaskSet {
  const scores = scoreWeights(model, options.criterion ?? 'magnitude', {
    exclude: options.exclude,
    data: options.data,
    rng: new Rng(options.seed ?? 0),
  });
  const total = prunableWeights(model).reduce((n, w) => n + w.size, 0);
  const masks = new MaskSet();
  for (const [name, mask] of selectMasks(scores, options.sparsity, options.scope ?? 'global', total)) masks.set(name, mask);
  masks.apply(model);
  return masks;
}

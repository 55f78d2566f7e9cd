import { pruneCount } from '@nncompress/core';
import type { SelectionScope } from './schema';

/**
 * Indices of the `count` lowest-scored entries, ties broken by position so that the result
 * is deterministic.
 */
function lowest(scores: Float32Array, count: number): Uint32Array {
  const order = new Uint32Array(scores.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  order.sort((a, b) => scores[a] - scores[b] || a - b);
  return order.subarray(0, count);
}

/**
 * Masks (1 keep, 0 prune) that bring the kernel sparsity of the whole model to at least
 * `sparsity` (by less than one weight per layer over it).
 * `totalKernelSize` counts every kernel entry, scored or not: weights without scores
 * (excluded layers) count as kept, so scored layers are pruned harder to reach the target.
 */
export function selectMasks(
  scores: ReadonlyMap<string, Float32Array>,
  sparsity: number,
  scope: SelectionScope,
  totalKernelSize: number,
): Map<string, Uint8Array> {
  if (!(sparsity >= 0 && sparsity < 1)) throw new Error(`sparsity must be in [0, 1), got ${sparsity}`);
  const scored = [...scores.values()].reduce((n, s) => n + s.length, 0);
  const toPrune = pruneCount(sparsity, totalKernelSize);
  if (toPrune > scored) {
    throw new Error(`sparsity ${sparsity} needs ${toPrune} pruned weights but only ${scored} are prunable (the rest are excluded)`);
  }
  const masks = new Map<string, Uint8Array>();
  if (scope === 'layer') {
    const rate = scored === 0 ? 0 : toPrune / scored;
    for (const [name, s] of scores) {
      const mask = new Uint8Array(s.length).fill(1);
      for (const i of lowest(s, pruneCount(rate, s.length))) mask[i] = 0;
      masks.set(name, mask);
    }
    return masks;
  }
  const names = [...scores.keys()];
  const all = new Float32Array(scored);
  const offsets: number[] = [];
  let offset = 0;
  for (const name of names) {
    offsets.push(offset);
    all.set(scores.get(name)!, offset);
    offset += scores.get(name)!.length;
  }
  const flat = new Uint8Array(scored).fill(1);
  for (const i of lowest(all, toPrune)) flat[i] = 0;
  names.forEach((name, k) => masks.set(name, flat.slice(offsets[k], offsets[k] + scores.get(name)!.length)));
  return masks;
}

/**
 * Masks for per-layer sparsities (weight name → rate), scaled by `scale` (the round's share
 * of the final map). Each listed weight loses its lowest-scored entries.
 */
export function selectMasksByLayer(scores: ReadonlyMap<string, Float32Array>, rates: ReadonlyMap<string, number>, scale = 1): Map<string, Uint8Array> {
  const masks = new Map<string, Uint8Array>();
  for (const [name, rate] of rates) {
    const s = scores.get(name);
    if (!s) throw new Error(`layerSparsity: no scores for weight "${name}"`);
    const scaled = Math.min(rate * scale, 1);
    if (!(scaled >= 0 && scaled < 1)) throw new Error(`layerSparsity: "${name}" would need sparsity ${scaled}`);
    const mask = new Uint8Array(s.length).fill(1);
    for (const i of lowest(s, pruneCount(scaled, s.length))) mask[i] = 0;
    masks.set(name, mask);
  }
  return masks;
}

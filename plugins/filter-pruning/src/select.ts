/**
 * Which channels go, given per-channel scores. Ratios are cumulative and relative to the
 * group sizes first seen (`original`), so rounds of an iterative or gradual schedule add up
 * to the target instead of compounding.
 */
import { ChannelGroup, pruneCount } from '@nncompress/core';

export interface ChannelSelection {
  /** Target fraction of the original prunable channels removed in all, in [0, 1). */
  readonly ratio: number;
  readonly scope: 'global' | 'layer';
  readonly normalize: 'mean' | 'max' | 'none';
  /** Layer scope: producer name → ratio, overriding `ratio` for that producer's group. */
  readonly layerRatios: Readonly<Record<string, number>>;
  readonly minChannels: number;
  /** Group size when first seen, by the group's first producer; defaults to the current size. */
  readonly original: ReadonlyMap<string, number>;
}

function lowest(scores: Float32Array, count: number): number[] {
  return Array.from(scores.keys())
    .sort((a, b) => scores[a] - scores[b] || a - b)
    .slice(0, count);
}

function normalized(scores: Float32Array, how: ChannelSelection['normalize']): Float32Array {
  if (how === 'none' || scores.length === 0) return scores;
  const scale = how === 'max' ? scores.reduce((a, b) => Math.max(a, b), -Infinity) : scores.reduce((a, b) => a + b, 0) / scores.length;
  return scale > 0 ? scores.map((v) => v / scale) : scores;
}

/** group id → channels to remove now. `groups` are the prunable, unprotected groups. */
export function selectChannels(groups: readonly ChannelGroup[], scores: ReadonlyMap<number, Float32Array>, sel: ChannelSelection): Map<number, number[]> {
  const removals = new Map<number, number[]>();
  const originalOf = (g: ChannelGroup): number => sel.original.get(g.producers[0]) ?? g.size;
  const scored = groups.filter((g) => scores.has(g.id));
  if (sel.scope === 'layer') {
    for (const g of scored) {
      const ratio = g.producers.map((p) => sel.layerRatios[p]).find((r) => r !== undefined) ?? sel.ratio;
      const orig = originalOf(g);
      const keep = Math.max(sel.minChannels, orig - pruneCount(ratio, orig));
      const remove = Math.max(0, g.size - keep);
      if (remove > 0) removals.set(g.id, lowest(scores.get(g.id)!, remove).sort((a, b) => a - b));
    }
    return removals;
  }
  const originalTotal = scored.reduce((n, g) => n + originalOf(g), 0);
  const removedSoFar = scored.reduce((n, g) => n + originalOf(g) - g.size, 0);
  let budget = pruneCount(sel.ratio, originalTotal) - removedSoFar;
  const pool: { group: ChannelGroup; channel: number; score: number }[] = [];
  for (const g of scored) normalized(scores.get(g.id)!, sel.normalize).forEach((score, channel) => pool.push({ group: g, channel, score }));
  pool.sort((a, b) => a.score - b.score || a.group.id - b.group.id || a.channel - b.channel);
  const left = new Map(scored.map((g) => [g.id, g.size] as const));
  for (const { group, channel } of pool) {
    if (budget <= 0) break;
    if (left.get(group.id)! <= sel.minChannels) continue;
    left.set(group.id, left.get(group.id)! - 1);
    removals.set(group.id, [...(removals.get(group.id) ?? []), channel]);
    budget--;
  }
  for (const list of removals.values()) list.sort((a, b) => a - b);
  return removals;
}

import { pruneCount } from '@nncompress/core';
import type { RetentionScope } from './schema';

/**
 * The retention problem for one round. Every scored weight entry has a flat position: the
 * weights in the order of the score map, each entry at `offsets[w] + index`. A bucket is a
 * set of positions that keeps a fixed count — one per layer (`layer` scope) or one over all
 * layers (`global`).
 */
export interface RetentionPlan {
  readonly names: readonly string[];
  readonly offsets: readonly number[];
  readonly size: number;
  readonly buckets: readonly RetentionBucket[];
  /** 1 keeps a position: the large set plus the saliency's choice from the pool. */
  readonly keep: Uint8Array;
}

export interface RetentionBucket {
  /** Weight names in the bucket. */
  readonly names: readonly string[];
  /** Entries the bucket keeps: k. */
  readonly keep: number;
  /** Entries kept for their magnitude: (1 − ρ)·k, rounded so that retain = round(ρ·k). */
  readonly large: number;
  /** Entries chosen from the small-weight pool: round(ρ·k). */
  readonly retain: number;
  /**
   * The pool (every entry outside the large set) as flat positions: entries still non-zero
   * by best saliency first, then the zeros an earlier round pruned (they stay pruned).
   */
  readonly pool: Uint32Array;
  /** Non-zero entries at the head of `pool`: what a search may swap in. */
  readonly live: number;
}

export interface RetentionTarget {
  /** Kernel sparsity of the whole model to reach, in [0, 1). */
  readonly sparsity: number;
  readonly rho: number;
  readonly scope: RetentionScope;
  /** Every kernel entry of the model, scored or not: unscored (excluded) entries count as kept. */
  readonly totalKernelSize: number;
}

/** Positions sorted by descending `value`, ties by position (deterministic). */
function descending(positions: Uint32Array, value: Float32Array): Uint32Array {
  return positions.sort((a, b) => value[b] - value[a] || a - b);
}

export function checkRho(rho: number): void {
  if (!(rho >= 0 && rho <= 1)) throw new Error(`rho must be in [0, 1], got ${rho}`);
}

/**
 * Splits each bucket's k kept entries into the (1 − ρ)k largest by magnitude, kept
 * unconditionally, and the ρk of the remaining pool with the highest saliency. With ρ = 0
 * this is magnitude pruning; the pool ordering is what the search starts from.
 */
export function planRetention(
  magnitudes: ReadonlyMap<string, Float32Array>,
  saliency: ReadonlyMap<string, Float32Array>,
  target: RetentionTarget,
): RetentionPlan {
  checkRho(target.rho);
  if (!(target.sparsity >= 0 && target.sparsity < 1)) throw new Error(`sparsity must be in [0, 1), got ${target.sparsity}`);
  const names = [...magnitudes.keys()];
  const offsets: number[] = [];
  let size = 0;
  for (const name of names) {
    const s = saliency.get(name);
    const m = magnitudes.get(name) as Float32Array;
    if (!s) throw new Error(`no saliency scores for weight "${name}"`);
    if (s.length !== m.length) throw new Error(`weight "${name}": ${s.length} saliency scores for ${m.length} entries`);
    offsets.push(size);
    size += m.length;
  }
  const flatMagnitude = new Float32Array(size);
  const flatSaliency = new Float32Array(size);
  names.forEach((name, w) => {
    flatMagnitude.set(magnitudes.get(name) as Float32Array, offsets[w]);
    flatSaliency.set(saliency.get(name) as Float32Array, offsets[w]);
  });
  const toPrune = pruneCount(target.sparsity, target.totalKernelSize);
  if (toPrune > size) throw new Error(`sparsity ${target.sparsity} needs ${toPrune} pruned weights but only ${size} are prunable (the rest are excluded)`);

  const keep = new Uint8Array(size);
  const buckets: RetentionBucket[] = [];
  const addBucket = (bucketNames: string[], from: number, to: number, keepCount: number): void => {
    const positions = new Uint32Array(to - from);
    for (let i = 0; i < positions.length; i++) positions[i] = from + i;
    descending(positions, flatMagnitude);
    const retain = Math.round(target.rho * keepCount);
    const large = keepCount - retain;
    for (let i = 0; i < large; i++) keep[positions[i]] = 1;
    // Zeros last: a weight an earlier round pruned has zero saliency and stays pruned.
    const pool = positions.slice(large).sort((a, b) => Number(flatMagnitude[b] > 0) - Number(flatMagnitude[a] > 0) || flatSaliency[b] - flatSaliency[a] || a - b);
    let live = 0;
    while (live < pool.length && flatMagnitude[pool[live]] > 0) live++;
    for (let i = 0; i < retain; i++) keep[pool[i]] = 1;
    buckets.push({ names: bucketNames, keep: keepCount, large, retain, pool, live });
  };
  if (target.scope === 'layer') {
    const rate = size === 0 ? 0 : toPrune / size;
    names.forEach((name, w) => {
      const n = (magnitudes.get(name) as Float32Array).length;
      addBucket([name], offsets[w], offsets[w] + n, n - pruneCount(rate, n));
    });
  } else {
    addBucket(names, 0, size, size - toPrune);
  }
  return { names, offsets, size, buckets, keep };
}

/** The plan's flat keep bits as one mask per weight. */
export function masksOf(plan: Pick<RetentionPlan, 'names' | 'offsets' | 'size'>, keep: Uint8Array): Map<string, Uint8Array> {
  return new Map(plan.names.map((name, w) => [name, keep.slice(plan.offsets[w], w + 1 < plan.names.length ? plan.offsets[w + 1] : plan.size)] as const));
}

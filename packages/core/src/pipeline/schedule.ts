/**
 * Per-round sparsity targets for a stage. Core owns this (not a pruning plugin) so that every
 * selector — magnitude, small-weight retention, third-party — follows the same schedule by
 * reading `round.targetSparsity`.
 *  - one-shot: a single round straight to the target.
 *  - iterative (Han et al. 2015): equal steps, round k of n reaches target·k/n.
 *  - gradual (Zhu & Gupta 2017): s_k = s_f + (s_i − s_f)·(1 − k/n)³, k = 1..n; prunes fast
 *    early, while there are many redundant weights, and slowly near the target.
 */
import type { ScheduleConfig } from '../config/types';

export function roundTargets(target: number, schedule: ScheduleConfig | undefined): number[] {
  const kind = schedule?.kind ?? 'one-shot';
  const rounds = kind === 'one-shot' ? 1 : (schedule?.rounds ?? 4);
  const initial = schedule?.initial ?? 0;
  const out: number[] = [];
  for (let k = 1; k <= rounds; k++) {
    if (kind === 'gradual') out.push(target + (initial - target) * (1 - k / rounds) ** 3);
    else if (kind === 'iterative') out.push((target * k) / rounds);
    else out.push(target);
  }
  return out;
}

/**
 * How many of `n` units to prune so that at least a fraction `ratio` is pruned: a target is a
 * floor. The tolerance keeps float noise (0.92 · 430500 = 396060.00000000006) from adding one.
 * Shared by every selector (weights, channels) so they agree on what "reached" means.
 */
export function pruneCount(ratio: number, n: number): number {
  return Math.max(0, Math.min(n, Math.ceil(ratio * n - 1e-9)));
}

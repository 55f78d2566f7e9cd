import type { Rng } from '@nncompress/core';
import type { RetentionPlan } from './retain';

/**
 * The loss of a keep mask, updated in place: the search flips positions and asks for the
 * loss of the current mask. `flip` must be its own inverse so a rejected move is undone by
 * flipping the same positions again (no evaluation needed).
 */
export interface MaskFitness {
  flip(positions: readonly number[]): void;
  loss(): number;
}

export interface RetentionSearchOptions {
  /** Loss evaluations in all, the starting mask's included. */
  readonly evaluations: number;
  /** Search among the `candidates`·retain best-saliency pool entries of each bucket. */
  readonly candidates: number;
  /** Share of the retained entries swapped per move (at least one swap). */
  readonly moveFraction: number;
  /** Called after every evaluation (progress). */
  readonly onEvaluation?: (done: number, total: number, best: number) => void;
}

export interface RetentionSearchResult {
  /** The best mask visited (flat keep bits, the plan's layout). */
  readonly keep: Uint8Array;
  readonly startLoss: number;
  readonly bestLoss: number;
  readonly evaluations: number;
  readonly accepted: number;
  readonly improved: number;
}

/** One bucket's swap state: `slots[0..retain)` are retained candidates, the rest are out. */
interface SwapState {
  readonly slots: Uint32Array;
  readonly retain: number;
}

/**
 * Simulated annealing over retention masks (the search selector). The large set is fixed;
 * a move swaps a few retained pool entries for candidates not retained (the best-saliency
 * non-zero pool entries, `candidates` per retained slot), within one bucket,
 * so every bucket keeps exactly its count. The first tenth of the budget accepts only
 * improvements and measures the typical loss change, which sets the starting temperature
 * (scale-free: no temperature option to tune per model); it then cools geometrically to a
 * hundredth of that. Starts from the plan's saliency mask and returns the best mask
 * visited, so it never returns a higher calibration loss than its start.
 */
export function annealRetention(plan: RetentionPlan, fitness: MaskFitness, options: RetentionSearchOptions, rng: Rng): RetentionSearchResult {
  if (!(options.evaluations >= 1)) throw new Error(`evaluations must be at least 1, got ${options.evaluations}`);
  const keep = plan.keep.slice();
  const states: SwapState[] = [];
  for (const bucket of plan.buckets) {
    // Candidates: the best-saliency non-zero pool entries (more than the start when there are).
    const n = Math.max(bucket.retain, Math.min(bucket.live, Math.ceil(options.candidates * bucket.retain)));
    // The plan retains pool[0..retain): the start of the slots.
    if (bucket.retain > 0 && n > bucket.retain) states.push({ slots: bucket.pool.slice(0, n), retain: bucket.retain });
  }
  const startLoss = fitness.loss();
  let current = startLoss;
  let best = startLoss;
  let bestKeep = keep.slice();
  let evaluations = 1;
  let accepted = 0;
  let improved = 0;
  options.onEvaluation?.(evaluations, options.evaluations, best);
  const totalRetain = states.reduce((n, s) => n + s.retain, 0);
  if (states.length === 0) return { keep: bestKeep, startLoss, bestLoss: best, evaluations, accepted, improved };

  const swapsPerMove = Math.max(1, Math.round(options.moveFraction * totalRetain));
  const warmup = Math.max(1, Math.round(0.1 * (options.evaluations - 1)));
  const deltas: number[] = [];
  let startTemperature = 0;
  const pickState = (): SwapState => {
    let r = rng.int(totalRetain);
    for (const s of states) {
      if (r < s.retain) return s;
      r -= s.retain;
    }
    return states[states.length - 1];
  };
  while (evaluations < options.evaluations) {
    const step = evaluations - 1;
    // Apply a move: each swap exchanges one retained slot with one out slot of the same bucket.
    const swaps: [SwapState, number, number][] = [];
    const flipped: number[] = [];
    for (let k = 0; k < swapsPerMove; k++) {
      const s = pickState();
      const i = rng.int(s.retain);
      const j = s.retain + rng.int(s.slots.length - s.retain);
      flipped.push(s.slots[i], s.slots[j]);
      const t = s.slots[i];
      s.slots[i] = s.slots[j];
      s.slots[j] = t;
      swaps.push([s, i, j]);
    }
    // A position swapped twice in one move flips twice: toggling is order-free, so fine.
    fitness.flip(flipped);
    for (const p of flipped) keep[p] ^= 1;
    const loss = fitness.loss();
    evaluations++;
    const delta = loss - current;
    let accept: boolean;
    if (step < warmup) {
      if (delta !== 0) deltas.push(Math.abs(delta));
      accept = delta <= 0;
    } else {
      if (startTemperature === 0) {
        deltas.sort((a, b) => a - b);
        startTemperature = deltas.length > 0 ? deltas[Math.floor(deltas.length / 2)] : Math.abs(current) * 1e-6 + 1e-12;
      }
      const progress = (step - warmup) / Math.max(1, options.evaluations - 1 - warmup);
      const temperature = startTemperature * 0.01 ** progress;
      accept = delta <= 0 || rng.next() < Math.exp(-delta / temperature);
    }
    if (accept) {
      accepted++;
      current = loss;
      if (loss < best) {
        best = loss;
        bestKeep = keep.slice();
        improved++;
      }
    } else {
      fitness.flip(flipped);
      for (const p of flipped) keep[p] ^= 1;
      for (let k = swaps.length - 1; k >= 0; k--) {
        const [s, i, j] = swaps[k];
        const t = s.slots[i];
        s.slots[i] = s.slots[j];
        s.slots[j] = t;
      }
    }
    options.onEvaluation?.(evaluations, options.evaluations, best);
  }
  return { keep: bestKeep, startLoss, bestLoss: best, evaluations, accepted, improved };
}

/**
 * Piecewise-linear fitting of a tensor's sorted values (Huang 2021). The sorted curve — value
 * against rank — is smooth for trained weights, so a few line segments follow it within a
 * deviation p; code points spaced evenly in rank along each segment then quantise the
 * values, and the segments are all a decoder needs besides one code per weight.
 */

/** A fitted segment over ranks [start, start + length) of the sorted values. */
export interface FitSegment {
  start: number;
  length: number;
  /** Value at the segment's first rank (the line is alpha + slope·t, t = rank − start). */
  alpha: number;
  slope: number;
  /** Largest |sorted value − line| over the segment. */
  deviation: number;
}

/** Largest |v − line| and the minimax intercept for a given slope over sorted[start, start+length). */
function minimaxIntercept(sorted: Float32Array, start: number, length: number, slope: number): { alpha: number; deviation: number } {
  let lo = Infinity;
  let hi = -Infinity;
  for (let t = 0; t < length; t++) {
    const r = sorted[start + t] - slope * t;
    if (r < lo) lo = r;
    if (r > hi) hi = r;
  }
  return { alpha: (lo + hi) / 2, deviation: (hi - lo) / 2 };
}

/** The segment over [start, start + length) with the chord's slope and the minimax intercept. */
export function chordSegment(sorted: Float32Array, start: number, length: number): FitSegment {
  const slope = length > 1 ? (sorted[start + length - 1] - sorted[start]) / (length - 1) : 0;
  return { start, length, slope, ...minimaxIntercept(sorted, start, length, slope) };
}

/**
 * Greedy "shrinking cone" fit, O(n): a segment starts at a point, keeps the interval of
 * slopes whose line from that point stays within `p` of every point so far, and ends when
 * the interval empties. Every point is then within p of its segment's line (the minimax
 * intercept for the chosen slope only improves on the anchored line).
 */
export function fitSegments(sorted: Float32Array, p: number): FitSegment[] {
  const n = sorted.length;
  const segments: FitSegment[] = [];
  let start = 0;
  while (start < n) {
    const v0 = sorted[start];
    let lo = -Infinity;
    let hi = Infinity;
    let end = start + 1;
    for (; end < n; end++) {
      const t = end - start;
      const nextLo = Math.max(lo, (sorted[end] - p - v0) / t);
      const nextHi = Math.min(hi, (sorted[end] + p - v0) / t);
      if (nextLo > nextHi) break;
      lo = nextLo;
      hi = nextHi;
    }
    const length = end - start;
    const slope = length > 1 ? (lo + hi) / 2 : 0;
    segments.push({ start, length, slope, ...minimaxIntercept(sorted, start, length, slope) });
    start = end;
  }
  return segments;
}

/**
 * Merges every segment shorter than `minLength` ranks into a neighbour (the one whose merged
 * chord deviates less), refitting the merged range by its chord, unless the merge would
 * deviate more than `maxDeviation` (the error-bound mode's guard).
 */
export function mergeShort(sorted: Float32Array, segments: FitSegment[], minLength: number, maxDeviation = Infinity): FitSegment[] {
  const out = segments.slice();
  for (let guard = 0; guard < segments.length; guard++) {
    let merged = false;
    for (let i = 0; i < out.length && out.length > 1; i++) {
      if (out[i].length >= minLength) continue;
      const options: [number, FitSegment][] = [];
      if (i > 0) options.push([i - 1, chordSegment(sorted, out[i - 1].start, out[i - 1].length + out[i].length)]);
      if (i + 1 < out.length) options.push([i, chordSegment(sorted, out[i].start, out[i].length + out[i + 1].length)]);
      const [at, best] = options.reduce((a, b) => (b[1].deviation < a[1].deviation ? b : a));
      if (best.deviation > maxDeviation) continue;
      out.splice(at, 2, best);
      merged = true;
      i = Math.max(-1, at - 1);
    }
    if (!merged) break;
  }
  return out;
}

/**
 * "Parallel lines": segments whose slopes differ by at most `tolerance` (relative to the
 * larger) share one slope, their length-weighted mean, so only intercepts are stored per
 * segment; each intercept is refitted (minimax) for the shared slope. Returns the slope
 * table and each segment's slope index. Tolerance 0 keeps every distinct slope.
 */
export function shareSlopes(sorted: Float32Array, segments: FitSegment[], tolerance: number): { slopes: number[]; index: number[]; segments: FitSegment[] } {
  const order = segments.map((_, i) => i).sort((a, b) => segments[a].slope - segments[b].slope || a - b);
  const slopes: number[] = [];
  const index = new Array<number>(segments.length);
  let group: number[] = [];
  const close = (): void => {
    if (!group.length) return;
    const total = group.reduce((n, i) => n + segments[i].length, 0);
    slopes.push(Math.fround(group.reduce((s, i) => s + segments[i].slope * segments[i].length, 0) / total));
    for (const i of group) index[i] = slopes.length - 1;
    group = [];
  };
  for (const i of order) {
    const first = group.length ? segments[group[0]].slope : segments[i].slope;
    const scale = Math.max(Math.abs(first), Math.abs(segments[i].slope));
    if (group.length && Math.abs(segments[i].slope - first) > tolerance * scale) close();
    group.push(i);
  }
  close();
  const refitted = segments.map((g, i) => ({ ...g, slope: slopes[index[i]], ...minimaxIntercept(sorted, g.start, g.length, slopes[index[i]]) }));
  return { slopes, index, segments: refitted };
}

/** Index of the entry of ascending `table` nearest to x (the lower one on a tie); 0 for an empty table. Quantisers share it: piecewise-linear code points, weight-sharing centroids. */
export function nearestInSorted(table: ArrayLike<number>, x: number): number {
  let lo = 0;
  let hi = table.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (table[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo > 0 && x - table[lo - 1] <= table[lo] - x ? lo - 1 : lo;
}

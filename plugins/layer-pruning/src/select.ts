import type { RemovableUnit } from '@nncompress/core/graph';

/**
 * The `count` least important units that do not overlap (share a layer) with each other,
 * lowest score first; ties go to the unit saving more parameters, then to the earlier unit.
 * Throws, naming what is available, when fewer than `count` can be chosen.
 */
export function selectUnits(units: readonly RemovableUnit[], scores: ReadonlyMap<string, number>, count: number): string[] {
  const ranked = units
    .map((unit, index) => ({ unit, index, score: scores.get(unit.id) }))
    .filter((r): r is { unit: RemovableUnit; index: number; score: number } => r.score !== undefined && Number.isFinite(r.score))
    .sort((a, b) => a.score - b.score || b.unit.paramsSaved - a.unit.paramsSaved || a.index - b.index);
  const taken = new Set<string>();
  const chosen: string[] = [];
  for (const { unit } of ranked) {
    if (chosen.length === count) break;
    if (unit.layers.some((l) => taken.has(l))) continue;
    chosen.push(unit.id);
    for (const l of unit.layers) taken.add(l);
  }
  if (chosen.length < count) {
    throw new Error(`cannot remove ${count} layer units: only ${chosen.length} non-overlapping removable units that save parameters (${ranked.map((r) => r.unit.id).join(', ') || 'none'})`);
  }
  return chosen;
}

/**
 * Layer-name patterns for options such as `protect`: an exact layer name, or a pattern
 * with `*` wildcards (`block_*_project` names every bottleneck projection of MobileNetV2,
 * instead of seventeen names). A name or pattern that matches nothing is an error, so a
 * typo never silently protects nothing.
 */
export function matchLayerNames(patterns: readonly string[], layerNames: Iterable<string>, option: string): Set<string> {
  const names = [...layerNames];
  const matched = new Set<string>();
  for (const pattern of patterns) {
    if (!pattern.includes('*')) {
      if (!names.includes(pattern)) throw new Error(`${option}: the model has no layer named "${pattern}"`);
      matched.add(pattern);
      continue;
    }
    const re = new RegExp(`^${pattern.split('*').map(escapeRegExp).join('.*')}$`);
    const hits = names.filter((n) => re.test(n));
    if (hits.length === 0) throw new Error(`${option}: no layer name matches "${pattern}"`);
    for (const n of hits) matched.add(n);
  }
  return matched;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
}

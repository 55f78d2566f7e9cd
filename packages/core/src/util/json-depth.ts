/**
 * The path of the first value nested deeper than `max` (`layers[3].config`, shortened past 80 characters), found without
 * recursion; undefined when none is. Parsed JSON and YAML can nest far deeper than the
 * validators, clones and tfjs deserialisers that walk them recursively can follow, so
 * inputs are checked with this before anything recursive sees them.
 */
export function nestedDeeperThan(root: unknown, max: number): string | undefined {
  const stack: [unknown, string, number][] = [[root, '', 0]];
  while (stack.length > 0) {
    const [value, at, depth] = stack.pop()!;
    if (value === null || typeof value !== 'object') continue;
    // The path is cut short: a hostile input's would fill the screen.
    if (depth >= max) return at.length > 80 ? `${at.slice(0, Math.max(at.lastIndexOf('.', 60), at.lastIndexOf('[', 60)))}…` : at || '(top)';
    for (const [k, v] of Object.entries(value)) stack.push([v, Array.isArray(value) ? `${at}[${k}]` : at ? `${at}.${k}` : k, depth + 1]);
  }
  return undefined;
}

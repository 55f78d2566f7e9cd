/**
 * The plugin packages of a project: the dependencies (of every kind) and the workspaces of
 * the nearest package.json, where they are named `@nncompress/plugin-*` or
 * `nncompress-plugin-*`, or carry the `nncompress-plugin` keyword. A package merely lying in
 * some node_modules folder (a parent folder's, say) is never loaded: loading a plugin runs
 * its code.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Plugin packages by name or by the `nncompress-plugin` keyword. */
function isPluginPackage(dir: string, name: string): boolean {
  if (/^@nncompress\/plugin-|^nncompress-plugin-/.test(name)) return true;
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { keywords?: string[] };
    return pkg.keywords?.includes('nncompress-plugin') ?? false;
  } catch {
    return false;
  }
}

/** The nearest package.json at or above `from`, with its folder. */
function nearestPackage(from: string): { dir: string; json: Record<string, unknown> } | undefined {
  for (let dir = path.resolve(from); ; dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file)) {
      try {
        return { dir, json: JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown> };
      } catch {
        return undefined;
      }
    }
    if (path.dirname(dir) === dir) return undefined;
  }
}

/** The names of the plugin packages of the project `from` is in, sorted. */
export function projectPlugins(from: string): string[] {
  const project = nearestPackage(from);
  if (!project) return [];
  const names = new Set<string>();
  for (const key of ['dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies']) {
    for (const name of Object.keys((project.json[key] as Record<string, string> | undefined) ?? {})) {
      let dir: string;
      try {
        dir = path.dirname(require.resolve(`${name}/package.json`, { paths: [project.dir] }));
      } catch {
        continue; // declared but not installed
      }
      if (isPluginPackage(dir, name)) names.add(name);
    }
  }
  const workspaces = Array.isArray(project.json.workspaces) ? (project.json.workspaces as string[]) : [];
  for (const pattern of workspaces) {
    const dirs = pattern.endsWith('/*') ? fs.readdirSync(path.join(project.dir, pattern.slice(0, -2))).map((d) => path.join(project.dir, pattern.slice(0, -2), d)) : [path.join(project.dir, pattern)];
    for (const dir of dirs) {
      try {
        const name = (JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string }).name;
        if (name && isPluginPackage(dir, name)) names.add(name);
      } catch {
        // not a package
      }
    }
  }
  return [...names].sort();
}

import type { JsonSchema } from './plugin';

interface PropertySchema {
  type?: string;
  enum?: unknown[];
  default?: unknown;
  description?: string;
  items?: { type?: string; enum?: unknown[] };
}

/**
 * The markdown options table of a plugin README, generated from its JSON Schema so the
 * docs cannot drift from the code (`npm run docs` writes it; tests check it).
 */
export function optionsMarkdownTable(schema: JsonSchema | undefined): string {
  const props = (schema?.properties ?? {}) as Record<string, PropertySchema>;
  const required = new Set((schema?.required as string[] | undefined) ?? []);
  const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const type = (p: PropertySchema): string => {
    if (p.enum) return p.enum.map((v) => `\`${JSON.stringify(v)}\``).join(' \\| ');
    if (p.type === 'array' && p.items?.enum) return `array of ${p.items.enum.map((v) => `\`${JSON.stringify(v)}\``).join(', ')}`;
    if (p.type === 'array') return `${p.items?.type ?? 'any'}[]`;
    return p.type ?? 'any';
  };
  const rows = Object.entries(props).map(([name, p]) => {
    const dflt = required.has(name) ? 'required' : p.default === undefined ? '–' : `\`${JSON.stringify(p.default)}\``;
    return `| \`${name}\` | ${type(p)} | ${dflt} | ${cell(p.description ?? '')} |`;
  });
  return ['| option | type | default | description |', '|---|---|---|---|', ...rows].join('\n');
}

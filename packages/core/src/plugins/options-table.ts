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

interface NestedSchema extends Omit<PropertySchema, 'items'> {
  properties?: Record<string, NestedSchema>;
  required?: string[];
  items?: NestedSchema;
  additionalProperties?: boolean | NestedSchema;
  anyOf?: NestedSchema[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
}

/** A value's type as a reader wants it: enums listed, number ranges spelt out, alternatives joined. */
function typeText(p: NestedSchema): string {
  if (p.enum) return p.enum.map((v) => `\`${typeof v === 'string' ? v : JSON.stringify(v)}\``).join(' \\| ');
  if (p.anyOf) return p.anyOf.map(typeText).join(' or ');
  if (p.type === 'object' && p.properties) return `{ ${Object.keys(p.properties).join(', ')} }`;
  if (p.type === 'array') return `${p.items ? typeText(p.items) : 'any'}[]`;
  if (p.type === 'number' || p.type === 'integer') {
    const lo = p.minimum ?? p.exclusiveMinimum;
    const hi = p.maximum ?? p.exclusiveMaximum;
    if (lo !== undefined && hi !== undefined) {
      if (p.type === 'integer' && p.maximum !== undefined && p.minimum !== undefined) return `integer ${lo}–${hi}`;
      return `${p.type} in ${p.minimum !== undefined ? '[' : '('}${lo}, ${hi}${p.maximum !== undefined ? ']' : ')'}`;
    }
    if (lo !== undefined) return `${p.type} ${p.minimum !== undefined ? '≥' : '>'} ${lo}`;
    if (hi !== undefined) return `${p.type} ${p.maximum !== undefined ? '≤' : '<'} ${hi}`;
  }
  return p.type ?? 'any';
}

/**
 * The key table of docs/config.md, generated from the pipeline config's JSON Schema: one row
 * per key, nested keys spelt as a config path (`stages[i].target.sparsity`,
 * `plugins.<name>.use`), so the reference cannot drift from what the loader checks.
 */
export function configMarkdownTable(schema: JsonSchema): string {
  const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const rows: string[] = [];
  const visit = (node: NestedSchema, prefix: string): void => {
    const required = new Set(node.required ?? []);
    for (const [name, p] of Object.entries(node.properties ?? {})) {
      if (name === '$schema') continue;
      const key = prefix ? `${prefix}.${name}` : name;
      const dflt = required.has(name) ? 'required' : p.default === undefined ? '–' : `\`${JSON.stringify(p.default)}\``;
      const nested = p.type === 'object' && p.properties ? p : undefined;
      const perItem = p.type === 'array' && p.items?.properties ? p.items : undefined;
      const perName = typeof p.additionalProperties === 'object' && p.additionalProperties.properties ? p.additionalProperties : undefined;
      // A section with keys of its own gets a row only when it says something the keys do not.
      if (!(nested || perItem || perName) || p.description) rows.push(`| \`${key}\` | ${nested || perName ? 'object' : typeText(p)} | ${dflt} | ${cell(p.description ?? '')} |`);
      if (nested) visit(nested, key);
      if (perItem) visit(perItem, `${key}[i]`);
      if (perName) visit(perName, `${key}.<name>`);
    }
  };
  visit(schema as NestedSchema, '');
  return ['| key | type | default | meaning |', '|---|---|---|---|', ...rows].join('\n');
}

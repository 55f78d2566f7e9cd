import * as path from 'node:path';
import Ajv, { ErrorObject, ValidateFunction } from 'ajv';
import type { JsonSchema } from '../plugins/plugin';

const ajv = new Ajv({ allErrors: false, useDefaults: true, strict: false });
// `format: 'path'` marks an option that names a file: any string validates, and core
// resolves it from the config file's folder (see resolvePathOptions).
ajv.addFormat('path', true);
const compiled = new WeakMap<object, ValidateFunction>();

/** `/stages/1/target/sparsity` → `stages[1].target.sparsity`. */
export function toConfigPath(prefix: string, pointer: string): string {
  let out = prefix;
  for (const raw of pointer.split('/').slice(1)) {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (/^\d+$/.test(part)) out += `[${part}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(part)) out += out ? `.${part}` : part;
    else out += `[${JSON.stringify(part)}]`;
  }
  return out || '(root)';
}

function describe(error: ErrorObject): { where: string; what: string } {
  const p = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'additionalProperties':
      return { where: '', what: `unknown property "${String(p.additionalProperty)}"` };
    case 'required':
      return { where: '', what: `missing required property "${String(p.missingProperty)}"` };
    case 'enum':
      return { where: '', what: `must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}` };
    default:
      return { where: '', what: error.message ?? 'is invalid' };
  }
}

/**
 * Validates `value` against `schema` (filling defaults in place). Returns undefined when valid,
 * else one line: `<path>: <problem>`.
 */
export function validateAgainst(schema: JsonSchema, value: unknown, prefix = ''): string | undefined {
  let validate = compiled.get(schema);
  if (!validate) {
    validate = ajv.compile(schema);
    compiled.set(schema, validate);
  }
  if (validate(value)) return undefined;
  const error = validate.errors![0];
  return `${toConfigPath(prefix, error.instancePath)}: ${describe(error).what}`;
}

/**
 * Resolves, in place, every option whose schema says `format: 'path'` (a string, or the
 * strings of an array) from `baseDir`: paths in a config are relative to the config file,
 * whoever reads them.
 */
export function resolvePathOptions(schema: JsonSchema | undefined, value: unknown, baseDir: string): void {
  if (!schema || value === null || typeof value !== 'object') return;
  const s = schema as { properties?: Record<string, JsonSchema>; items?: JsonSchema };
  const isPath = (sub: JsonSchema | undefined): boolean => (sub as { format?: unknown } | undefined)?.format === 'path';
  if (Array.isArray(value)) {
    value.forEach((item, i) => {
      if (isPath(s.items) && typeof item === 'string') value[i] = path.resolve(baseDir, item);
      else resolvePathOptions(s.items, item, baseDir);
    });
    return;
  }
  const record = value as Record<string, unknown>;
  for (const [key, sub] of Object.entries(s.properties ?? {})) {
    if (isPath(sub) && typeof record[key] === 'string') record[key] = path.resolve(baseDir, record[key] as string);
    else resolvePathOptions(sub, record[key], baseDir);
  }
}

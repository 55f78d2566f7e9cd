/**
 * Reads a pipeline config from YAML, JSON, or a JS/TS module exporting it, and validates it
 * against core's schema. Plugin options are validated later, once plugins are resolved.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseDocument } from 'yaml';
import { ConfigError, errorMessage } from '../errors';
import { pipelineConfigSchema } from './schema';
import type { PipelineConfig } from './types';
import { validateAgainst } from './validate';
import { requireModule } from '../util/require-module';
import { nestedDeeperThan } from '../util/json-depth';
import { checkStageTargets, targetKinds } from '../pipeline/targets';

/** A validated config and where it came from (paths in it are relative to `dir`). */
export interface LoadedConfig {
  readonly file: string;
  readonly dir: string;
  readonly config: PipelineConfig;
}

/** A config-like file's content: YAML, JSON, or a JS/TS module's default export; a syntax error is one ConfigError line with the file and position. */
export function parseConfigFile(file: string): unknown {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.ts' || ext === '.js' || ext === '.cjs' || ext === '.mts' || ext === '.mjs') {
    let mod: { default?: unknown };
    try {
      mod = requireModule(file) as { default?: unknown };
    } catch (err) {
      // A config module is code: whatever it throws, the error names the file.
      throw new ConfigError(`${file}: the config module failed to load: ${errorMessage(err)}`, file);
    }
    return mod && typeof mod === 'object' && 'default' in mod ? mod.default : mod;
  }
  const text = fs.readFileSync(file, 'utf8');
  if (ext === '.json') {
    try {
      return JSON.parse(text);
    } catch (err) {
      throw new ConfigError(`${file}: invalid JSON: ${(err as Error).message}`, file);
    }
  }
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    const where = e.linePos ? `:${e.linePos[0].line}:${e.linePos[0].col}` : '';
    throw new ConfigError(`${file}${where}: invalid YAML: ${e.message.split('\n')[0]}`, file);
  }
  try {
    // Aliases are expanded here: the yaml package refuses an alias bomb (its maxAliasCount).
    return doc.toJS();
  } catch (err) {
    throw new ConfigError(`${file}: invalid YAML: ${errorMessage(err)}`, file);
  }
}

/** Reads a pipeline config (YAML, JSON, or a JS/TS module) and validates it against core's schema; a bad config throws one `ConfigError` line with the file and the key's path. */
export function loadConfig(configFile: string): LoadedConfig {
  const file = path.resolve(configFile);
  if (!fs.existsSync(file)) throw new ConfigError(`config file not found: ${configFile}`, configFile);
  const raw = parseConfigFile(file);
  const config = checkConfig(raw, file);
  return { file, dir: path.dirname(file), config };
}

/** How deep a config may nest: far beyond any real one, well before validators and clones recurse out of stack. */
const MAX_CONFIG_DEPTH = 64;

/** Validates an in-memory config (filling defaults); `file` is only used in messages. */
export function checkConfig(raw: unknown, file = '<config>'): PipelineConfig {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError(`${file}: the config must be a mapping with model, data and stages`, file);
  }
  const deep = nestedDeeperThan(raw, MAX_CONFIG_DEPTH);
  if (deep) throw new ConfigError(`${file}: ${deep}: nested more than ${MAX_CONFIG_DEPTH} levels deep; no config needs that`, file, deep);
  const problem = validateAgainst(pipelineConfigSchema, raw);
  if (problem) throw new ConfigError(`${file}: ${problem}`, file, problem.split(':')[0]);
  const config = raw as PipelineConfig;
  const declared = Object.keys(config.plugins ?? {});
  config.stages.forEach((stage, i) => {
    stage.use?.forEach((name, j) => {
      if (!declared.includes(name)) {
        const known = declared.length ? declared.join(', ') : 'none';
        throw new ConfigError(`${file}: stages[${i}].use[${j}]: no plugin instance named "${name}" (declared: ${known})`, file, `stages[${i}].use[${j}]`);
      }
    });
  });
  // Plugins may declare more target kinds: unknown keys are checked once they are loaded.
  checkStageTargets(config.stages, targetKinds, file, 'skip');
  return config;
}

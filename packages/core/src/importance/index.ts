/** Core's importance measures, one file each, and the registry plugins extend. */
import { apoz } from './apoz';
import { averageWeight } from './average-weight';
import { bypassLoss } from './bypass-loss';
import { cka } from './cka';
import { l2Weight } from './l2-weight';
import { magnitude } from './magnitude';
import { meanActivation } from './mean-activation';
import { ImportanceMeasure, ImportanceRegistry } from './measure';
import { NamedPlugin, registerContributions } from '../plugins/contributions';
import { minWeight } from './min-weight';
import { squared } from './squared';
import { taylor, taylorSecond } from './taylor';

export { defineImportance, ImportanceRegistry } from './measure';
export type { ChannelImportance, ImportanceGranularity, ImportanceInput, ImportanceMeasure, UnitImportance, UnitImportanceInput, WeightImportance } from './measure';
export { taylorImportance } from './taylor';
export type { TaylorOptions } from './taylor';
export { measureLayer } from './channel-activations';

export const builtinImportanceMeasures: readonly ImportanceMeasure[] = [magnitude, squared, taylor, taylorSecond, minWeight, averageWeight, l2Weight, meanActivation, apoz, cka, bypassLoss];

/** Core's measures; a run's registry adds the configured plugins' `importanceMeasures` to a copy. */
export const importanceMeasures = new ImportanceRegistry(builtinImportanceMeasures);

/** Core's measures and those the configured plugins declare (`importanceMeasures`); an id declared twice is an error naming the plugin. */
export function importanceRegistryFor(plugins: readonly NamedPlugin[], file: string): ImportanceRegistry {
  const registry = new ImportanceRegistry(builtinImportanceMeasures);
  registerContributions(plugins, 'importanceMeasures', (measure) => registry.register(measure), file);
  return registry;
}

/** docs/importance.md's table of core's measures, generated from the registry so it cannot drift (`npm run docs` writes it; a test checks it). */
export function importanceMarkdownTable(): string {
  const rows = builtinImportanceMeasures.map((m) => `| \`${m.id}\` | ${m.granularity} | ${m.needsData ? 'yes' : 'no'} | ${m.description.replace(/\|/g, '\\|')} |`);
  return ['| id | granularity | needs data | what it measures |', '|---|---|---|---|', ...rows].join('\n');
}

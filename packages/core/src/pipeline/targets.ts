/**
 * Target kinds: what a stage's `target` map may ask for. Each kind names its key, how its
 * value follows a schedule, and how core measures what a plan reached, so a selector that
 * misses its target (or serves a target it was not asked for) fails with the stage, round,
 * target and reached value instead of passing silently.
 *
 * A selector declares the kinds it serves on its `select` tap
 * (`hooks.select.tapPromise({ name, targets: ['sparsity'] }, …)`); core calls, for each key
 * of a stage's target, only the one active instance that serves it.
 */
import type * as tf from '@tensorflow/tfjs';
import type { StageConfig } from '../config/types';
import { validateAgainst } from '../config/validate';
import { ConfigError } from '../errors';
import { prunableWeights } from '../model/masks';
import { NamedPlugin, registerContributions } from '../plugins/contributions';
import type { JsonSchema } from '../plugins/plugin';
import { Registry } from '../util/registry';

/** What core knows when it measures a target: the model right after a plan was applied, and the stage so far. */
export interface TargetMeasure {
  readonly model: tf.LayersModel;
  /** Channels removed by channel plans in this stage so far (this plan included). */
  readonly channelsRemoved: number;
  /** Channels of the groups that were prunable (not blocked) when the stage started. */
  readonly channelsAtStart: number;
  /** Layer units removed by layer plans in this stage so far (this plan included). */
  readonly unitsRemoved: number;
}

/** A kind of stage target (`sparsity`, `filterRatio`, `layers`, or one a plugin declares): its key, the schema of its value, how it follows a schedule, how core measures it, and how a shortfall is judged. */
export interface TargetKind {
  /** The key in `stage.target`. */
  readonly key: string;
  readonly description: string;
  /** JSON Schema of the value. */
  readonly schema: JsonSchema;
  /** `count` values follow the schedule rounded to whole units. */
  readonly unit: 'fraction' | 'count';
  /** The value as a reader says it, e.g. `sparsity 95.0%`. */
  format(value: number): string;
  /** What the model reached, measured by core right after a plan for this kind is applied. */
  measure(m: TargetMeasure): number;
  /**
   * How a reached value is judged against the round's value. `short: 'error'`: a target is a
   * floor, reaching less is an error; `'warn'`: said in the log and the report at the end of
   * the stage (a selector may legitimately keep more: protected layers, minimum widths).
   * `overshoot`: how far past the round's value a plan may go (granularity of whole rows,
   * columns or channels); undefined: no limit.
   */
  readonly short: 'error' | 'warn';
  /** With `short: 'error'`: how far below the round's value a plan may land before it is an error. */
  readonly undershoot?: number;
  readonly overshoot?: number;
  /** Said after the reached value when a plan goes past the overshoot: the usual cause. */
  readonly overshootHint?: string;
  /** Said after the reached value when a stage ends short: the usual causes. */
  readonly shortHint?: string;
}

/** Zero entries over all prunable kernel entries: the kernel sparsity masks and zeroed weights give. */
export function kernelSparsity(model: tf.LayersModel): number {
  let zeros = 0;
  let total = 0;
  for (const w of prunableWeights(model)) {
    const values = w.variable.read().dataSync();
    for (let i = 0; i < values.length; i++) if (values[i] === 0) zeros++;
    total += values.length;
  }
  return total === 0 ? 0 : zeros / total;
}

const percent = (v: number): string => `${(100 * v).toFixed(1)}%`;

export const builtinTargetKinds: readonly TargetKind[] = [
  {
    key: 'sparsity',
    description: 'Kernel sparsity at the end of the stage.',
    schema: { type: 'number', minimum: 0, exclusiveMaximum: 1, description: 'Kernel sparsity at the end of the stage (unstructured).' },
    unit: 'fraction',
    format: (v) => `${percent(v)} kernel sparsity`,
    measure: (m) => kernelSparsity(m.model),
    short: 'error',
    // Whole rows and columns land a little past a sparsity, and a selector that leaves some
    // layers whole (row-column's exclude) a little short of it model-wide; 2 points either way.
    undershoot: 0.02,
    overshoot: 0.02,
    overshootHint: 'a scorer must give already-pruned (zero) weights the lowest scores, so they are chosen again (docs/writing-a-plugin.md)',
  },
  {
    key: 'filterRatio',
    description: 'Fraction of prunable channels (filters) removed by the end of the stage.',
    schema: { type: 'number', minimum: 0, exclusiveMaximum: 1, description: 'Fraction of the prunable channels removed by the end of the stage (structured), relative to the channels first seen.' },
    unit: 'fraction',
    format: (v) => `filter ratio ${percent(v)}`,
    measure: (m) => (m.channelsAtStart === 0 ? 0 : m.channelsRemoved / m.channelsAtStart),
    // Protected layers, minimum widths and per-layer ratios move the reached value legitimately.
    short: 'warn',
    shortHint: 'of the prunable channels (protected layers, minChannels, layer ratios or blocked groups kept the rest)',
  },
  {
    key: 'layers',
    description: 'Layers or blocks removed by the end of the stage.',
    schema: { type: 'integer', minimum: 1, maximum: 10000, description: 'Layers or blocks removed by the end of the stage (layer pruning); a schedule splits them over rounds, rounded to whole units.' },
    unit: 'count',
    format: (v) => `${v} layers removed`,
    measure: (m) => m.unitsRemoved,
    short: 'warn',
    overshoot: 0,
  },
];

export class TargetKindRegistry extends Registry<TargetKind> {
  constructor(kinds: readonly TargetKind[] = []) {
    super('target kind', (k) => k.key);
    for (const k of kinds) this.register(k);
  }
}

/** The target kinds core knows; the config schema's `stages[i].target` is built from them. */
export const targetKinds = new TargetKindRegistry(builtinTargetKinds);

/** Core's target kinds and those the configured plugins declare (`targetKinds`); a key declared twice is an error naming the plugin. */
export function targetKindsFor(plugins: readonly NamedPlugin[], file: string): TargetKindRegistry {
  const registry = new TargetKindRegistry(builtinTargetKinds);
  registerContributions(plugins, 'targetKinds', (kind) => registry.register(kind), file);
  return registry;
}

/**
 * Checks every stage's target against `kinds`: each key a known kind (`unknown: 'skip'` when
 * the plugins, which may declare more, are not known yet), each value valid for its kind, a
 * schedule's `initial` not past a fraction target, and a schedule that is not one-shot given
 * a target to approach.
 */
export function checkStageTargets(stages: readonly StageConfig[], kinds: TargetKindRegistry, file: string, unknown: 'skip' | 'error'): void {
  stages.forEach((stage, i) => {
    const target = stage.target ?? {};
    for (const [key, value] of Object.entries(target)) {
      const where = `stages[${i}].target.${key}`;
      const kind = kinds.get(key);
      if (!kind) {
        if (unknown === 'skip') continue;
        throw new ConfigError(`${file}: ${where}: unknown target kind "${key}" (known: ${kinds.keys().join(', ')}; a plugin adds more through its targetKinds)`, file, where);
      }
      const problem = validateAgainst(kind.schema, value, where);
      if (problem) throw new ConfigError(`${file}: ${problem}`, file, where);
      const initial = stage.schedule?.initial;
      if (initial !== undefined && kind.unit === 'fraction' && initial > (value as number)) {
        throw new ConfigError(`${file}: stages[${i}].schedule.initial: must be <= the stage's target`, file, `stages[${i}].schedule.initial`);
      }
    }
    for (const [key, values] of Object.entries(stage.layerTargets ?? {})) {
      const where = `stages[${i}].layerTargets.${key}`;
      const kind = kinds.get(key);
      if (!kind && unknown === 'skip') continue;
      if (!kind) throw new ConfigError(`${file}: ${where}: unknown target kind "${key}" (known: ${kinds.keys().join(', ')})`, file, where);
      if (kind.unit !== 'fraction') throw new ConfigError(`${file}: ${where}: ${key} is a count, not a fraction of each layer; per-layer values are for fraction kinds`, file, where);
      if (target[key] === undefined) throw new ConfigError(`${file}: ${where}: the stage has no ${key} target; give target.${key}, the model-wide value these layers reach together`, file, where);
      if (Object.keys(values).length === 0) throw new ConfigError(`${file}: ${where}: names no layer`, file, where);
      for (const [layer, value] of Object.entries(values)) {
        const problem = validateAgainst(kind.schema, value, `${where}.${layer}`);
        if (problem) throw new ConfigError(`${file}: ${problem}`, file, `${where}.${layer}`);
      }
    }
    const s = stage.schedule;
    if (s && s.kind !== 'one-shot' && Object.keys(target).length === 0) {
      throw new ConfigError(`${file}: stages[${i}].target: a ${s.kind} schedule needs a target (${kinds.keys().join(', ')})`, file, `stages[${i}].target`);
    }
  });
}

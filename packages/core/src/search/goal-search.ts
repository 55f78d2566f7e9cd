/**
 * The goal search: per-layer budgets found by measured trials instead of set by hand, in the
 * manner of NetAdapt (Yang et al., "NetAdapt: Platform-Aware Neural Network Adaptation for
 * Mobile Applications", ECCV 2018). Each round proposes, for every layer, to remove a share
 * of the model's remaining weights from that layer alone (and, when the codec takes an error
 * bound, a larger bound); every proposal is a trial (the config run with those budgets,
 * measured where the final run measures, or on held-out training examples), and the round
 * keeps the one that loses the least metric per byte saved, as long as the loss against the
 * unpruned model stays within the goal. Trials are pipeline jobs, so they run on every core
 * and give the same result on any number of processes.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chooseBackend } from '../backend/choose';
import type { LoadedConfig } from '../config/load';
import type { GoalConfig, PipelineConfig } from '../config/types';
import { ConfigError } from '../errors';
import type { Job, JsonValue } from '../jobs/job';
import { JobEvent, JobRunner, runJobs } from '../jobs/local-pool';
import type { PipelineJobInput, PipelineJobResult } from '../jobs/pipeline-job';
import { setPath } from '../jobs/sweep';
import { prunableWeights } from '../model/masks';
import { loadConfiguredModel } from '../model/model-io';
import { Pipeline, RunOptions } from '../pipeline/pipeline';
import type { Report, ReportGoal, ReportGoalTrial } from '../report/report';
import type { Logger } from '../util/logger';

/** One measured point of the search (report.json's `goal.trials`). */
export type GoalTrial = ReportGoalTrial;

export interface GoalResult {
  readonly goal: GoalConfig;
  /** Every trial, in the order the rounds ran them. */
  readonly trials: readonly GoalTrial[];
  /** The trial the final run uses: the last one kept. */
  readonly chosen: GoalTrial;
  /** The unpruned model's metric on the examples the trials were measured on. */
  readonly baselineMetric: number;
  readonly higherIsBetter: boolean;
  /** What the trials were measured on, and how many examples. */
  readonly measuredOn: 'test split' | 'held-out training examples';
  readonly examples: number;
  /** With cheaper trials: the config as written with its full settings. */
  readonly fullStart?: { readonly bytes: number; readonly metric: number; readonly drop: number };
  /** Why the search stopped. */
  readonly stopped: string;
  /** The config the final run uses: the one given, with the chosen budgets, without its goal. */
  readonly config: PipelineConfig;
  /** The config a final run with `trial`'s budgets uses (the config as written for the start). */
  configFor(trial: GoalTrial): PipelineConfig;
  readonly durationMs: number;
}

export interface GoalSearchOptions {
  readonly logger: Logger;
  /** Overrides the goal's `processes`. */
  readonly processes?: number | 'auto';
  /** Where trials write (removed afterwards; default: a temporary folder). */
  readonly workDir?: string;
  /** Called as trials start and finish. */
  readonly onEvent?: (event: JobEvent) => void;
  /** What runs the trials (default: `runJobs`, on this machine's cores; a queue hands them to workers elsewhere). */
  readonly runner?: JobRunner;
}

/** Keep a layer at least this dense: a layer at 100% sparsity cuts the network. */
const MAX_LAYER_SPARSITY = 0.995;

const pct = (v: number): string => `${(100 * v).toFixed(1)}%`;

/** The config without its goal: what trials start from and the final run runs. */
function withoutGoal(config: PipelineConfig): PipelineConfig {
  const { goal: _goal, ...rest } = config;
  return rest;
}

/** The stage the search sets budgets for, and its index. */
function searchedStage(config: PipelineConfig, goal: GoalConfig, file: string): number {
  if (goal.stage !== undefined) {
    const at = config.stages.findIndex((s) => s.name === goal.stage);
    if (at < 0) throw new ConfigError(`${file}: goal.stage: no stage named "${goal.stage}" (stages: ${config.stages.map((s) => s.name).join(', ')})`, file, 'goal.stage');
    if (config.stages[at].target?.sparsity === undefined) throw new ConfigError(`${file}: goal.stage: stage "${goal.stage}" has no sparsity target; the search sets per-layer sparsity`, file, 'goal.stage');
    return at;
  }
  const at = config.stages.findIndex((s) => s.target?.sparsity !== undefined);
  if (at < 0) throw new ConfigError(`${file}: goal: no stage has a sparsity target; the search sets per-layer sparsity of one (goal.stage names it)`, file, 'goal');
  return at;
}

/** `config` with the stage's per-layer budgets and the codec's bound set. */
export function budgetedConfig(config: PipelineConfig, stage: number, sizes: ReadonlyMap<string, number>, layerSparsity: Readonly<Record<string, number>> | undefined, relativeError: number | undefined): PipelineConfig {
  let out = config;
  if (layerSparsity) {
    let pruned = 0;
    let total = 0;
    for (const [layer, size] of sizes) {
      total += size;
      pruned += Math.floor((layerSparsity[layer] ?? 0) * size);
    }
    // The model-wide value the map reaches, rounded down so that the map always reaches it.
    const modelWide = Math.floor((pruned / total) * 1e4) / 1e4;
    const initial = out.stages[stage].schedule?.initial;
    out = setPath(out, `stages.${stage}.target.sparsity`, modelWide);
    if (initial !== undefined && initial > modelWide) out = setPath(out, `stages.${stage}.schedule.initial`, modelWide);
    out = setPath(out, `stages.${stage}.layerTargets`, { sparsity: { ...layerSparsity } });
  }
  if (relativeError !== undefined) out = setPath(out, 'encode.relativeError', relativeError);
  return out;
}

/**
 * Proposals of one round: each layer alone gives up `share` of the model's remaining weights
 * (at most half of its own), a layer that cannot give a quarter of that sits the round out,
 * and the codec's bound grows by 2.5 times the share (by half at the default 0.2).
 */
export function proposals(current: GoalTrial, sizes: ReadonlyMap<string, number>, share: number): { change: string; layerSparsity: Record<string, number>; relativeError?: number }[] {
  const remaining = [...sizes].reduce((n, [layer, size]) => n + size * (1 - (current.layerSparsity[layer] ?? 0)), 0);
  const ask = share * remaining;
  const out: { change: string; layerSparsity: Record<string, number>; relativeError?: number }[] = [];
  for (const [layer, size] of sizes) {
    const now = current.layerSparsity[layer];
    // Layers the config leaves whole (excluded, or not pruned by its selector) stay whole.
    if (now === undefined || now <= 0) continue;
    const kept = size * (1 - now);
    const floor = Math.ceil(size * (1 - MAX_LAYER_SPARSITY));
    // At most half of what a layer keeps in one step: a small layer asked for the whole share would be cut to nothing.
    const give = Math.min(ask, kept / 2, kept - floor);
    // A layer that can give only a small part of the ask is not a proposal of this round's size.
    if (give < ask / 4) continue;
    const next = Math.min(MAX_LAYER_SPARSITY, Math.round((1 - (kept - give) / size) * 1e4) / 1e4);
    if (next <= now) continue;
    out.push({ change: `${layer} ${pct(now)} → ${pct(next)}`, layerSparsity: { ...current.layerSparsity, [layer]: next }, ...(current.relativeError !== undefined ? { relativeError: current.relativeError } : {}) });
  }
  if (current.relativeError !== undefined && current.relativeError < 0.25) {
    // The bound grows by half at the first share (0.2), by a quarter at half of it.
    const next = Math.round(current.relativeError * (1 + 2.5 * share) * 1e4) / 1e4;
    out.push({ change: `error bound ${current.relativeError} → ${next}`, layerSparsity: { ...current.layerSparsity }, relativeError: next });
  }
  return out;
}

/**
 * The proposal a round keeps: among those that save bytes and whose estimated drop is within
 * the allowed one, the one that loses the least metric per byte saved (a gain counts as no
 * loss, and then the largest saving wins); ties go to the smaller file, then to the earlier
 * proposal. Undefined when none qualifies.
 */
export function pickProposal(current: GoalTrial, measured: readonly GoalTrial[], metricDrop: number): number | undefined {
  let best: number | undefined;
  let bestKey: [number, number] | undefined;
  measured.forEach((t, i) => {
    const saved = current.bytes - t.bytes;
    if (!(t.estimatedDrop <= metricDrop) || saved <= 0) return;
    const cost = Math.max(0, t.drop - current.drop) / saved;
    const key: [number, number] = [cost, t.bytes];
    if (!bestKey || key[0] < bestKey[0] || (key[0] === bestKey[0] && key[1] < bestKey[1])) {
      best = i;
      bestKey = key;
    }
  });
  return best;
}

/** Searches per-layer budgets for the config's goal; returns every trial and the config to run. */
export async function searchGoal(loaded: LoadedConfig, options: GoalSearchOptions): Promise<GoalResult> {
  const started = Date.now();
  const { config, file, dir } = loaded;
  const goal = config.goal;
  if (!goal) throw new ConfigError(`${file}: no goal section`, file, 'goal');
  if (!config.encode) throw new ConfigError(`${file}: goal: minimize bytes needs an encode section: the bytes are those of the file it writes`, file, 'goal');
  const stage = searchedStage(config, goal, file);
  const base = withoutGoal(config);
  let trialBase = goal.holdOut !== undefined ? setPath(base, 'data.holdOut', goal.holdOut) : base;
  for (const [key, value] of Object.entries(goal.trial ?? {})) {
    try {
      trialBase = setPath(trialBase, key, value as JsonValue);
    } catch (err) {
      throw new ConfigError(`${file}: goal.trial.${key}: ${(err as Error).message}`, file, `goal.trial.${key}`);
    }
  }

  // The layers and their sizes, from the model itself.
  const sizes = await layerSizes(loaded);

  const work = options.workDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'nncompress-goal-'));
  let jobNumber = 0;
  const run = async (configs: readonly { change: string; config: PipelineConfig }[]): Promise<PipelineJobResult[]> => {
    const jobs: Job[] = configs.map((c) => {
      const input: PipelineJobInput = { config: c.config, dir, file: `${file} (goal trial: ${c.change})`, outDir: path.join(work, `trial-${++jobNumber}`), workers: 1, discardOutput: true };
      return { handler: 'pipeline', input: input as unknown as JsonValue, label: c.change };
    });
    const results = await (options.runner ?? runJobs)<PipelineJobResult>(jobs, { processes: options.processes ?? goal.processes ?? 'auto', ...(options.onEvent ? { onEvent: options.onEvent } : {}) });
    return results;
  };

  try {
    const relativeError = config.encode.relativeError;
    // Cheaper trials lose more than the full settings would, and the gap grows as the model
    // gets smaller. So each round also runs its starting point with the full settings, and
    // the round's trials are shifted by that point's gap before the goal is checked.
    const cheaper = Object.keys(goal.trial ?? {}).length > 0;
    const fullBase = goal.holdOut !== undefined ? setPath(base, 'data.holdOut', goal.holdOut) : base;
    const [first, full = first] = await run([{ change: 'start', config: trialBase }, ...(cheaper ? [{ change: 'start, full settings', config: fullBase }] : [])]);
    const higherIsBetter = first.report.task.higherIsBetter;
    const baselineMetric = first.report.baseline.metric.value;
    const dropOf = (metric: number): number => (higherIsBetter ? baselineMetric - metric : metric - baselineMetric);
    const reached: Record<string, number> = {};
    for (const layer of full.report.layers) if (sizes.has(layer.name) && layer.sparsity > 0) reached[layer.name] = Math.round(layer.sparsity * 1e4) / 1e4;
    const measure = (result: PipelineJobResult, offset: number): { bytes: number; metric: number; drop: number; estimatedDrop: number } => {
      const metric = result.report.final.metric.value;
      return { bytes: result.report.final.encodedBytes, metric, drop: dropOf(metric), estimatedDrop: dropOf(metric) + offset };
    };
    const startFullDrop = dropOf(full.report.final.metric.value);
    const firstDrop = dropOf(first.report.final.metric.value);
    const start: GoalTrial = { step: 0, change: 'start', layerSparsity: reached, ...(relativeError !== undefined ? { relativeError } : {}), ...measure(first, startFullDrop - firstDrop), ...(cheaper ? { fullDrop: startFullDrop } : {}), accepted: true };
    const trials: GoalTrial[] = [start];
    const measuredOn = first.report.data.heldOut ? 'held-out training examples' : 'test split';
    const fullStart = cheaper ? { bytes: full.report.final.encodedBytes, metric: full.report.final.metric.value, drop: startFullDrop } : undefined;
    options.logger.info(
      `goal: start (the config as written): ${start.bytes.toLocaleString('en-US')} B, ${first.report.task.metric} ${start.metric.toFixed(4)} on the ${measuredOn} (${first.report.data.testExamples} examples; unpruned ${baselineMetric.toFixed(4)}, drop ${start.drop.toFixed(4)}${fullStart ? `, ${fullStart.drop.toFixed(4)} with the full settings` : ''}; ${goal.metricDrop} allowed)`,
    );
    // The kept steps, newest last, by index in `trials`: a step whose full run misses the goal is undone.
    const walk: number[] = [0];
    const atPoint = (): GoalTrial => trials[walk[walk.length - 1]];
    const rounds = goal.steps ?? 8;
    const firstShare = goal.stepShare ?? 0.2;
    // A round where every proposal misses is tried again with steps half as large, twice at most.
    const smallestShare = firstShare / 4;
    let share = firstShare;
    let stopped = `${rounds} rounds done`;
    if (start.estimatedDrop > goal.metricDrop) {
      stopped = `the config as written already loses ${start.estimatedDrop.toFixed(4)} on the ${measuredOn}, more than metricDrop ${goal.metricDrop}; nothing smaller was tried`;
    } else {
      for (let step = 1; step <= rounds; step++) {
        const current = atPoint();
        const round = proposals(current, sizes, share);
        if (round.length === 0) {
          stopped = `round ${step}: no layer has weights left to give`;
          break;
        }
        // The starting point's full run, unless it has one (the start, or trials that run the full settings).
        const calibrate = cheaper && current.fullDrop === undefined;
        const results = await run([
          ...round.map((p) => ({ change: p.change, config: budgetedConfig(trialBase, stage, sizes, p.layerSparsity, p.relativeError) })),
          ...(calibrate ? [{ change: `round ${current.step}'s step, full settings`, config: budgetedConfig(fullBase, stage, sizes, current.layerSparsity, current.relativeError) }] : []),
        ]);
        if (calibrate) {
          const fullDrop = dropOf(results[round.length].report.final.metric.value);
          trials[walk[walk.length - 1]] = { ...current, fullDrop };
          options.logger.info(`goal: round ${step}: round ${current.step}'s step with the full settings: drop ${fullDrop.toFixed(4)} (estimated ${current.estimatedDrop.toFixed(4)})`);
        }
        const point = trials[walk[walk.length - 1]];
        const offset = point.fullDrop !== undefined ? point.fullDrop - point.drop : 0;
        const measured = round.map((p, i): GoalTrial => ({ step, change: p.change, layerSparsity: p.layerSparsity, ...(p.relativeError !== undefined ? { relativeError: p.relativeError } : {}), ...measure(results[i], offset), accepted: false }));
        if (point.fullDrop !== undefined && point.fullDrop > goal.metricDrop) {
          // The step overshot: undo it, and go on from the step before with smaller steps.
          trials.push(...measured);
          trials[walk[walk.length - 1]] = { ...point, accepted: false };
          walk.pop();
          if (share / 2 < smallestShare) {
            stopped = `round ${step}: round ${point.step}'s step lost ${point.fullDrop.toFixed(4)} with the full settings, more than metricDrop ${goal.metricDrop}, and steps are at their smallest`;
            break;
          }
          share /= 2;
          options.logger.info(`goal: round ${step}: that is more than metricDrop ${goal.metricDrop}; back to ${atPoint().step === 0 ? 'the start' : `round ${atPoint().step}'s step`}, steps of ${pct(share)}`);
          continue;
        }
        const kept = pickProposal(point, measured, goal.metricDrop);
        const marked = measured.map((t, i) => ({ ...t, accepted: i === kept }));
        for (const t of marked) options.logger.info(`goal: round ${step}: ${t.change}: ${t.bytes.toLocaleString('en-US')} B, drop ${t.drop.toFixed(4)}${cheaper ? ` (estimated ${t.estimatedDrop.toFixed(4)} with the full settings)` : ''}${t.accepted ? ', kept' : ''}`);
        trials.push(...marked);
        if (kept !== undefined) {
          walk.push(trials.length - marked.length + kept);
          continue;
        }
        if (share / 2 < smallestShare) {
          stopped = `round ${step}: every proposal lost more than metricDrop ${goal.metricDrop} or saved no bytes, with steps at their smallest`;
          break;
        }
        share /= 2;
        options.logger.info(`goal: round ${step}: no proposal kept; steps of ${pct(share)} next`);
      }
    }
    const current = atPoint();
    const configFor = (trial: GoalTrial): PipelineConfig => (trial.step === 0 ? base : budgetedConfig(base, stage, sizes, trial.layerSparsity, trial.relativeError));
    return { goal, trials, chosen: current, baselineMetric, higherIsBetter, measuredOn, examples: first.report.data.testExamples, ...(fullStart ? { fullStart } : {}), stopped, config: configFor(current), configFor, durationMs: Date.now() - started };
  } finally {
    if (!options.workDir) fs.rmSync(work, { recursive: true, force: true });
  }
}

/** The search as the final run's report records it. */
export function goalReport(result: GoalResult): Omit<ReportGoal, 'testDrop' | 'notes'> {
  return {
    minimize: result.goal.minimize,
    metricDrop: result.goal.metricDrop,
    measuredOn: result.measuredOn,
    examples: result.examples,
    baselineMetric: result.baselineMetric,
    trials: result.trials,
    ...(result.fullStart ? { fullStart: result.fullStart } : {}),
    chosen: result.trials.indexOf(result.chosen),
    stopped: result.stopped,
    durationMs: result.durationMs,
  };
}

export interface RunGoalOptions extends Omit<RunOptions, 'goal' | 'logger'> {
  readonly logger: Logger;
  /** Overrides the goal's `processes` for the trials. */
  readonly processes?: number | 'auto';
  /** Called with each pipeline before it runs (a progress bar taps its hooks). */
  readonly observe?: (pipeline: Pipeline) => void;
  /** Called as trials start and finish. */
  readonly onEvent?: (event: JobEvent) => void;
  /** What runs the trials (default: `runJobs`, on this machine's cores). */
  readonly runner?: JobRunner;
}

/**
 * Searches the goal's budgets, then runs the config with the chosen ones. A final run that
 * loses more than the goal allows on the test split (trials estimate; the final run
 * measures) is run again with the kept step before it, back to the config as written; the
 * report names each run that missed. Returns the report of the run whose files are written.
 */
export async function runGoal(loaded: LoadedConfig, options: RunGoalOptions): Promise<Report> {
  const { logger, processes, observe, onEvent, runner, ...run } = options;
  const result = await searchGoal(loaded, { logger, ...(processes !== undefined ? { processes } : {}), ...(onEvent ? { onEvent } : {}), ...(runner ? { runner } : {}) });
  const record = goalReport(result);
  const kept = result.trials.map((t, i) => [t, i] as const).filter(([t]) => t.accepted);
  const missed: { trial: number; bytes: number; testDrop: number }[] = [];
  for (let k = kept.length - 1; k >= 0; k--) {
    const [trial, index] = kept[k];
    const pipeline = new Pipeline({ ...loaded, config: result.configFor(trial) }, { ...run, logger, goal: { ...record, chosen: index, ...(missed.length > 0 ? { missed: [...missed] } : {}) } });
    observe?.(pipeline);
    const report = await pipeline.run();
    const goal = report.goal!;
    if (goal.testDrop <= result.goal.metricDrop || k === 0) return report;
    missed.push({ trial: index, bytes: report.final.encodedBytes, testDrop: goal.testDrop });
    const back = kept[k - 1][0];
    logger.info(`goal: stepping back to ${back.step === 0 ? 'the config as written' : `round ${back.step} (${back.change})`}`);
  }
  throw new Error('unreachable: the config as written is always kept');
}

/** Prunable layers of the config's model and their kernel sizes. */
async function layerSizes(loaded: LoadedConfig): Promise<Map<string, number>> {
  await chooseBackend(loaded.config.backend ?? 'auto');
  const model = await loadConfiguredModel(loaded.config.model, loaded.dir);
  try {
    return new Map(prunableWeights(model).map((w) => [w.layerName, w.size] as const));
  } finally {
    model.dispose();
  }
}

/**
 * The goal search: per-layer budgets found by measured trials instead of set by hand, in the
 * manner of NetAdapt (Yang et al., "NetAdapt: Platform-Aware Neural Network Adaptation for
 * Mobile Applications", ECCV 2018). Each round proposes, for every layer, to give up a share
 * of what remains from that layer alone (and, for a bytes goal whose codec takes an error
 * bound, a larger bound); every proposal is a trial (the config run with those budgets,
 * measured where the final run measures, or on held-out training examples), and the round
 * keeps the one that loses the least metric per unit of the resource saved: within the
 * allowed loss (minimize), or until the resource is under its limit (maximize). Trials are
 * pipeline jobs, so they run on every core, or on a queue's workers, with the same result.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chooseBackend } from '../backend/choose';
import type { LoadedConfig } from '../config/load';
import type { GoalConfig, GoalResource, PipelineConfig } from '../config/types';
import { ConfigError } from '../errors';
import { analyzeChannels } from '../graph/channel-groups';
import type { Job, JsonValue } from '../jobs/job';
import { JobEvent, JobRunner, runJobs } from '../jobs/local-pool';
import type { PipelineJobInput, PipelineJobResult } from '../jobs/pipeline-job';
import { setPath } from '../jobs/sweep';
import { prunableWeights } from '../model/masks';
import { alternatingMedians } from '../model/latency';
import { loadConfiguredModel, loadModel } from '../model/model-io';
import { pruneCount } from '../pipeline/schedule';
import { Pipeline, RunOptions } from '../pipeline/pipeline';
import { costOf, showCost } from '../report/goal-costs';
import type { GoalCosts, Report, ReportGoal, ReportGoalTrial } from '../report/report';
import type { Logger } from '../util/logger';
import type { LayersModel } from '@tensorflow/tfjs';

/** One measured point of the search (report.json's `goal.trials`). */
export type GoalTrial = ReportGoalTrial;

/** What the search sets per layer. */
export type SearchedKind = 'sparsity' | 'filterRatio';

/** The goal as the search reads it. */
export interface GoalPlan {
  readonly resource: GoalResource;
  /** minimize: the largest loss allowed. */
  readonly metricDrop?: number;
  /** maximize: the resource's limit. */
  readonly limit?: number;
}

export interface GoalResult {
  readonly goal: GoalConfig;
  readonly plan: GoalPlan;
  readonly searched: SearchedKind;
  /** The searched stage's index: losses are against the model it starts from. */
  readonly stage: number;
  /** Every trial, in the order the rounds ran them. */
  readonly trials: readonly GoalTrial[];
  /** The trial the final run uses: the last one kept. */
  readonly chosen: GoalTrial;
  /** The metric, on the examples the trials were measured on, of the model the searched stage starts from (the unpruned model, or the transferred one). */
  readonly baselineMetric: number;
  readonly higherIsBetter: boolean;
  /** What the trials were measured on, and how many examples. */
  readonly measuredOn: 'test split' | 'held-out training examples';
  readonly examples: number;
  /** With cheaper trials: the config as written with its full settings. */
  readonly fullStart?: GoalCosts & { readonly metric: number; readonly drop: number };
  /** Why the search stopped. */
  readonly stopped: string;
  /** Said when a maximize goal's limit was not reached: the run uses the smallest point found. */
  readonly notes: readonly string[];
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

const LIMIT_KEYS = { bytes: 'maxBytes', flops: 'maxFlops', latency: 'maxLatencyMs' } as const;

/** The goal's shape, checked: one of minimize + metricDrop, or maximize + one limit. */
export function goalPlan(goal: GoalConfig, file: string): GoalPlan {
  const limits = (Object.entries(LIMIT_KEYS) as [GoalResource, (typeof LIMIT_KEYS)[GoalResource]][]).filter(([, key]) => goal[key] !== undefined);
  const fail = (at: string, message: string): never => {
    throw new ConfigError(`${file}: ${at}: ${message}`, file, at);
  };
  if (goal.minimize !== undefined && goal.maximize !== undefined) fail('goal', 'minimize and maximize together; give one');
  if (goal.minimize !== undefined) {
    if (goal.metricDrop === undefined) fail('goal.metricDrop', `minimize ${goal.minimize} needs the largest loss allowed (metricDrop: 0.005 is half a point of accuracy)`);
    if (limits.length > 0) fail(`goal.${limits[0][1]}`, 'a limit goes with maximize: metric; with minimize, give metricDrop');
    return { resource: goal.minimize, metricDrop: goal.metricDrop };
  }
  if (goal.maximize !== undefined) {
    if (goal.metricDrop !== undefined) fail('goal.metricDrop', 'goes with minimize; maximize: metric takes one limit (maxBytes, maxFlops or maxLatencyMs)');
    if (limits.length !== 1) fail('goal', `maximize: metric needs exactly one of maxBytes, maxFlops, maxLatencyMs${limits.length > 1 ? ` (it has ${limits.map(([, k]) => k).join(', ')})` : ''}`);
    const [resource, key] = limits[0];
    return { resource, limit: goal[key] };
  }
  return fail('goal', 'give minimize (bytes, flops or latency) with metricDrop, or maximize: metric with one of maxBytes, maxFlops, maxLatencyMs');
}

/** The config without its goal: what trials start from and the final run runs. */
function withoutGoal(config: PipelineConfig): PipelineConfig {
  const { goal: _goal, ...rest } = config;
  return rest;
}

/**
 * The stage the search sets budgets for, its index and kind. Bytes fall with sparsity or
 * with channels; FLOPs and latency only with channels (masks leave the dense shapes).
 */
function searchedStage(config: PipelineConfig, goal: GoalConfig, plan: GoalPlan, file: string): { at: number; kind: SearchedKind } {
  const kinds: SearchedKind[] = plan.resource === 'bytes' ? ['sparsity', 'filterRatio'] : ['filterRatio'];
  const why = plan.resource === 'bytes' ? 'a sparsity or filterRatio target' : `a filterRatio target: ${plan.resource === 'flops' ? 'FLOPs' : 'latency'} fall only when channels go (zeros in a kernel leave the dense model as it is)`;
  const kindOf = (i: number): SearchedKind | undefined => kinds.find((k) => config.stages[i].target?.[k] !== undefined);
  if (goal.stage !== undefined) {
    const at = config.stages.findIndex((s) => s.name === goal.stage);
    if (at < 0) throw new ConfigError(`${file}: goal.stage: no stage named "${goal.stage}" (stages: ${config.stages.map((s) => s.name).join(', ')})`, file, 'goal.stage');
    const kind = kindOf(at);
    if (!kind) throw new ConfigError(`${file}: goal.stage: stage "${goal.stage}" has no ${why}`, file, 'goal.stage');
    return { at, kind };
  }
  for (const kind of kinds) {
    const at = config.stages.findIndex((s) => s.target?.[kind] !== undefined);
    if (at >= 0) return { at, kind };
  }
  throw new ConfigError(`${file}: goal: no stage has ${why}; the search sets that target per layer (goal.stage names the stage)`, file, 'goal');
}

/** What a layer's value removes of `size`: weights (sparsity, rounded down as selection does) or channels (filterRatio). */
function removedBy(kind: SearchedKind, value: number, size: number): number {
  return kind === 'sparsity' ? Math.floor(value * size) : pruneCount(value, size);
}

/** `config` with the stage's per-layer values and the codec's bound set. */
export function budgetedConfig(config: PipelineConfig, stage: number, kind: SearchedKind, sizes: ReadonlyMap<string, number>, layerValues: Readonly<Record<string, number>> | undefined, relativeError: number | undefined): PipelineConfig {
  let out = config;
  if (layerValues) {
    let removed = 0;
    let total = 0;
    for (const [layer, size] of sizes) {
      total += size;
      removed += removedBy(kind, layerValues[layer] ?? 0, size);
    }
    // The model-wide value the map reaches, rounded down so that the map always reaches it.
    const modelWide = Math.floor((removed / total) * 1e4) / 1e4;
    const initial = out.stages[stage].schedule?.initial;
    out = setPath(out, `stages.${stage}.target.${kind}`, modelWide);
    if (initial !== undefined && initial > modelWide) out = setPath(out, `stages.${stage}.schedule.initial`, modelWide);
    out = setPath(out, `stages.${stage}.layerTargets`, { [kind]: { ...layerValues } });
  }
  if (relativeError !== undefined) out = setPath(out, 'encode.relativeError', relativeError);
  return out;
}

export interface Proposal {
  readonly change: string;
  readonly layerValues: Record<string, number>;
  readonly relativeError?: number;
}

/**
 * Proposals of one round. Sparsity: each layer alone gives up `share` of the model's remaining
 * weights (at most half of its own), and a layer that cannot give a quarter of that sits the
 * round out. Filter ratio: each channel group gives up `share` of its own remaining channels
 * (one at least, keeping one), since groups differ too much in size for one shared ask.
 * With `bound`, the codec's bound grows by 2.5 times the share (by half at the default 0.2).
 */
export function proposals(current: GoalTrial, sizes: ReadonlyMap<string, number>, share: number, kind: SearchedKind = 'sparsity', bound = true): Proposal[] {
  const out: Proposal[] = [];
  const keepBound = current.relativeError !== undefined ? { relativeError: current.relativeError } : {};
  if (kind === 'sparsity') {
    const remaining = [...sizes].reduce((n, [layer, size]) => n + size * (1 - (current.layerValues[layer] ?? 0)), 0);
    const ask = share * remaining;
    for (const [layer, size] of sizes) {
      const now = current.layerValues[layer];
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
      out.push({ change: `${layer} ${pct(now)} → ${pct(next)}`, layerValues: { ...current.layerValues, [layer]: next }, ...keepBound });
    }
  } else {
    for (const [layer, size] of sizes) {
      const now = current.layerValues[layer];
      if (now === undefined || now <= 0) continue;
      const kept = size - pruneCount(now, size);
      const give = Math.max(1, Math.floor(kept * share));
      if (kept - give < 1) continue;
      // Rounded down to 1e-6: the ratio then removes exactly size − kept + give channels (pruneCount rounds up).
      const next = Math.floor(((size - kept + give) / size) * 1e6) / 1e6;
      if (pruneCount(next, size) !== size - kept + give || next <= now) continue;
      out.push({ change: `${layer} ${kept} → ${kept - give} channels`, layerValues: { ...current.layerValues, [layer]: next }, ...keepBound });
    }
  }
  if (bound && current.relativeError !== undefined && current.relativeError < 0.25) {
    const next = Math.round(current.relativeError * (1 + 2.5 * share) * 1e4) / 1e4;
    out.push({ change: `error bound ${current.relativeError} → ${next}`, layerValues: { ...current.layerValues }, relativeError: next });
  }
  return out;
}

/**
 * The proposal a round keeps: among those that save some of the resource and whose estimated
 * drop is within `metricDrop` (any drop, when undefined: a maximize goal), the one that loses
 * the least metric per unit saved (a gain counts as no loss, and then the largest saving
 * wins); ties go to the smaller cost, then to the earlier proposal. Undefined when none qualifies.
 */
export function pickProposal(current: GoalTrial, measured: readonly GoalTrial[], metricDrop: number | undefined, resource: GoalResource = 'bytes'): number | undefined {
  let best: number | undefined;
  let bestKey: [number, number] | undefined;
  const now = costOf(current, resource);
  measured.forEach((t, i) => {
    const cost = costOf(t, resource);
    const saved = now - cost;
    if ((metricDrop !== undefined && !(t.estimatedDrop <= metricDrop)) || !(saved > 0)) return;
    const key: [number, number] = [Math.max(0, t.drop - current.drop) / saved, cost];
    if (!bestKey || key[0] < bestKey[0] || (key[0] === bestKey[0] && key[1] < bestKey[1])) {
      best = i;
      bestKey = key;
    }
  });
  return best;
}

/** One round's measurements: the proposals' trials, and the starting point's full run when asked. */
export type MeasureRound = (point: GoalTrial, round: readonly Proposal[], calibrate: boolean) => Promise<{ readonly trials: readonly Omit<GoalTrial, 'step' | 'change' | 'layerValues' | 'relativeError' | 'estimatedDrop' | 'accepted'>[]; readonly full?: GoalTrial['full'] }>;

export interface WalkOptions {
  readonly plan: GoalPlan;
  readonly sizes: ReadonlyMap<string, number>;
  readonly kind: SearchedKind;
  /** Trials run cheaper settings than the final run: each kept step's full run calibrates the next round. */
  readonly cheaper: boolean;
  readonly rounds: number;
  readonly share: number;
  readonly measuredOn: string;
  readonly measure: MeasureRound;
  readonly log: (line: string) => void;
}

/**
 * The rounds, from `start` (measured, with its full run when trials are cheaper): proposals,
 * trials, the pick. A kept step whose full run misses a minimize goal is undone, and a round
 * where nothing qualifies is tried again with steps half as large, twice at most. A maximize
 * goal stops at the first step whose resource (estimated for the full settings) is within the limit.
 */
export async function walkGoal(start: GoalTrial, options: WalkOptions): Promise<{ trials: GoalTrial[]; chosen: GoalTrial; stopped: string; reached: boolean }> {
  const { plan, cheaper, kind } = options;
  const trials: GoalTrial[] = [start];
  // The kept steps, newest last, by index in `trials`.
  const walk: number[] = [0];
  const atPoint = (): GoalTrial => trials[walk[walk.length - 1]];
  // A cost estimated for the full settings: scaled as the nearest kept step run both ways scales.
  const estimatedCost = (t: GoalTrial): number => {
    const calibrated = [...walk].reverse().map((i) => trials[i]).find((p) => p.full !== undefined);
    const own = costOf(t, plan.resource);
    if (t.full) return costOf(t.full, plan.resource);
    return calibrated?.full ? (own * costOf(calibrated.full, plan.resource)) / costOf(calibrated, plan.resource) : own;
  };
  const met = (t: GoalTrial): boolean => plan.limit === undefined || estimatedCost(t) <= plan.limit;
  const limitName = `${LIMIT_KEYS[plan.resource]} ${plan.limit !== undefined ? showCost(plan.limit, plan.resource) : ''}`;
  const smallestShare = options.share / 4;
  let share = options.share;
  let stopped = `${options.rounds} rounds done`;
  if (plan.metricDrop !== undefined && start.estimatedDrop > plan.metricDrop) {
    stopped = `the config as written already loses ${start.estimatedDrop.toFixed(4)} on the ${options.measuredOn}, more than metricDrop ${plan.metricDrop}; nothing smaller was tried`;
    return { trials, chosen: start, stopped, reached: false };
  }
  if (plan.limit !== undefined && met(start)) {
    return { trials, chosen: start, stopped: `the config as written is within ${limitName} already`, reached: true };
  }
  for (let step = 1; step <= options.rounds; step++) {
    const current = atPoint();
    const round = proposals(current, options.sizes, share, kind, plan.resource === 'bytes');
    if (round.length === 0) {
      stopped = `round ${step}: no layer has ${kind === 'sparsity' ? 'weights' : 'channels'} left to give`;
      break;
    }
    // The starting point's full run, unless it has one (the start, or trials that run the full settings).
    const calibrate = cheaper && current.full === undefined;
    const measured = await options.measure(current, round, calibrate);
    if (measured.full) {
      trials[walk[walk.length - 1]] = { ...current, full: measured.full };
      options.log(`round ${step}: round ${current.step}'s step with the full settings: drop ${measured.full.drop.toFixed(4)} (estimated ${current.estimatedDrop.toFixed(4)})`);
    }
    const point = atPoint();
    const offset = point.full ? point.full.drop - point.drop : 0;
    const results = round.map((p, i): GoalTrial => ({ step, change: p.change, layerValues: p.layerValues, ...(p.relativeError !== undefined ? { relativeError: p.relativeError } : {}), ...measured.trials[i], estimatedDrop: measured.trials[i].drop + offset, accepted: false }));
    if (plan.metricDrop !== undefined && point.full && point.full.drop > plan.metricDrop) {
      // The step overshot: undo it, and go on from the step before with smaller steps.
      trials.push(...results);
      trials[walk[walk.length - 1]] = { ...point, accepted: false };
      walk.pop();
      if (share / 2 < smallestShare) {
        stopped = `round ${step}: round ${point.step}'s step lost ${point.full.drop.toFixed(4)} with the full settings, more than metricDrop ${plan.metricDrop}, and steps are at their smallest`;
        break;
      }
      share /= 2;
      options.log(`round ${step}: that is more than metricDrop ${plan.metricDrop}; back to ${atPoint().step === 0 ? 'the start' : `round ${atPoint().step}'s step`}, steps of ${pct(share)}`);
      continue;
    }
    const kept = pickProposal(point, results, plan.metricDrop, plan.resource);
    const marked = results.map((t, i) => ({ ...t, accepted: i === kept }));
    for (const t of marked) options.log(`round ${step}: ${t.change}: ${showCost(costOf(t, plan.resource), plan.resource)}, drop ${t.drop.toFixed(4)}${cheaper ? ` (estimated ${t.estimatedDrop.toFixed(4)} with the full settings)` : ''}${t.accepted ? ', kept' : ''}`);
    trials.push(...marked);
    if (kept !== undefined) {
      walk.push(trials.length - marked.length + kept);
      if (plan.limit !== undefined && met(atPoint())) {
        stopped = `round ${step}: within ${limitName} (${showCost(estimatedCost(atPoint()), plan.resource)} estimated with the full settings)`;
        break;
      }
      continue;
    }
    if (share / 2 < smallestShare) {
      stopped = `round ${step}: ${plan.metricDrop !== undefined ? `every proposal lost more than metricDrop ${plan.metricDrop} or saved nothing` : 'no proposal saved anything'}, with steps at their smallest`;
      break;
    }
    share /= 2;
    options.log(`round ${step}: no proposal kept; steps of ${pct(share)} next`);
  }
  const chosen = atPoint();
  return { trials, chosen, stopped, reached: met(chosen) };
}

/** Searches per-layer budgets for the config's goal; returns every trial and the config to run. */
export async function searchGoal(loaded: LoadedConfig, options: GoalSearchOptions): Promise<GoalResult> {
  const started = Date.now();
  const { config, file, dir } = loaded;
  const goal = config.goal;
  if (!goal) throw new ConfigError(`${file}: no goal section`, file, 'goal');
  const plan = goalPlan(goal, file);
  if (plan.resource === 'bytes' && !config.encode) throw new ConfigError(`${file}: goal: a bytes goal needs an encode section: the bytes are those of the file it writes`, file, 'goal');
  if (plan.resource === 'latency' && !config.latency) throw new ConfigError(`${file}: goal: a latency goal needs the config's latency section (latency: { repeats: 5 }): every trial times its model`, file, 'goal');
  const { at: stage, kind } = searchedStage(config, goal, plan, file);
  const base = withoutGoal(config);
  let trialBase = goal.holdOut !== undefined ? setPath(base, 'data.holdOut', goal.holdOut) : base;
  for (const [key, value] of Object.entries(goal.trial ?? {})) {
    try {
      trialBase = setPath(trialBase, key, value as JsonValue);
    } catch (err) {
      throw new ConfigError(`${file}: goal.trial.${key}: ${(err as Error).message}`, file, `goal.trial.${key}`);
    }
  }

  // Trials run side by side, and a time taken inside one carries its neighbour's load (one
  // MobileNetV2 structure timed at 11.19 and 9.27 ms in two trials of the same search). So for
  // a latency goal the trials do not time themselves: after each round, with no trial
  // running, this process times each trial's model against the config as written's, in
  // alternation (timeAlone below).
  const timedAlone = plan.resource === 'latency';
  const untimed = (c: PipelineConfig): PipelineConfig => {
    if (!timedAlone) return c;
    const { latency: _latency, ...rest } = c;
    return rest;
  };
  trialBase = untimed(trialBase);

  // The layers (or channel groups, by the layer producing them) and their sizes, from the model itself.
  const sizes = await searchedSizes(loaded, kind);

  const work = options.workDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'nncompress-goal-'));
  let jobNumber = 0;
  /** Runs the configs as trial jobs; with a latency goal, their models stay (`model/model.json` in `outDir`) to be timed alone. */
  const run = async (configs: readonly { change: string; config: PipelineConfig }[]): Promise<{ result: PipelineJobResult; outDir: string }[]> => {
    const inputs = configs.map((c): PipelineJobInput => ({ config: c.config, dir, file: `${file} (goal trial: ${c.change})`, outDir: path.join(work, `trial-${++jobNumber}`), workers: 1, discardOutput: !timedAlone }));
    const jobs: Job[] = inputs.map((input, i) => ({ handler: 'pipeline', input: input as unknown as JsonValue, label: configs[i].change }));
    const results = await (options.runner ?? runJobs)<PipelineJobResult>(jobs, { processes: options.processes ?? goal.processes ?? 'auto', ...(options.onEvent ? { onEvent: options.onEvent } : {}) });
    return results.map((result, i) => ({ result, outDir: inputs[i].outDir }));
  };

  // The model every latency is timed against (the config as written, from the first trial), and its own batch-1 time.
  let reference: { model: LayersModel; outDir: string; ms: number } | undefined;
  const repeats = config.latency?.repeats ?? 5;
  /** Batch-1 milliseconds of each trial's model, timed alone in this process: the reference's time × the ratio measured in alternation with it. */
  const timeAlone = async (trials: readonly { outDir: string }[]): Promise<number[]> => {
    const modelFile = (outDir: string): string => path.join(outDir, 'model', 'model.json');
    if (!reference) {
      const model = await loadModel(modelFile(trials[0].outDir));
      // Timed as every trial is (warm-up, blocks), so that the ratios start from a like figure.
      reference = { model, outDir: trials[0].outDir, ms: alternatingMedians(model, model, 1, repeats, 5, 3)[0] };
    }
    const ref = reference;
    const times: number[] = [];
    for (const t of trials) {
      if (t.outDir === ref.outDir) {
        times.push(ref.ms);
        continue;
      }
      const model = await loadModel(modelFile(t.outDir));
      try {
        const [before, after] = alternatingMedians(ref.model, model, 1, repeats, 5, 3);
        times.push((ref.ms * after) / before);
      } finally {
        model.dispose();
        fs.rmSync(t.outDir, { recursive: true, force: true });
      }
    }
    return times;
  };
  /** Trials' results with their latency: timed alone for a latency goal, none otherwise. */
  const runAndTime = async (configs: readonly { change: string; config: PipelineConfig }[]): Promise<{ result: PipelineJobResult; latencyMs?: number }[]> => {
    const done = await run(configs);
    if (!timedAlone) return done.map(({ result }) => ({ result }));
    const times = await timeAlone(done);
    return done.map(({ result }, i) => ({ result, latencyMs: times[i] }));
  };

  try {
    const relativeError = plan.resource === 'bytes' ? config.encode?.relativeError : undefined;
    // Cheaper trials lose more than the full settings would, and the gap grows as the model
    // gets smaller. So each round also runs its starting point with the full settings, and
    // the round's trials are shifted by that point's gap before the goal is checked.
    const cheaper = Object.keys(goal.trial ?? {}).length > 0;
    const fullBase = goal.holdOut !== undefined ? setPath(base, 'data.holdOut', goal.holdOut) : base;
    const [firstRun, fullRun = firstRun] = await runAndTime([{ change: 'start', config: trialBase }, ...(cheaper ? [{ change: 'start, full settings', config: untimed(fullBase) }] : [])]);
    const [first, full] = [firstRun.result, fullRun.result];
    const higherIsBetter = first.report.task.higherIsBetter;
    // Losses are against the model the searched stage starts from: the unpruned model, or the
    // transferred one after a transfer stage (whose new head scores nothing before it trains).
    const referenceOf = (report: Report): number => report.stages[stage].metricBefore.value;
    const baselineMetric = referenceOf(full.report);
    const dropOf = (report: Report): number => {
      const [reference, metric] = [referenceOf(report), report.final.metric.value];
      return higherIsBetter ? reference - metric : metric - reference;
    };
    const costs = (report: Report, latencyMs: number | undefined): GoalCosts => ({ bytes: report.final.encodedBytes, flops: report.final.flops, ...(latencyMs !== undefined ? { latencyMs } : {}) });
    const measure = ({ result, latencyMs }: { result: PipelineJobResult; latencyMs?: number }): GoalCosts & { metric: number; drop: number } => ({ ...costs(result.report, latencyMs), metric: result.report.final.metric.value, drop: dropOf(result.report) });
    const reached = startValues(full.report, sizes, kind);
    const startFull = measure(fullRun);
    const firstMeasured = measure(firstRun);
    const start: GoalTrial = { step: 0, change: 'start', layerValues: reached, ...(relativeError !== undefined ? { relativeError } : {}), ...firstMeasured, estimatedDrop: startFull.drop, ...(cheaper ? { full: { ...costs(full.report, startFull.latencyMs), drop: startFull.drop } } : {}), accepted: true };
    const measuredOn = first.report.data.heldOut ? 'held-out training examples' : 'test split';
    const fullStart = cheaper ? startFull : undefined;
    const show = (t: GoalCosts): string => showCost(costOf(t, plan.resource), plan.resource);
    const wanted = plan.metricDrop !== undefined ? `${plan.metricDrop} allowed` : `${LIMIT_KEYS[plan.resource]} ${showCost(plan.limit!, plan.resource)}`;
    options.logger.info(
      `goal: start (the config as written): ${show(start)}, ${first.report.task.metric} ${start.metric.toFixed(4)} on the ${measuredOn} (${first.report.data.testExamples} examples; ${stage === 0 ? 'unpruned' : `before stage "${config.stages[stage].name}"`} ${baselineMetric.toFixed(4)}, drop ${start.drop.toFixed(4)}${fullStart ? `, ${fullStart.drop.toFixed(4)} and ${show(fullStart)} with the full settings` : ''}; ${wanted})`,
    );
    const walked = await walkGoal(start, {
      plan,
      sizes,
      kind,
      cheaper,
      rounds: goal.steps ?? 8,
      share: goal.stepShare ?? 0.2,
      measuredOn,
      log: (line) => options.logger.info(`goal: ${line}`),
      measure: async (point, round, calibrate) => {
        const results = await runAndTime([
          ...round.map((p) => ({ change: p.change, config: budgetedConfig(trialBase, stage, kind, sizes, p.layerValues, p.relativeError) })),
          ...(calibrate ? [{ change: `round ${point.step}'s step, full settings`, config: untimed(budgetedConfig(fullBase, stage, kind, sizes, point.layerValues, point.relativeError)) }] : []),
        ]);
        const fullRun = calibrate ? measure(results[round.length]) : undefined;
        return { trials: round.map((_, i) => measure(results[i])), ...(fullRun ? { full: { bytes: fullRun.bytes, flops: fullRun.flops, ...(fullRun.latencyMs !== undefined ? { latencyMs: fullRun.latencyMs } : {}), drop: fullRun.drop } } : {}) };
      },
    });
    const notes: string[] = [];
    if (plan.limit !== undefined && !walked.reached) {
      notes.push(`goal: ${LIMIT_KEYS[plan.resource]} ${showCost(plan.limit, plan.resource)} was not reached: the smallest point the search found is ${show(walked.chosen)} (${walked.chosen.step === 0 ? 'the config as written' : `round ${walked.chosen.step}`}; ${walked.stopped}); the run uses it`);
    }
    const configFor = (trial: GoalTrial): PipelineConfig => (trial.step === 0 ? base : budgetedConfig(base, stage, kind, sizes, trial.layerValues, trial.relativeError));
    return {
      goal,
      plan,
      searched: kind,
      stage,
      trials: walked.trials,
      chosen: walked.chosen,
      baselineMetric,
      higherIsBetter,
      measuredOn,
      examples: first.report.data.testExamples,
      ...(fullStart ? { fullStart } : {}),
      stopped: walked.stopped,
      notes,
      config: configFor(walked.chosen),
      configFor,
      durationMs: Date.now() - started,
    };
  } finally {
    reference?.model.dispose();
    if (!options.workDir) fs.rmSync(work, { recursive: true, force: true });
  }
}

/** The search as the final run's report records it. */
export function goalReport(result: GoalResult): Omit<ReportGoal, 'testDrop'> {
  return {
    resource: result.plan.resource,
    mode: result.plan.limit !== undefined ? 'maximize' : 'minimize',
    ...(result.plan.metricDrop !== undefined ? { metricDrop: result.plan.metricDrop } : {}),
    ...(result.plan.limit !== undefined ? { limit: result.plan.limit } : {}),
    searched: result.searched,
    referenceStage: result.stage,
    measuredOn: result.measuredOn,
    examples: result.examples,
    baselineMetric: result.baselineMetric,
    trials: result.trials,
    ...(result.fullStart ? { fullStart: result.fullStart } : {}),
    chosen: result.trials.indexOf(result.chosen),
    stopped: result.stopped,
    durationMs: result.durationMs,
    ...(result.notes.length > 0 ? { notes: result.notes } : {}),
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
 * loses more than a minimize goal allows on the test split (trials estimate; the final run
 * measures) is run again with the kept step before it, back to the config as written; the
 * report names each run that missed. Returns the report of the run whose files are written.
 */
export async function runGoal(loaded: LoadedConfig, options: RunGoalOptions): Promise<Report> {
  const { logger, processes, observe, onEvent, runner, ...run } = options;
  const result = await searchGoal(loaded, { logger, ...(processes !== undefined ? { processes } : {}), ...(onEvent ? { onEvent } : {}), ...(runner ? { runner } : {}) });
  for (const note of result.notes) logger.warn(note);
  const record = goalReport(result);
  const kept = result.trials.map((t, i) => [t, i] as const).filter(([t]) => t.accepted);
  const missed: { trial: number; bytes: number; testDrop: number }[] = [];
  for (let k = kept.length - 1; k >= 0; k--) {
    const [trial, index] = kept[k];
    const pipeline = new Pipeline({ ...loaded, config: result.configFor(trial) }, { ...run, logger, goal: { ...record, chosen: index, ...(missed.length > 0 ? { missed: [...missed] } : {}) } });
    observe?.(pipeline);
    const report = await pipeline.run();
    const goal = report.goal!;
    if (result.plan.metricDrop === undefined || goal.testDrop <= result.plan.metricDrop || k === 0) return report;
    missed.push({ trial: index, bytes: report.final.encodedBytes, testDrop: goal.testDrop });
    const back = kept[k - 1][0];
    logger.info(`goal: stepping back to ${back.step === 0 ? 'the config as written' : `round ${back.step} (${back.change})`}`);
  }
  throw new Error('unreachable: the config as written is always kept');
}

/**
 * What the search sets per layer, and the size each value applies to: prunable kernels by
 * layer (sparsity), or channel groups that may be pruned, by the first layer producing them
 * (filterRatio).
 */
async function searchedSizes(loaded: LoadedConfig, kind: SearchedKind): Promise<Map<string, number>> {
  await chooseBackend(loaded.config.backend ?? 'auto');
  const model = await loadConfiguredModel(loaded.config.model, loaded.dir);
  try {
    if (kind === 'sparsity') return new Map(prunableWeights(model).map((w) => [w.layerName, w.size] as const));
    return new Map(analyzeChannels(model).groups.filter((g) => !g.blocked).map((g) => [g.producers[0], g.size] as const));
  } finally {
    model.dispose();
  }
}

/** What the config as written reached per layer: kernel sparsity, or the share of each group's channels removed. Layers it left whole stay out (and whole). */
function startValues(report: Report, sizes: ReadonlyMap<string, number>, kind: SearchedKind): Record<string, number> {
  const values: Record<string, number> = {};
  for (const layer of report.layers) {
    const size = sizes.get(layer.name);
    if (size === undefined) continue;
    if (kind === 'sparsity') {
      if (layer.sparsity > 0) values[layer.name] = Math.round(layer.sparsity * 1e4) / 1e4;
    } else if (layer.channelsAfter > 0 && layer.channelsAfter < size) {
      const removed = size - layer.channelsAfter;
      values[layer.name] = Math.floor((removed / size) * 1e6) / 1e6;
    }
  }
  return values;
}

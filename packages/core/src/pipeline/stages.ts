/**
 * The stage loop: for each stage of a config, its rounds of beforeRound → (score → select →
 * prune → afterPrune per target) → finetune → afterRound, core's own prune step (apply the
 * plan, measure the target it serves, hold it to the round's value), and the stage's row of
 * the report. The pipeline calls it once per stage.
 */
import { analyzeChannels, ChannelAnalysis } from '../graph/channel-groups';
import type { StageConfig } from '../config/types';
import { ConfigError, errorMessage, PluginError } from '../errors';
import { modelStats } from '../model/model-stats';
import type { AppliedPlugin, PluginHost } from '../plugins/host';
import type { ReportStage } from '../report/report';
import type { Evaluation } from '../training/evaluate';
import type { Logger } from '../util/logger';
import { applyChannelPlan, applyLayerPlan, applyWeightPlan } from './apply-plan';
import { PipelineHooks, TapStage } from './hooks';
import { roundTargets } from './schedule';
import type { TargetKind, TargetKindRegistry } from './targets';
import type { PruningPlan, RoundContext, RunContext, StageContext } from './types';

/** What a stage has done towards its targets so far. */
interface TargetProgress {
  channelsRemoved: number;
  channelsAtStart: number;
  unitsRemoved: number;
  readonly reached: Record<string, number>;
  readonly selectedBy: Record<string, string>;
}

/** The kinds of plan core applies. */
const PLAN_KINDS = ['weights', 'channels', 'layers'];

/** A stage that ends this far below a `warn` target says so. */
const SHORTFALL = 0.02;

/** Channels in the groups a structured prune may touch (not blocked). */
function prunableChannels(analysis: ChannelAnalysis): number {
  return analysis.groups.filter((g) => !g.blocked).reduce((n, g) => n + g.size, 0);
}

export interface StageLoopDeps {
  readonly hooks: PipelineHooks;
  readonly logger: Logger;
  /** The config file, for messages. */
  readonly file: string;
  /** The run's target kinds: core's and the configured plugins'. */
  readonly targetKinds: TargetKindRegistry;
  /** Evaluates the model on the test data and announces it on `evaluate`. */
  readonly measure: (label: string, run: RunContext) => Promise<Evaluation>;
}

export class StageLoop {
  /** The target the plan being applied serves (set around `prune`). */
  private applying: { key: string; value: number; round: number; where: string; progress: TargetProgress; kind: TargetKind } | undefined;
  private current: string | undefined;

  constructor(private readonly deps: StageLoopDeps) {
    deps.hooks.prune.tapPromise({ name: 'nncompress:apply-plan', stage: TapStage.APPLY_PLAN }, (plan, round) => this.applyPlan(plan, round));
  }

  /** The stage running, if one is (for the `failed` hook). */
  get currentStage(): string | undefined {
    return this.current;
  }

  /**
   * For every stage and key of its target, the one active instance whose `select` serves it.
   * No server, or two, is a config error naming the stage, the key and the instances.
   */
  selectorsByStage(stages: readonly StageConfig[], host: PluginHost): Map<string, string>[] {
    const { file } = this.deps;
    return stages.map((stage, i) => {
      const chosen = new Map<string, string>();
      for (const key of Object.keys(stage.target ?? {})) {
        const where = `stages[${i}].target.${key}`;
        const active = host.applied.filter((p) => !stage.use || stage.use.includes(p.instanceName));
        const servers = active.filter((p) => host.selectors.get(p.instanceName)?.has(key));
        const named = (list: readonly AppliedPlugin[]): string => list.map((p) => `${p.instanceName} (${p.id})`).join(' and ');
        if (servers.length === 0) {
          const elsewhere = host.applied.filter((p) => host.selectors.get(p.instanceName)?.has(key));
          const hint = elsewhere.length > 0 ? `; ${named(elsewhere)} does, but is not in stages[${i}].use` : '; add a plugin that does';
          throw new ConfigError(`${file}: ${where}: no active plugin selects for target "${key}"${hint}`, file, where);
        }
        if (servers.length > 1) {
          throw new ConfigError(`${file}: ${where}: ${named(servers)} both select for target "${key}"; list one of them in stages[${i}].use`, file, where);
        }
        chosen.set(key, servers[0].instanceName);
        // Per-layer values go only to a selector that follows them: another would reach the model-wide value its own way and leave the map unread.
        if (stage.layerTargets?.[key] && !host.layerSelectors.get(servers[0].instanceName)?.has(key)) {
          const at = `stages[${i}].layerTargets.${key}`;
          throw new ConfigError(`${file}: ${at}: ${named(servers)} selects for "${key}" but takes no per-layer values (its select tap declares no layerTargets); remove ${at} or use a plugin that takes them`, file, at);
        }
      }
      for (const key of Object.keys(stage.layerTargets ?? {})) {
        if (!chosen.has(key)) throw new ConfigError(`${file}: stages[${i}].layerTargets.${key}: the stage has no ${key} target`, file, `stages[${i}].layerTargets.${key}`);
      }
      return chosen;
    });
  }

  async run(stage: StageConfig, stageIndex: number, run: RunContext, host: PluginHost, selectors: ReadonlyMap<string, string>, before: Evaluation): Promise<{ row: ReportStage; evaluation: Evaluation }> {
    const started = performance.now();
    this.current = stage.name;
    const ctx: StageContext = { ...run, stage, stageIndex };
    host.setActive(stage.use);
    const activeIds = host.applied.filter((p) => !stage.use || stage.use.includes(p.instanceName)).map((p) => p.id);
    await this.deps.hooks.beforeStage.promise(ctx);
    const where = `${this.deps.file}: stages[${stageIndex}] (${stage.name})`;
    // Each target kind's values per round, from the stage's end value and schedule.
    const stageTargets: Record<string, number> = {};
    const schedules = new Map<string, number[]>();
    for (const [key, value] of Object.entries(stage.target ?? {})) {
      const kind = this.deps.targetKinds.get(key);
      if (value === undefined || !kind) continue;
      stageTargets[key] = value;
      const values = roundTargets(value, stage.schedule);
      schedules.set(key, kind.unit === 'count' ? values.map((n) => Math.round(n)) : values);
    }
    const rounds = [...schedules.values()][0]?.length ?? 1;
    const progress: TargetProgress = { channelsRemoved: 0, channelsAtStart: 0, unitsRemoved: 0, reached: {}, selectedBy: {} };
    // Group widths when the stage starts, by first producer: to tell which a high ratio leaves at one channel.
    const widthsAtStart = new Map<string, number>();
    if (schedules.has('filterRatio')) {
      const start = analyzeChannels(run.state.model);
      progress.channelsAtStart = prunableChannels(start);
      for (const g of start.groups) if (!g.blocked) widthsAtStart.set(g.producers[0], g.size);
    }
    for (let round = 0; round < rounds; round++) {
      let analysis: ChannelAnalysis | undefined;
      const targets = Object.fromEntries([...schedules].map(([key, values]) => [key, values[round]]));
      // Each layer goes the share of its way that the model-wide value goes this round.
      const layerTargets = Object.fromEntries(
        Object.entries(stage.layerTargets ?? {}).map(([key, values]) => {
          const share = stageTargets[key] > 0 ? targets[key] / stageTargets[key] : 1;
          return [key, Object.fromEntries(Object.entries(values).map(([layer, v]) => [layer, v * share]))];
        }),
      );
      const roundCtx: RoundContext = {
        ...ctx,
        round,
        rounds,
        targets,
        stageTargets,
        layerTargets,
        progress: (round + 1) / rounds,
        targetSparsity: targets.sparsity ?? 0,
        targetFilterRatio: targets.filterRatio ?? 0,
        targetLayers: targets.layers ?? 0,
        channels: () => (analysis ??= analyzeChannels(run.state.model)),
      };
      const goals = Object.entries(targets).map(([key, value]) => this.deps.targetKinds.get(key)!.format(value));
      this.deps.hooks.progress.call({ phase: 'stage', message: `${stage.name}: round ${round + 1}/${rounds}${goals.length ? `, target ${goals.join(', ')}` : ''}` });
      await this.deps.hooks.beforeRound.promise(roundCtx);
      for (const [key, value] of Object.entries(targets)) {
        const instance = selectors.get(key)!;
        const kind = this.deps.targetKinds.get(key)!;
        // Scores are taken afresh for each target: an earlier plan this round may have changed the model.
        analysis = undefined;
        const scores = await this.deps.hooks.score.promise({ weights: new Map(), channels: new Map(), layers: new Map() }, roundCtx);
        host.setSelecting(instance);
        let plan: PruningPlan | undefined;
        try {
          plan = await this.deps.hooks.select.promise(scores, roundCtx);
        } finally {
          host.setSelecting(undefined);
        }
        if (!plan) throw new PluginError(`${where}: target ${kind.format(value)}: ${instance}, the plugin that selects for "${key}", answered no plan in round ${round + 1}`, instance, 'select');
        if (typeof plan !== 'object' || !PLAN_KINDS.includes((plan as { kind?: string }).kind ?? '')) {
          throw new PluginError(`${where}: ${instance} answered "select" with ${errorMessage(plan).replace(/^threw /, '')}, not a plan ({ kind: 'weights' | 'channels' | 'layers', … })`, instance, 'select');
        }
        this.applying = { key, value, round, where, progress, kind };
        try {
          await this.deps.hooks.prune.promise(plan, roundCtx);
        } finally {
          this.applying = undefined;
        }
        analysis = undefined;
        await this.deps.hooks.afterPrune.promise(plan, roundCtx);
        progress.selectedBy[key] = `${instance} (${plan.selectedBy})`;
      }
      await this.deps.hooks.finetune.promise(roundCtx);
      run.state.masks.apply(run.state.model);
      await this.deps.hooks.afterRound.promise(roundCtx);
    }
    // What fell short of the stage's target, said in the log and the report.
    const notes: string[] = [];
    for (const [key, value] of Object.entries(stageTargets)) {
      const kind = this.deps.targetKinds.get(key)!;
      const reached = progress.reached[key];
      if (kind.short === 'warn' && reached !== undefined && reached < value - SHORTFALL) {
        notes.push(`target ${kind.format(value)} reached only ${kind.format(reached)}${kind.shortHint ? ` ${kind.shortHint}` : ''}`);
      }
    }
    if (widthsAtStart.size > 0) {
      const single = analyzeChannels(run.state.model).groups.filter((g) => g.size === 1 && (widthsAtStart.get(g.producers[0]) ?? 1) > 1).map((g) => g.producers.join('+'));
      if (single.length > 0) notes.push(`${single.length} channel group${single.length === 1 ? ' is' : 's are'} down to one channel (${single.join(', ')}): the ratio leaves them almost nothing`);
    }
    for (const note of notes) this.deps.logger.warn(`stage ${stage.name}: ${note}`);
    const after = await this.deps.measure(stage.name, run);
    const stats = modelStats(run.state.model);
    const row: ReportStage = {
      name: stage.name,
      plugin: activeIds.join('+'),
      target: stageTargets,
      selectedBy: progress.selectedBy,
      reached: progress.reached,
      ...(notes.length > 0 ? { notes } : {}),
      rounds,
      metricBefore: before.metric,
      metricAfter: after.metric,
      ...(before.accuracy !== undefined && after.accuracy !== undefined ? { accuracyBefore: before.accuracy, accuracyAfter: after.accuracy } : {}),
      sparsity: stats.sparsity,
      params: stats.params,
      nonzeroParams: stats.nonzeroParams,
      flops: stats.flops,
      durationMs: Math.round(performance.now() - started),
    };
    await this.deps.hooks.afterStage.promise(ctx, row);
    this.current = undefined;
    return { row, evaluation: after };
  }

  /**
   * Core's prune step: applies the plan, then measures the target it serves and holds it to
   * the round's value (a target is a floor; past it only by the kind's overshoot).
   */
  private async applyPlan(plan: PruningPlan, round: RoundContext): Promise<void> {
    const applying = this.applying;
    if (plan.kind === 'weights') applyWeightPlan(round.state, plan);
    else if (plan.kind === 'channels') {
      if (applying) applying.progress.channelsRemoved += [...plan.removals.values()].reduce((n, r) => n + r.length, 0);
      await applyChannelPlan(round.state, plan);
    } else {
      if (applying) applying.progress.unitsRemoved += plan.units.length;
      await applyLayerPlan(round.state, plan);
    }
    if (!applying) return;
    const { kind, value, progress, where } = applying;
    const reached = kind.measure({ model: round.state.model, ...progress });
    progress.reached[kind.key] = reached;
    const tooFar = kind.overshoot !== undefined && reached > value + kind.overshoot + 1e-9;
    const short = kind.short === 'error' && reached < value - (kind.undershoot ?? 0) - 1e-9;
    if (tooFar || short) {
      const rule = tooFar && kind.overshootHint ? `: ${kind.overshootHint}` : '';
      throw new PluginError(
        `${where}, round ${applying.round + 1}: target ${kind.format(value)} but the plan from ${plan.selectedBy} reached ${kind.format(reached)}${rule}`,
        plan.selectedBy,
        'select',
      );
    }
  }
}

/**
 * The pipeline: load model → baseline evaluation → stages (rounds of score → select →
 * prune → finetune) → encode → write artifacts → report. Core drives the hooks; plugins do
 * the work.
 */
import * as fs from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import * as path from 'node:path';
import { analyzeChannels, ChannelAnalysis } from '../graph/channel-groups';
import { cloneModel } from '../graph/topology';
import { withTrainableBatchNorm } from '../graph/trainable-batchnorm';
import { BackendInfo, chooseBackend } from '../backend/choose';
import type { LoadedConfig } from '../config/load';
import type { StageConfig } from '../config/types';
import { configuredTask, datasetRegistryFor, loadData } from '../datasets/configured';
import { CodecRegistry, weightEncodingProblem } from '@nncompress/format';
import { codecRegistryFor } from '../encode/codecs';
import { containerArtifact, DEFAULT_CONTAINER_NAME, encodeTensorWith } from '../encode/stage';
import { DEFAULT_DATA_SEED, DatasetRegistry } from '../datasets/registry';
import type { DataSplits } from '../datasets/source';
import { ConfigError, errorMessage, InputError, PluginError } from '../errors';
import { MaskSet } from '../model/masks';
import { float32Bytes, loadConfiguredModel, modelArtifacts, modelInputFiles, writeModelArtifacts } from '../model/model-io';
import { modelStats, ModelStats } from '../model/model-stats';
import type { Latency } from '../model/latency';
import { createContainer, defaultServices, ProvidedServices, ReplaceableServices, ServiceFactoryContext, scopedLogger } from '../plugins/di';
import { AppliedPlugin, PluginHost } from '../plugins/host';
import { resolvePlugin } from '../plugins/loader';
import type { Plugin } from '../plugins/plugin';
import { renderHtml } from '../report/html';
import { layerRows, Report, ReportStage, ReportStructure } from '../report/report';
import type { Evaluation } from '../training/evaluate';
import { dataMismatchReason, MEASURABLE_TASKS, nonFiniteWeight, unmeasurableReason } from '../training/measurable';
import { writeFileAtomic } from '../util/fs-atomic';
import { ConsoleLogger, Logger } from '../util/logger';
import { Rng } from '../util/rng';
import { applyChannelPlan, applyLayerPlan, applyWeightPlan } from './apply-plan';
import { createHooks, PipelineHooks, TapStage } from './hooks';
import { OutputFolder } from './output';
import { roundTargets } from './schedule';
import { TargetKind, targetKinds } from './targets';
import type { EncodedArtifact, EncodedTensor, ModelState, PruningPlan, RoundContext, RunContext, StageContext } from './types';
import { formatMetric, metricLabel } from '../training/task';

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

/** Names core writes in a run's output folder; a plugin may not emit a file under them. */
const OWN_OUTPUTS = ['model', 'report.json', 'report.html'];

/** A stage that ends this far below a `warn` target says so. */
const SHORTFALL = 0.02;

/** The blocked groups and unsupported layers of a channel analysis, for the report. */
function leftAlone(analysis: ChannelAnalysis): ReportStructure {
  return {
    blockedGroups: analysis.groups.filter((g) => g.blocked).map((g) => ({ producers: [...g.producers], channels: g.size, reason: g.blocked! })),
    unsupportedLayers: analysis.unsupported.map((u) => ({ ...u })),
  };
}

/** Channels in the groups a structured prune may touch (not blocked). */
function prunableChannels(analysis: ChannelAnalysis): number {
  return analysis.groups.filter((g) => !g.blocked).reduce((n, g) => n + g.size, 0);
}

interface PreparedPlugin {
  readonly instanceName: string;
  readonly plugin: Plugin;
  readonly options: Record<string, unknown>;
}

export interface RunOptions {
  /** Output folder; created or replaced atomically. */
  readonly outDir: string;
  /** Overrides the config's seed. */
  readonly seed?: number;
  readonly logger?: Logger;
  /** Services to use instead of core's (a test's spy, a library user's trainer); they win over what plugins provide. */
  readonly services?: Partial<ReplaceableServices>;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const VERSION = (require('../../package.json') as { version: string }).version;

export class Pipeline {
  /** Tap these before `run()` to observe or extend the run (the CLI's progress bar does). */
  readonly hooks: PipelineHooks = createHooks();
  private readonly logger: Logger;
  private readonly emitted = new Map<string, string | Uint8Array>();
  private started = false;
  /** The target the plan being applied serves (set by the stage loop around `prune`). */
  private applying: { key: string; value: number; round: number; where: string; progress: TargetProgress; kind: TargetKind } | undefined;
  /** The stage running, for the `failed` hook. */
  private currentStage: string | undefined;
  /** Trainer, evaluator and latency meter of the run: core's, unless a plugin or `RunOptions.services` replaced them. */
  private services: ReplaceableServices = defaultServices;
  /** The run's codec registry, assembled on first use. */
  private codecs: () => CodecRegistry = () => {
    throw new Error('the codec registry is assembled once the plugins are known');
  };

  constructor(
    private readonly loaded: LoadedConfig,
    private readonly options: RunOptions,
  ) {
    this.logger = options.logger ?? new ConsoleLogger();
    this.hooks.prune.tapPromise({ name: 'nncompress:apply-plan', stage: TapStage.APPLY_PLAN }, (plan, round) => this.applyPlan(plan, round));
  }

  /** Runs the pipeline once; taps and emitted files belong to one run, so a second call throws. */
  async run(): Promise<Report> {
    if (this.started) throw new Error('a Pipeline runs once; create a new Pipeline for another run');
    this.started = true;
    const started = performance.now();
    const { config, file, dir } = this.loaded;
    const seed = this.options.seed ?? config.seed ?? 42;
    const modelPath = typeof config.model === 'string' ? path.resolve(dir, config.model) : undefined;
    const output = new OutputFolder(this.options.outDir, modelPath ? [...modelInputFiles(modelPath), file] : [file]);
    if (modelPath && !fs.existsSync(modelPath)) throw new InputError(`${file}: model: file not found: ${modelPath}`);

    // Every config and plugin error is raised here, before anything is printed or loaded.
    const plugins = this.preparePlugins();
    this.services = this.resolveServices(plugins);
    let registry: CodecRegistry | undefined;
    this.codecs = () => (registry ??= codecRegistryFor({ from: [dir, process.cwd()], plugins: plugins.map((p) => p.plugin), warn: (message) => this.logger.warn(message) }));

    const backend = await chooseBackend(config.backend ?? 'auto');
    this.logger.info(`backend: ${backend.name}${backend.notes.length ? ` (${backend.notes.join('; ')})` : ''}`);
    const datasets = datasetRegistryFor(plugins, file);
    const rng = new Rng(seed);
    let model = await loadConfiguredModel(config.model, dir);
    const trainable = await withTrainableBatchNorm(model);
    if (trainable) {
      model.dispose();
      model = trainable.model;
      this.logger.info(`BatchNormalization ${trainable.rewritten.join(', ')}: scale/center turned on with gamma 1 and beta 0 (the same function; tfjs cannot train them off)`);
    }
    const state: ModelState = { model, masks: new MaskSet() };
    let opened = false;
    try {
      const host = this.applyPlugins(plugins, state, datasets, backend, rng);
      try {
        const selectors = this.selectorsByStage(host);
        this.tapEncodeStage(host);
        const task = configuredTask(this.loaded, model, this.logger);
        const data: DataSplits = await loadData(this.loaded, datasets, {
          logger: this.logger,
          task,
          inputShape: model.inputs.length === 1 ? model.inputs[0].shape.slice(1).map((d) => d ?? 0) : undefined,
          progress: (done, total, what) => this.hooks.progress.call({ phase: 'data', message: what, done, total }),
        });
        const run: RunContext = { state, data, task, seed, backend: backend.name };
        output.open();
        opened = true;
        const report = await this.execute(run, host, selectors, started, output);
        output.commit();
        return report;
      } catch (err) {
        if (opened) output.abandon();
        await this.tellFailed(err);
        throw err;
      }
    } finally {
      state.masks.dispose();
      state.model.dispose();
    }
  }

  /**
   * With an `encode` section, core's own encoder answers `encodeTensor` and writes the
   * container, with any codec of the run's registry. Checked before anything runs: the codec
   * exists, takes the bound asked for, and no plugin encodes too.
   */
  private tapEncodeStage(host: PluginHost): void {
    const { config, file } = this.loaded;
    const spec = config.encode;
    if (!spec) return;
    const codecs = this.codecs();
    const problem = weightEncodingProblem(spec, codecs);
    if (problem) {
      const hint = problem.key === 'codec' ? '; a plugin package adds more when it is installed or listed under plugins' : '';
      throw new ConfigError(`${file}: encode.${problem.key}: ${problem.message}${hint}`, file, `encode.${problem.key}`);
    }
    const others = [...(host.tappedBy.get('encodeTensor') ?? [])];
    if (others.length > 0) throw new ConfigError(`${file}: encode: plugin ${others.join(', ')} encodes the model too (it taps encodeTensor); keep the encode section or that plugin, not both`, file, 'encode');
    const name = 'nncompress:encode';
    this.hooks.encodeTensor.tapPromise({ name, stage: TapStage.FALLBACK }, async (tensor) => encodeTensorWith(tensor, spec, codecs));
    this.hooks.encodeArtifact.tapPromise({ name, stage: TapStage.FALLBACK }, async (artifact) => (artifact.bytes ? artifact : containerArtifact(artifact, spec.fileName ?? DEFAULT_CONTAINER_NAME, codecs)));
  }

  /** The `failed` hook, after a run stopped: a tap that throws too is a warning, so the run's own error is the one reported. */
  private async tellFailed(err: unknown): Promise<void> {
    const error = err instanceof Error ? err : new Error(errorMessage(err));
    try {
      await this.hooks.failed.promise({ error, ...(this.currentStage ? { stage: this.currentStage } : {}) });
    } catch (inner) {
      this.logger.warn(`while the run stopped: ${errorMessage(inner)}`);
    }
  }

  private preparePlugins(): PreparedPlugin[] {
    const { config, dir, file } = this.loaded;
    return Object.entries(config.plugins ?? {}).map(([instanceName, spec]) => {
      const where = `${file}: plugins.${instanceName}`;
      const { plugin } = resolvePlugin(spec.use, dir, `${where}.use`);
      return { instanceName, plugin, options: PluginHost.prepareOptions(plugin, spec.options, where, dir) };
    });
  }

  /**
   * Core's trainer, evaluator and latency meter, replaced by what a configured plugin
   * `provides` (two plugins providing one service is a config error naming both), and then
   * by `RunOptions.services`.
   */
  private resolveServices(plugins: readonly PreparedPlugin[]): ReplaceableServices {
    const { file } = this.loaded;
    const chosen: Record<string, unknown> = { ...defaultServices };
    const by = new Map<string, string>();
    for (const { instanceName, plugin } of plugins) {
      const provides: ProvidedServices = plugin.provides ?? {};
      for (const [name, given] of Object.entries(provides)) {
        if (!(name in defaultServices)) throw new ConfigError(`${file}: plugins.${instanceName} (${plugin.id}) provides "${name}", which is not a replaceable service (${Object.keys(defaultServices).join(', ')})`, file, `plugins.${instanceName}`);
        const other = by.get(name);
        if (other) throw new ConfigError(`${file}: plugins.${other} and plugins.${instanceName} both provide the ${name}; keep one`, file, `plugins.${instanceName}`);
        by.set(name, instanceName);
        chosen[name] = typeof given === 'function' ? (given as (ctx: ServiceFactoryContext) => unknown)({ logger: scopedLogger(this.logger, instanceName), defaults: defaultServices }) : given;
        this.logger.info(`${instanceName}: provides the ${name}`);
      }
    }
    return { ...(chosen as unknown as ReplaceableServices), ...this.options.services };
  }

  private applyPlugins(plugins: readonly PreparedPlugin[], state: ModelState, datasets: DatasetRegistry, backend: BackendInfo, rng: Rng): PluginHost {
    const host = new PluginHost(this.hooks);
    const container = createContainer({ ...this.services, logger: this.logger, rng, datasets, backend, modelState: state, codecs: () => this.codecs() });
    for (const { instanceName, plugin, options } of plugins) {
      host.apply(instanceName, plugin, options, {
        instanceName,
        logger: scopedLogger(this.logger, instanceName),
        rng: rng.fork(instanceName),
        datasets,
        backend,
        resolvePath: (relative) => path.resolve(this.loaded.dir, relative),
        emitFile: (name, bytes) => {
          // A plain relative file name, not one of core's own outputs: checked when emitted, naming the plugin.
          const parts = typeof name === 'string' ? name.split(/[\\/]/) : [];
          if (parts.length === 0 || parts.some((p) => p === '' || p === '.' || p === '..') || path.isAbsolute(name)) {
            throw new PluginError(`plugin ${instanceName} (${plugin.id}): emitFile(${JSON.stringify(name)}): not a file name inside the output folder`, plugin.id);
          }
          if (OWN_OUTPUTS.includes(parts[0]) || [...this.emitted.keys()].some((n) => n.startsWith(`${name}/`) || name.startsWith(`${n}/`))) {
            throw new PluginError(`plugin ${instanceName} (${plugin.id}): emitFile(${JSON.stringify(name)}): that name is taken in the output folder`, plugin.id);
          }
          this.emitted.set(name, bytes);
        },
      }, container);
    }
    return host;
  }

  private async measure(label: string, run: RunContext): Promise<Evaluation> {
    this.hooks.progress.call({ phase: 'evaluate', message: label });
    const result = this.services.evaluator.evaluate(run.state.model, run.data.test);
    await this.hooks.evaluate.promise({ label, ...result }, run);
    return result;
  }

  /**
   * For every stage and key of its target, the one active instance whose `select` serves it.
   * No server, or two, is a config error naming the stage, the key and the instances.
   */
  private selectorsByStage(host: PluginHost): Map<string, string>[] {
    const { config, file } = this.loaded;
    return config.stages.map((stage, i) => {
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
      }
      return chosen;
    });
  }

  private async runStage(stage: StageConfig, stageIndex: number, run: RunContext, host: PluginHost, selectors: ReadonlyMap<string, string>, before: Evaluation): Promise<{ row: ReportStage; evaluation: Evaluation }> {
    const started = performance.now();
    this.currentStage = stage.name;
    const ctx: StageContext = { ...run, stage, stageIndex };
    host.setActive(stage.use);
    const activeIds = host.applied.filter((p) => !stage.use || stage.use.includes(p.instanceName)).map((p) => p.id);
    await this.hooks.beforeStage.promise(ctx);
    const where = `${this.loaded.file}: stages[${stageIndex}] (${stage.name})`;
    // Each target kind's values per round, from the stage's end value and schedule.
    const stageTargets: Record<string, number> = {};
    const schedules = new Map<string, number[]>();
    for (const [key, value] of Object.entries(stage.target ?? {})) {
      const kind = targetKinds.get(key);
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
      const roundCtx: RoundContext = {
        ...ctx,
        round,
        rounds,
        targets,
        stageTargets,
        progress: (round + 1) / rounds,
        targetSparsity: targets.sparsity ?? 0,
        targetFilterRatio: targets.filterRatio ?? 0,
        targetLayers: targets.layers ?? 0,
        channels: () => (analysis ??= analyzeChannels(run.state.model)),
      };
      const goals = Object.entries(targets).map(([key, value]) => targetKinds.get(key)!.format(value));
      this.hooks.progress.call({ phase: 'stage', message: `${stage.name}: round ${round + 1}/${rounds}${goals.length ? `, target ${goals.join(', ')}` : ''}` });
      await this.hooks.beforeRound.promise(roundCtx);
      for (const [key, value] of Object.entries(targets)) {
        const instance = selectors.get(key)!;
        const kind = targetKinds.get(key)!;
        // Scores are taken afresh for each target: an earlier plan this round may have changed the model.
        analysis = undefined;
        const scores = await this.hooks.score.promise({ weights: new Map(), channels: new Map(), layers: new Map() }, roundCtx);
        host.setSelecting(instance);
        let plan: PruningPlan | undefined;
        try {
          plan = await this.hooks.select.promise(scores, roundCtx);
        } finally {
          host.setSelecting(undefined);
        }
        if (!plan) throw new PluginError(`${where}: target ${kind.format(value)}: ${instance}, the plugin that selects for "${key}", answered no plan in round ${round + 1}`, instance, 'select');
        if (typeof plan !== 'object' || !PLAN_KINDS.includes((plan as { kind?: string }).kind ?? '')) {
          throw new PluginError(`${where}: ${instance} answered "select" with ${errorMessage(plan).replace(/^threw /, '')}, not a plan ({ kind: 'weights' | 'channels' | 'layers', … })`, instance, 'select');
        }
        this.applying = { key, value, round, where, progress, kind };
        try {
          await this.hooks.prune.promise(plan, roundCtx);
        } finally {
          this.applying = undefined;
        }
        analysis = undefined;
        await this.hooks.afterPrune.promise(plan, roundCtx);
        progress.selectedBy[key] = `${instance} (${plan.selectedBy})`;
      }
      await this.hooks.finetune.promise(roundCtx);
      run.state.masks.apply(run.state.model);
      await this.hooks.afterRound.promise(roundCtx);
    }
    // What fell short of the stage's target, said in the log and the report.
    const notes: string[] = [];
    for (const [key, value] of Object.entries(stageTargets)) {
      const kind = targetKinds.get(key)!;
      const reached = progress.reached[key];
      if (kind.short === 'warn' && reached !== undefined && reached < value - SHORTFALL) {
        notes.push(`target ${kind.format(value)} reached only ${kind.format(reached)}${kind.shortHint ? ` ${kind.shortHint}` : ''}`);
      }
    }
    if (widthsAtStart.size > 0) {
      const single = analyzeChannels(run.state.model).groups.filter((g) => g.size === 1 && (widthsAtStart.get(g.producers[0]) ?? 1) > 1).map((g) => g.producers.join('+'));
      if (single.length > 0) notes.push(`${single.length} channel group${single.length === 1 ? ' is' : 's are'} down to one channel (${single.join(', ')}): the ratio leaves them almost nothing`);
    }
    for (const note of notes) this.logger.warn(`stage ${stage.name}: ${note}`);
    const after = await this.measure(stage.name, run);
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
    await this.hooks.afterStage.promise(ctx, row);
    this.currentStage = undefined;
    this.logger.info(`stage ${stage.name}: ${metricLabel(after.metric.name)} ${formatMetric(before.metric)} → ${formatMetric(after.metric)}, sparsity ${(100 * stats.sparsity).toFixed(2)}%`);
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

  /** Encodes the tensors of `artifacts` (the saved model's), so a container loads like model/. */
  private async encode(run: RunContext, artifacts: tf.io.ModelArtifacts): Promise<EncodedArtifact | undefined> {
    if (!this.hooks.encodeTensor.isUsed()) return undefined;
    const data = new Float32Array(tf.io.CompositeArrayBuffer.join(artifacts.weightData ?? new ArrayBuffer(0)));
    const tensors: EncodedTensor[] = [];
    let offset = 0;
    for (const spec of artifacts.weightSpecs ?? []) {
      const size = spec.shape.reduce((a, b) => a * b, 1);
      const values = data.subarray(offset, offset + size);
      offset += size;
      const encoded = await this.hooks.encodeTensor.promise({ name: spec.name, shape: spec.shape, values }, run);
      if (!encoded) throw new PluginError(`no encoder answered "encodeTensor" for ${spec.name}`, 'core', 'encodeTensor');
      tensors.push(encoded);
    }
    const model = { modelTopology: artifacts.modelTopology, format: artifacts.format, generatedBy: artifacts.generatedBy, convertedBy: artifacts.convertedBy ?? null };
    return this.hooks.encodeArtifact.promise({ tensors, model }, run);
  }

  private async execute(run: RunContext, host: PluginHost, selectors: readonly Map<string, string>[], started: number, output: OutputFolder): Promise<Report> {
    const { config } = this.loaded;
    // beforeRun may change the model (a new head for transfer learning): measure after it.
    await this.hooks.beforeRun.promise(run);
    const mismatch = dataMismatchReason(run.state.model, run.data.train.featureShape);
    if (mismatch) throw new InputError(`${this.loaded.file}: data (source ${config.data.source}): ${mismatch}`);
    const unmeasurable = unmeasurableReason(run.state.model, run.data.train);
    if (unmeasurable) throw new InputError(`${this.loaded.file}: model: ${unmeasurable}; ${MEASURABLE_TASKS}`);
    const bad = nonFiniteWeight(run.state.model);
    if (bad) throw new InputError(`${this.loaded.file}: model: weight ${bad.weight} holds ${bad.value} at entry ${bad.index}; a model with NaN or infinite weights cannot be measured or compressed`);
    const baselineStats: ModelStats = modelStats(run.state.model);
    const structure = leftAlone(analyzeChannels(run.state.model));
    // Structured stages cannot touch these; say so before they run, not only in the report.
    if (config.stages.some((st) => st.target?.filterRatio !== undefined || st.target?.layers !== undefined)) {
      for (const u of structure.unsupportedLayers) this.logger.warn(`left alone: ${u.className} layer ${u.layer}: ${u.reason}`);
      for (const g of structure.blockedGroups) this.logger.info(`channels kept: ${g.channels} of ${g.producers.join('+')} (${g.reason})`);
    }
    const bytesFloat32 = float32Bytes(run.state.model);
    // Latency: the baseline is kept (a copy) and timed in alternation with the final model at
    // the end, so drift of a shared machine over the run does not enter the speed-up.
    const baselineCopy = config.latency ? await cloneModel(run.state.model) : undefined;
    try {
      const baseline = await this.measure('baseline', run);
      this.logger.info(`baseline: ${metricLabel(baseline.metric.name)} ${formatMetric(baseline.metric)} on ${baseline.examples} test examples (${run.task.kind}), ${baselineStats.params} params`);

      const stages: ReportStage[] = [];
      let latest = baseline;
      for (let i = 0; i < config.stages.length; i++) {
        const result = await this.runStage(config.stages[i], i, run, host, selectors[i], latest);
        stages.push(result.row);
        latest = result.evaluation;
      }
      host.setActive(undefined);
      const finalStats = modelStats(run.state.model);
      // The model has not changed since the last evaluation: announce it as final, don't redo it.
      const finalEval = latest;
      await this.hooks.evaluate.promise({ label: 'final', ...finalEval }, run);
      let latencies: { before: Latency; after: Latency } | undefined;
      if (baselineCopy) {
        this.hooks.progress.call({ phase: 'latency', message: 'baseline and final, in alternation' });
        latencies = this.services.latencyMeter.compare(baselineCopy, run.state.model, config.latency?.repeats ?? 5);
      }

      const artifacts = await modelArtifacts(run.state.model);
      const shardBytes = writeModelArtifacts(artifacts, output.file('model'));
      const artifact = await this.encode(run, artifacts);
      let encodedBytes = shardBytes;
      let encodedAs = 'float32 weights (no encoder)';
      let finalAccuracy = finalEval; // the metric a user of the encoded file gets
      let encoding: Report['encoding'];
      if (artifact?.fileName && artifact.bytes) {
        writeFileAtomic(output.file(artifact.fileName), artifact.bytes);
        encodedBytes = artifact.bytes.byteLength;
        encodedAs = artifact.fileName;
        if (artifact.ioHandler) {
          // What a user of the file gets: the model decoded from it, evaluated on the test set.
          this.hooks.progress.call({ phase: 'evaluate', message: `decoded ${artifact.fileName}` });
          const decoded = await tf.loadLayersModel(artifact.ioHandler);
          finalAccuracy = this.services.evaluator.evaluate(decoded, run.data.test);
          decoded.dispose();
          await this.hooks.evaluate.promise({ label: 'decoded', ...finalAccuracy }, run);
          this.logger.info(`encoded: ${artifact.fileName} ${encodedBytes} bytes (${(bytesFloat32 / encodedBytes).toFixed(1)}x), decoded ${metricLabel(finalAccuracy.metric.name)} ${formatMetric(finalAccuracy.metric)}`);
        }
        encoding = {
          file: artifact.fileName,
          bytes: encodedBytes,
          metricBeforeEncoding: finalEval.metric,
          decodedMetric: artifact.ioHandler ? finalAccuracy.metric : undefined,
          ...(finalEval.accuracy !== undefined ? { accuracyBeforeEncoding: finalEval.accuracy, decodedAccuracy: artifact.ioHandler ? finalAccuracy.accuracy : undefined } : {}),
          tensors: artifact.tensors.map((t) => ({ name: t.name, shape: [...t.shape], codec: t.codec, bytes: t.bytes.byteLength, maxError: t.maxError })),
        };
      }

      const report: Report = {
        tool: { name: '@nncompress/core', version: VERSION },
        config: path.basename(this.loaded.file),
        model: typeof config.model === 'string' ? config.model : `${config.model.module}${config.model.export ? `#${config.model.export}` : ''}`,
        backend: run.backend,
        seed: run.seed,
        task: { kind: run.task.kind, loss: run.task.loss, metric: run.task.metric, higherIsBetter: run.task.higherIsBetter },
        data: {
          source: config.data.source,
          seed: config.data.seed ?? DEFAULT_DATA_SEED,
          trainExamples: run.data.train.size,
          testExamples: run.data.test.size,
          ...(run.task.targets === 'targets' ? { targets: run.data.train.targetWidth } : { classes: run.data.train.numClasses }),
          ...(run.data.classNames ? { classNames: [...run.data.classNames] } : {}),
        },
        durationMs: Math.round(performance.now() - started),
        plugins: host.applied.map((p) => ({ instance: p.instanceName, id: p.id })),
        structure,
        baseline: {
          metric: baseline.metric,
          ...(baseline.accuracy !== undefined ? { accuracy: baseline.accuracy } : {}),
          loss: baseline.loss,
          params: baselineStats.params,
          nonzeroParams: baselineStats.nonzeroParams,
          flops: baselineStats.flops,
          bytesFloat32,
          ...(latencies ? { latencyMs: latencies.before } : {}),
        },
        final: {
          metric: finalAccuracy.metric,
          ...(finalAccuracy.accuracy !== undefined ? { accuracy: finalAccuracy.accuracy } : {}),
          loss: finalAccuracy.loss,
          params: finalStats.params,
          nonzeroParams: finalStats.nonzeroParams,
          flops: finalStats.flops,
          sparsity: finalStats.sparsity,
          encodedBytes,
          encodedAs,
          compressionRatio: bytesFloat32 / encodedBytes,
          ...(latencies ? { latencyMs: latencies.after } : {}),
        },
        stages,
        layers: layerRows(baselineStats, finalStats),
        ...(encoding ? { encoding } : {}),
      };
      await this.hooks.afterRun.promise(run, {
        baseline: { ...baselineStats, metric: baseline.metric, ...(baseline.accuracy !== undefined ? { accuracy: baseline.accuracy } : {}) },
        final: { ...finalStats, metric: finalAccuracy.metric, ...(finalAccuracy.accuracy !== undefined ? { accuracy: finalAccuracy.accuracy } : {}) },
      });
      // Files plugins emitted (up to and including afterRun) go out with the report.
      for (const [name, bytes] of this.emitted) {
        if (name === artifact?.fileName) throw new PluginError(`a plugin emitted ${name}, which the encoder writes; give one of them another file name`, 'core');
        writeFileAtomic(output.file(name), bytes);
      }
      writeFileAtomic(output.file('report.json'), `${JSON.stringify(report, null, 2)}\n`);
      writeFileAtomic(output.file('report.html'), renderHtml(report));
      return report;
    } finally {
      baselineCopy?.dispose();
    }
  }
}

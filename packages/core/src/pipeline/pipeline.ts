/**
 * The pipeline, an orchestrator: load model → baseline evaluation → stages → encode → write
 * artifacts → report. Core drives the hooks; plugins do the work. The parts live beside it:
 * plugins.ts readies the config's plugins and services, stages.ts runs a stage's rounds and
 * applies plans, encoding.ts encodes the final model and measures the decoded one, and
 * report/assemble.ts puts report.json together.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CodecRegistry } from '@nncompress/format';
import { chooseBackend } from '../backend/choose';
import type { LoadedConfig } from '../config/load';
import type { WorkersSetting } from '../config/types';
import { configuredTask, datasetRegistryFor, loadData } from '../datasets/configured';
import type { DataSplits } from '../datasets/source';
import { codecRegistryFor } from '../encode/codecs';
import { errorMessage, InputError, PluginError } from '../errors';
import { analyzeChannels, ChannelAnalysis } from '../graph/channel-groups';
import { cloneModel } from '../graph/topology';
import { withTrainableBatchNorm } from '../graph/trainable-batchnorm';
import type { Latency } from '../model/latency';
import { WeightTies } from '../model/ties';
import { MaskSet } from '../model/masks';
import { float32Bytes, loadConfiguredModel, modelArtifacts, modelInputFiles, writeModelArtifacts } from '../model/model-io';
import { modelStats, ModelStats } from '../model/model-stats';
import { defaultServices, ReplaceableServices } from '../plugins/di';
import type { PluginHost } from '../plugins/host';
import { assembleReport } from '../report/assemble';
import { costOf, showCost } from '../report/goal-costs';
import type { GoalCosts, Report, ReportGoal, ReportStage, ReportStructure } from '../report/report';
import type { Evaluation } from '../training/evaluate';
import { dataMismatchReason, MEASURABLE_TASKS, nonFiniteWeight, unmeasurableReason } from '../training/measurable';
import { writeFileAtomic } from '../util/fs-atomic';
import { ConsoleLogger, Logger } from '../util/logger';
import { Rng } from '../util/rng';
import { encodeFinalModel, tapEncodeSection } from './encoding';
import { createHooks, PipelineHooks } from './hooks';
import { OutputFolder } from './output';
import { applyPlugins, preparePlugins, resolveServices } from './plugins';
import { StageLoop } from './stages';
import { resolveWorkers, RunWorkers } from './workers';
import { reportFilesPlugin } from '../builtin/report-files';
import { summaryLogPlugin } from '../builtin/summary-log';
import { checkStageTargets, targetKindsFor } from './targets';
import { importanceRegistryFor } from '../importance';
import type { ModelState, RunContext } from './types';

/** The blocked groups and unsupported layers of a channel analysis, for the report. */
function leftAlone(analysis: ChannelAnalysis): ReportStructure {
  return {
    blockedGroups: analysis.groups.filter((g) => g.blocked).map((g) => ({ producers: [...g.producers], channels: g.size, reason: g.blocked! })),
    unsupportedLayers: analysis.unsupported.map((u) => ({ ...u })),
  };
}

/** How a Pipeline runs a config: where it writes, the seed override, the logger, and services that replace core's. */
export interface RunOptions {
  /** Output folder; created or replaced atomically. */
  readonly outDir: string;
  /** Overrides the config's seed. */
  readonly seed?: number;
  /** Overrides the config's `workers`: threads that share each fine-tuning batch and each evaluation. */
  readonly workers?: WorkersSetting;
  readonly logger?: Logger;
  /** Services to use instead of core's (a test's spy, a library user's trainer); they win over what plugins provide. */
  readonly services?: Partial<ReplaceableServices>;
  /** The goal search this run finishes: its trials go into the report, with the final run's loss on the test split. */
  readonly goal?: Omit<ReportGoal, 'testDrop'>;
}

/** One run of a config: load the model, measure the baseline, run the stages, encode, and write the model, the encoded file and the report into the output folder (atomically; nothing is written when the run fails). */
export class Pipeline {
  /** Tap these before `run()` to observe or extend the run (the CLI's progress bar does). */
  readonly hooks: PipelineHooks = createHooks();
  private readonly logger: Logger;
  private readonly emitted = new Map<string, string | Uint8Array>();
  private started = false;
  private stages: StageLoop | undefined;
  /** Trainer, evaluator and latency meter of the run: core's, unless a plugin or `RunOptions.services` replaced them. */
  private services: ReplaceableServices = defaultServices;
  private workers: RunWorkers | undefined;
  /** The run's codec registry, assembled on first use. */
  private codecs: () => CodecRegistry = () => {
    throw new Error('the codec registry is assembled once the plugins are known');
  };

  constructor(
    private readonly loaded: LoadedConfig,
    private readonly options: RunOptions,
  ) {
    this.logger = options.logger ?? new ConsoleLogger();
  }

  /** Runs the pipeline once; taps and emitted files belong to one run, so a second call throws. */
  async run(): Promise<Report> {
    if (this.started) throw new Error('a Pipeline runs once; create a new Pipeline for another run');
    this.started = true;
    const started = performance.now();
    const { config, file, dir } = this.loaded;
    // A Pipeline runs the config as written; the search is runGoal's (nncompress run's).
    if (config.goal) this.logger.warn(`${file}: goal: a Pipeline runs the config as written and does not search; use runGoal (what nncompress run does) to search`);
    const seed = this.options.seed ?? config.seed ?? 42;
    const modelPath = typeof config.model === 'string' ? path.resolve(dir, config.model) : undefined;
    const output = new OutputFolder(this.options.outDir, modelPath ? [...modelInputFiles(modelPath), file] : [file]);
    if (modelPath && !fs.existsSync(modelPath)) throw new InputError(`${file}: model: file not found: ${modelPath}`);

    // Every config and plugin error is raised here, before anything is printed or loaded.
    const plugins = preparePlugins(this.loaded);
    const kinds = targetKindsFor(plugins, file);
    checkStageTargets(config.stages, kinds, file, 'error');
    const importance = importanceRegistryFor(plugins, file);
    const stages = (this.stages = new StageLoop({ hooks: this.hooks, logger: this.logger, file, targetKinds: kinds, measure: (label, run) => this.measure(label, run) }));
    const workers = new RunWorkers(resolveWorkers(this.options.workers ?? config.workers), this.logger);
    const services = resolveServices(this.loaded.file, plugins, this.logger, this.options.services);
    this.services = { ...services, trainer: workers.wrap(services.trainer), evaluator: workers.wrapEvaluator(services.evaluator) };
    this.workers = workers;
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
    const state: ModelState = { model, masks: new MaskSet(), ties: new WeightTies() };
    let opened = false;
    try {
      const host = applyPlugins({ hooks: this.hooks, logger: this.logger, file, baseDir: this.loaded.dir, emitted: this.emitted, services: this.services, codecs: this.codecs }, plugins, [reportFilesPlugin(kinds), summaryLogPlugin], { state, datasets, backend, rng, importance });
      try {
        const selectors = stages.selectorsByStage(this.loaded.config.stages, host);
        tapEncodeSection(this.hooks, this.loaded, host, this.codecs);
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
        const report = await this.execute(run, stages, host, selectors, started, output);
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

  /** The `failed` hook, after a run stopped: a tap that throws too is a warning, so the run's own error is the one reported. */
  private async tellFailed(err: unknown): Promise<void> {
    const error = err instanceof Error ? err : new Error(errorMessage(err));
    try {
      const stage = this.stages?.currentStage;
      await this.hooks.failed.promise({ error, ...(stage ? { stage } : {}) });
    } catch (inner) {
      this.logger.warn(`while the run stopped: ${errorMessage(inner)}`);
    }
  }

  private async measure(label: string, run: RunContext): Promise<Evaluation> {
    this.hooks.progress.call({ phase: 'evaluate', message: label });
    const result = this.services.evaluator.evaluate(run.state.model, run.data.test);
    await this.hooks.evaluate.promise({ label, ...result }, run);
    return result;
  }

  private async execute(run: RunContext, stageLoop: StageLoop, host: PluginHost, selectors: readonly Map<string, string>[], started: number, output: OutputFolder): Promise<Report> {
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

      const stages: ReportStage[] = [];
      let latest = baseline;
      for (let i = 0; i < config.stages.length; i++) {
        const result = await stageLoop.run(config.stages[i], i, run, host, selectors[i], latest);
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
      const encoded = await encodeFinalModel({ hooks: this.hooks, logger: this.logger, evaluator: this.services.evaluator }, run, artifacts, output, finalEval, bytesFloat32);
      const artifact = encoded.artifact;
      const encodedBytes = encoded.bytes ?? shardBytes;
      const encodedAs = artifact?.fileName ?? 'float32 weights (no encoder)';
      const finalAccuracy = encoded.evaluation; // the metric a user of the encoded file gets
      const encoding = encoded.encoding;

      // A goal's loss is against the model the searched stage starts from (after a transfer stage, the transferred model).
      const goalReference = this.options.goal ? (stages[this.options.goal.referenceStage]?.metricBefore.value ?? baseline.metric.value) : baseline.metric.value;
      const goal = this.options.goal && this.goalOutcome(this.options.goal, goalReference, finalAccuracy.metric.value, run.task.higherIsBetter, { bytes: encodedBytes, flops: finalStats.flops, ...(latencies ? { latencyMs: latencies.after.batch1 } : {}) });
      const report = assembleReport({
        configFile: this.loaded.file,
        config,
        run,
        durationMs: Math.round(performance.now() - started),
        plugins: host.applied,
        workers: this.workers!.report,
        structure,
        baseline: { evaluation: baseline, stats: baselineStats, bytesFloat32, latencyMs: latencies?.before },
        final: { evaluation: finalAccuracy, stats: finalStats, encodedBytes, encodedAs, latencyMs: latencies?.after },
        stages,
        encoding,
        goal,
      });
      // The built-in report writer taps afterRun late: report.json and report.html are emitted files too.
      await this.hooks.afterRun.promise(run, {
        baseline: { ...baselineStats, metric: baseline.metric, ...(baseline.accuracy !== undefined ? { accuracy: baseline.accuracy } : {}) },
        final: { ...finalStats, metric: finalAccuracy.metric, ...(finalAccuracy.accuracy !== undefined ? { accuracy: finalAccuracy.accuracy } : {}) },
        report,
      });
      // Files plugins emitted (up to and including afterRun) go out with the model.
      for (const [name, bytes] of this.emitted) {
        if (name === artifact?.fileName) throw new PluginError(`a plugin emitted ${name}, which the encoder writes; give one of them another file name`, 'core');
        writeFileAtomic(output.file(name), bytes);
      }
      return report;
    } finally {
      baselineCopy?.dispose();
    }
  }

  /** The search's record with the final run's loss on the test split; a miss of the goal is said in the log and the report. */
  private goalOutcome(search: Omit<ReportGoal, 'testDrop'>, baseline: number, final: number, higherIsBetter: boolean, finalCosts: GoalCosts): ReportGoal {
    const testDrop = higherIsBetter ? baseline - final : final - baseline;
    const notes = [...(search.notes ?? [])];
    const trial = search.trials[search.chosen];
    const which = trial.step === 0 ? 'the config as written' : `round ${trial.step}'s budgets (${trial.change})`;
    if (search.metricDrop !== undefined && testDrop > search.metricDrop) {
      notes.push(`goal: the run with ${which} loses ${testDrop.toFixed(4)} on the test split, more than metricDrop ${search.metricDrop}; its trial was estimated at ${trial.estimatedDrop.toFixed(4)} on the ${search.measuredOn}`);
      this.logger.warn(notes[notes.length - 1]);
    }
    // Unmeasured latency (no latency section) is no figure to compare.
    const cost = search.resource === 'latency' && finalCosts.latencyMs === undefined ? undefined : costOf(finalCosts, search.resource);
    // A limit the search reached by its estimate, and the final run did not (a limit the search did not reach is the search's own note).
    if (search.limit !== undefined && cost !== undefined && cost > search.limit && (search.notes ?? []).length === 0) {
      notes.push(`goal: the run with ${which} comes to ${showCost(cost, search.resource)}, over the limit of ${showCost(search.limit, search.resource)} its trial was estimated within`);
      this.logger.warn(notes[notes.length - 1]);
    }
    return { ...search, testDrop, ...(notes.length > 0 ? { notes } : {}) };
  }

}

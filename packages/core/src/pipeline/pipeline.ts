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
import { BackendInfo, chooseBackend } from '../backend/choose';
import type { LoadedConfig } from '../config/load';
import type { StageConfig } from '../config/types';
import { DatasetRegistry, DataSplits } from '../datasets/registry';
import { ConfigError, InputError, PluginError } from '../errors';
import { MaskSet } from '../model/masks';
import { float32Bytes, loadConfiguredModel, modelArtifacts, writeModelArtifacts } from '../model/model-io';
import { modelStats, ModelStats } from '../model/model-stats';
import { compareLatency, Latency } from '../model/latency';
import { createContainer } from '../plugins/di';
import { PluginHost } from '../plugins/host';
import { resolvePlugin } from '../plugins/loader';
import type { Plugin } from '../plugins/plugin';
import { renderHtml } from '../report/html';
import { layerRows, Report, ReportStage } from '../report/report';
import { evaluate, Evaluation } from '../training/evaluate';
import { writeFileAtomic } from '../util/fs-atomic';
import { ConsoleLogger, Logger } from '../util/logger';
import { Rng } from '../util/rng';
import { applyChannelPlan, applyLayerPlan, applyWeightPlan } from './apply-plan';
import { createHooks, PipelineHooks, TapStage } from './hooks';
import { OutputFolder } from './output';
import { roundTargets } from './schedule';
import type { EncodedArtifact, EncodedTensor, ModelState, RoundContext, RunContext, StageContext } from './types';

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
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const VERSION = (require('../../package.json') as { version: string }).version;

export class Pipeline {
  /** Tap these before `run()` to observe or extend the run (the CLI's progress bar does). */
  readonly hooks: PipelineHooks = createHooks();
  private readonly logger: Logger;
  private readonly emitted = new Map<string, string | Uint8Array>();
  private started = false;

  constructor(
    private readonly loaded: LoadedConfig,
    private readonly options: RunOptions,
  ) {
    this.logger = options.logger ?? new ConsoleLogger();
    this.hooks.prune.tapPromise({ name: 'nncompress:apply-plan', stage: TapStage.LATE }, async (plan, round) => {
      if (plan.kind === 'weights') applyWeightPlan(round.state, plan);
      else if (plan.kind === 'channels') await applyChannelPlan(round.state, plan);
      else await applyLayerPlan(round.state, plan);
    });
  }

  /** Runs the pipeline once; taps and emitted files belong to one run, so a second call throws. */
  async run(): Promise<Report> {
    if (this.started) throw new Error('a Pipeline runs once; create a new Pipeline for another run');
    this.started = true;
    const started = performance.now();
    const { config, file, dir } = this.loaded;
    const seed = this.options.seed ?? config.seed ?? 42;
    const modelPath = typeof config.model === 'string' ? path.resolve(dir, config.model) : undefined;
    const output = new OutputFolder(this.options.outDir, modelPath ? [modelPath, file] : [file]);
    if (modelPath && !fs.existsSync(modelPath)) throw new InputError(`${file}: model: file not found: ${modelPath}`);

    // Every config and plugin error is raised here, before anything is printed or loaded.
    const plugins = this.preparePlugins();

    const backend = await chooseBackend(config.backend ?? 'auto');
    this.logger.info(`backend: ${backend.name}${backend.notes.length ? ` (${backend.notes.join('; ')})` : ''}`);
    const datasets = new DatasetRegistry();
    const rng = new Rng(seed);
    const model = await loadConfiguredModel(config.model, dir);
    const state: ModelState = { model, masks: new MaskSet() };
    const host = this.applyPlugins(plugins, state, datasets, backend, rng);
    let data: DataSplits;
    try {
      data = datasets.load(config.data);
    } catch (err) {
      throw new ConfigError(`${file}: data: ${(err as Error).message}`, file, 'data');
    }
    const run: RunContext = { state, data, seed, backend: backend.name };

    output.open();
    try {
      const report = await this.execute(run, host, started, output);
      output.commit();
      return report;
    } catch (err) {
      output.abandon();
      throw err;
    } finally {
      state.masks.dispose();
      state.model.dispose();
    }
  }

  private preparePlugins(): PreparedPlugin[] {
    const { config, dir, file } = this.loaded;
    return Object.entries(config.plugins ?? {}).map(([instanceName, spec]) => {
      const where = `${file}: plugins.${instanceName}`;
      const { plugin } = resolvePlugin(spec.use, dir, `${where}.use`);
      return { instanceName, plugin, options: PluginHost.prepareOptions(plugin, spec.options, where) };
    });
  }

  private applyPlugins(plugins: readonly PreparedPlugin[], state: ModelState, datasets: DatasetRegistry, backend: BackendInfo, rng: Rng): PluginHost {
    const host = new PluginHost(this.hooks);
    const container = createContainer({ Logger: this.logger, Rng: rng, Datasets: datasets, Backend: backend, ModelState: state });
    for (const { instanceName, plugin, options } of plugins) {
      host.apply(instanceName, plugin, options, {
        instanceName,
        logger: this.logger,
        rng: rng.fork(instanceName),
        datasets,
        backend,
        emitFile: (name, bytes) => this.emitted.set(name, bytes),
      }, container);
    }
    return host;
  }

  private async measure(label: string, run: RunContext): Promise<Evaluation> {
    this.hooks.progress.call({ phase: 'evaluate', message: label });
    const result = evaluate(run.state.model, run.data.test);
    await this.hooks.evaluate.promise({ label, ...result }, run);
    return result;
  }

  private async runStage(stage: StageConfig, stageIndex: number, run: RunContext, host: PluginHost, accuracyBefore: number): Promise<{ row: ReportStage; evaluation: Evaluation }> {
    const started = performance.now();
    const ctx: StageContext = { ...run, stage, stageIndex };
    host.setActive(stage.use);
    const activeIds = host.applied.filter((p) => !stage.use || stage.use.includes(p.instanceName)).map((p) => p.id);
    await this.hooks.beforeStage.promise(ctx);
    const sparsity = stage.target?.sparsity !== undefined ? roundTargets(stage.target.sparsity, stage.schedule) : undefined;
    const filterRatio = stage.target?.filterRatio !== undefined ? roundTargets(stage.target.filterRatio, stage.schedule) : undefined;
    // A layer count follows the schedule too, rounded to whole layers.
    const layerCounts = stage.target?.layers !== undefined ? roundTargets(stage.target.layers, stage.schedule).map((n) => Math.round(n)) : undefined;
    const rounds = (sparsity ?? filterRatio ?? layerCounts ?? [0]).length;
    for (let round = 0; round < rounds; round++) {
      let analysis: ChannelAnalysis | undefined;
      const roundCtx: RoundContext = {
        ...ctx,
        round,
        rounds,
        targetSparsity: sparsity?.[round] ?? 0,
        targetFilterRatio: filterRatio?.[round] ?? 0,
        targetLayers: layerCounts?.[round] ?? 0,
        channels: () => (analysis ??= analyzeChannels(run.state.model)),
      };
      const goals = [
        sparsity ? `sparsity ${(100 * sparsity[round]).toFixed(1)}%` : '',
        filterRatio ? `filter ratio ${(100 * filterRatio[round]).toFixed(1)}%` : '',
        layerCounts ? `${layerCounts[round]} layers removed` : '',
      ].filter(Boolean);
      this.hooks.progress.call({ phase: 'stage', message: `${stage.name}: round ${round + 1}/${rounds}${goals.length ? `, target ${goals.join(', ')}` : ''}` });
      if (goals.length > 0) {
        const scores = await this.hooks.score.promise({ weights: new Map(), channels: new Map(), layers: new Map() }, roundCtx);
        const plan = await this.hooks.select.promise(scores, roundCtx);
        if (!plan) {
          throw new PluginError(`${this.loaded.file}: stages[${stageIndex}] (${stage.name}): target ${goals.join(', ')} but no active plugin answered "select"`, 'core', 'select');
        }
        await this.hooks.prune.promise(plan, roundCtx);
      }
      await this.hooks.finetune.promise(roundCtx);
      run.state.masks.apply(run.state.model);
      await this.hooks.afterRound.promise(roundCtx);
    }
    const after = await this.measure(stage.name, run);
    const stats = modelStats(run.state.model);
    const row: ReportStage = {
      name: stage.name,
      plugin: activeIds.join('+'),
      target: stage.target ?? {},
      rounds,
      accuracyBefore,
      accuracyAfter: after.accuracy,
      sparsity: stats.sparsity,
      params: stats.params,
      nonzeroParams: stats.nonzeroParams,
      flops: stats.flops,
      durationMs: Math.round(performance.now() - started),
    };
    await this.hooks.afterStage.promise(ctx, row);
    this.logger.info(`stage ${stage.name}: accuracy ${(100 * accuracyBefore).toFixed(2)}% → ${(100 * after.accuracy).toFixed(2)}%, sparsity ${(100 * stats.sparsity).toFixed(2)}%`);
    return { row, evaluation: after };
  }

  /** Encodes the tensors of `artifacts` (the saved model's), so a container loads like model/. */
  private async encode(run: RunContext, artifacts: tf.io.ModelArtifacts): Promise<EncodedArtifact | undefined> {
    // `taps`, not isUsed(): the plugin host's interceptor makes every hook look used.
    if (this.hooks.encodeTensor.taps.length === 0) return undefined;
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

  private async execute(run: RunContext, host: PluginHost, started: number, output: OutputFolder): Promise<Report> {
    const { config } = this.loaded;
    // beforeRun may change the model (a new head for transfer learning): measure after it.
    await this.hooks.beforeRun.promise(run);
    const baselineStats: ModelStats = modelStats(run.state.model);
    const bytesFloat32 = float32Bytes(run.state.model);
    // Latency: the baseline is kept (a copy) and timed in alternation with the final model at
    // the end, so drift of a shared machine over the run does not enter the speed-up.
    const baselineCopy = config.latency ? await cloneModel(run.state.model) : undefined;
    try {
      const baseline = await this.measure('baseline', run);
      this.logger.info(`baseline: accuracy ${(100 * baseline.accuracy).toFixed(2)}% on ${baseline.examples} test examples, ${baselineStats.params} params`);

      const stages: ReportStage[] = [];
      let latest = baseline;
      for (let i = 0; i < config.stages.length; i++) {
        const result = await this.runStage(config.stages[i], i, run, host, latest.accuracy);
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
        latencies = compareLatency(baselineCopy, run.state.model, config.latency?.repeats ?? 5);
      }

      const artifacts = await modelArtifacts(run.state.model);
      const shardBytes = writeModelArtifacts(artifacts, output.file('model'));
      const artifact = await this.encode(run, artifacts);
      let encodedBytes = shardBytes;
      let encodedAs = 'float32 weights (no encoder)';
      let finalAccuracy = finalEval;
      let encoding: Report['encoding'];
      if (artifact?.fileName && artifact.bytes) {
        writeFileAtomic(output.file(artifact.fileName), artifact.bytes);
        encodedBytes = artifact.bytes.byteLength;
        encodedAs = artifact.fileName;
        if (artifact.ioHandler) {
          // What a user of the file gets: the model decoded from it, evaluated on the test set.
          this.hooks.progress.call({ phase: 'evaluate', message: `decoded ${artifact.fileName}` });
          const decoded = await tf.loadLayersModel(artifact.ioHandler);
          finalAccuracy = evaluate(decoded, run.data.test);
          decoded.dispose();
          await this.hooks.evaluate.promise({ label: 'decoded', ...finalAccuracy }, run);
          this.logger.info(`encoded: ${artifact.fileName} ${encodedBytes} bytes (${(bytesFloat32 / encodedBytes).toFixed(1)}x), decoded accuracy ${(100 * finalAccuracy.accuracy).toFixed(2)}%`);
        }
        encoding = {
          file: artifact.fileName,
          bytes: encodedBytes,
          accuracyBeforeEncoding: finalEval.accuracy,
          decodedAccuracy: artifact.ioHandler ? finalAccuracy.accuracy : undefined,
          tensors: artifact.tensors.map((t) => ({ name: t.name, shape: [...t.shape], codec: t.codec, bytes: t.bytes.byteLength, maxError: t.maxError })),
        };
      }

      const report: Report = {
        tool: { name: '@nncompress/core', version: VERSION },
        config: path.basename(this.loaded.file),
        model: typeof config.model === 'string' ? config.model : `${config.model.module}${config.model.export ? `#${config.model.export}` : ''}`,
        backend: run.backend,
        seed: run.seed,
        durationMs: Math.round(performance.now() - started),
        plugins: host.applied.map((p) => ({ instance: p.instanceName, id: p.id })),
        baseline: {
          accuracy: baseline.accuracy,
          loss: baseline.loss,
          params: baselineStats.params,
          nonzeroParams: baselineStats.nonzeroParams,
          flops: baselineStats.flops,
          bytesFloat32,
          ...(latencies ? { latencyMs: latencies.before } : {}),
        },
        final: {
          accuracy: finalAccuracy.accuracy,
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
      await this.hooks.afterRun.promise(run, { baseline: { ...baselineStats, accuracy: baseline.accuracy }, final: { ...finalStats, accuracy: finalAccuracy.accuracy } });
      // Files plugins emitted (up to and including afterRun) go out with the report.
      for (const [name, bytes] of this.emitted) writeFileAtomic(output.file(name), bytes);
      writeFileAtomic(output.file('report.json'), `${JSON.stringify(report, null, 2)}\n`);
      writeFileAtomic(output.file('report.html'), renderHtml(report));
      return report;
    } finally {
      baselineCopy?.dispose();
    }
  }
}

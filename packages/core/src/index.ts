/**
 * @nncompress/core: the pipeline, its hooks and plugin contract, and what a plugin author or
 * a library user needs from them. Everything else is under subpath exports:
 *  - `@nncompress/core/graph`: model graph, channel groups, layer kinds, surgery;
 *  - `@nncompress/core/model`: model I/O, statistics, masks, latency;
 *  - `@nncompress/core/training`: training, evaluation, tasks, sensitivity;
 *  - `@nncompress/core/importance`: importance measures and their registry;
 *  - `@nncompress/core/data`: datasets and dataset sources;
 *  - `@nncompress/core/report`: report types, report.html, charts, doc tables;
 *  - `@nncompress/core/jobs`: serialisable jobs, the process pool that runs them, sweep files;
 *  - `@nncompress/core/internal`: the CLI's and bench's internals (not covered by semver).
 * Names that moved there from this entry still resolve here, with a deprecation warning
 * that says where they went (see moved.ts).
 */
import 'reflect-metadata';
import { defineMovedExports } from './moved';

// Running a pipeline
export { tf } from './tf';
export { Pipeline } from './pipeline/pipeline';
export type { RunOptions } from './pipeline/pipeline';
export { loadConfig, checkConfig } from './config/load';
export type { LoadedConfig } from './config/load';
export { defineConfig } from './config/types';
export type { PipelineConfig, StageConfig, ScheduleConfig, StageTarget, PluginInstanceConfig, ModelModuleRef, WorkersSetting } from './config/types';
export { chooseBackend } from './backend/choose';
export { NncError, ConfigError, InputError, PluginError } from './errors';
export type { Logger } from './util/logger';
export { ConsoleLogger, silentLogger } from './util/logger';
export type { Report, ReportStage } from './report/report';

// Writing a plugin
export { definePlugin } from './plugins/plugin';
export type { Plugin, PluginClass, PluginObject, PluginInstance, PluginContext, PluginContributions, JsonSchema, DatasetSources } from './plugins/plugin';
export type { OptionsOf, SchemaValue } from './plugins/options-type';
export { createHooks, TapStage } from './pipeline/hooks';
export type { PipelineHooks, SelectTapOptions } from './pipeline/hooks';
export type * from './pipeline/types';
export { Services, inject, injectable } from './plugins/di';
export type { Evaluator, LatencyMeter, ProvidedServices, ReplaceableServices, ServiceFactoryContext, Trainer } from './plugins/di';
export type { TargetKind, TargetMeasure } from './pipeline/targets';
export { pruneCount } from './pipeline/schedule';
export { defineImportance, importanceMeasures } from './importance';
export type { ImportanceMeasure } from './importance';
export { defineDatasetSource } from './datasets/source';
export type { DatasetSource } from './datasets/source';

// What most techniques touch
export { Rng } from './util/rng';
export { loadModel, saveModel } from './model/model-io';
export { modelStats } from './model/model-stats';
export { MaskSet, prunableWeights } from './model/masks';
export type { PrunableWeight } from './model/masks';
export { WeightTies, PINNED_ZERO } from './model/ties';
export type { WeightTie } from './model/ties';
export { analyzeChannels } from './graph/channel-groups';
export type { ChannelAnalysis, ChannelGroup } from './graph/channel-groups';
export { ArrayDataset } from './datasets/dataset';
export { train } from './training/train';
export { evaluate } from './training/evaluate';
export type { EvaluateOptions, Evaluation } from './training/evaluate';

// Names exported here before the subpath entries existed: resolvable, with a warning.
defineMovedExports(exports);

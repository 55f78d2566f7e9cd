/**
 * @nncompress/core: the pipeline, its hooks and plugin contract, and the shared mechanisms
 * every technique uses (model I/O and statistics, masks, datasets, training, backend).
 */
import 'reflect-metadata';

export { tf } from './tf';
export { NncError, ConfigError, InputError, PluginError, errorMessage } from './errors';
export { Rng } from './util/rng';
export { matchLayerNames } from './util/layer-names';
export { ConsoleLogger, silentLogger } from './util/logger';
export type { Logger } from './util/logger';
export { chooseBackend } from './backend/choose';
export type { BackendInfo, BackendName, BackendPreference } from './backend/choose';
export { registerConv2DBackpropFilter } from './backend/conv2d-backprop-filter';
export { registerDepthwiseBackprop } from './backend/depthwise-backprop';

export { loadModel, loadModelFromModule, loadConfiguredModel, saveModel, modelArtifacts, writeModelArtifacts, readModelArtifacts, readModelOrWeights, float32Bytes } from './model/model-io';
export { writeFileAtomic } from './util/fs-atomic';
export { overwrittenInput, realPathOf, removeOnExit, sweepStale } from './util/output-safety';
export { modelInputFiles } from './model/model-io';
export { modelStats, isKernelWeight } from './model/model-stats';
export type { ModelStats, LayerStats } from './model/model-stats';
export { MaskSet, prunableWeights } from './model/masks';
export { compareLatency, measureLatency, medianPredictMs } from './model/latency';
export type { Latency } from './model/latency';
export type { PrunableWeight } from './model/masks';

export { buildModelGraph } from './graph/model-graph';
export type { GraphNode, ModelGraph } from './graph/model-graph';
export { analyzeChannels } from './graph/channel-groups';
export type { ChannelAnalysis, ChannelGroup, ChannelMember, UnsupportedLayer } from './graph/channel-groups';
export { LayerKindRegistry, layerKinds, builtinLayerKinds, ELEMENTWISE_ACTIVATIONS, activationMixes, channelsNotLast } from './graph/layer-kinds';
export type { LayerKind, ChannelRole, ChannelBehaviour, WeightAxes, LinearKernel } from './graph/layer-kinds';
export { checkSameFunction, outputDifference, probeInputs } from './graph/exactness';
export type { OutputDifference } from './graph/exactness';
export { removeChannels, consumerInputMeans, consumerInputStats, affectedConsumers, sliceKernelMasks } from './graph/surgery';
export { deadChannels, compactMasked } from './graph/compact';
export type { DeadChannels } from './graph/compact';
export { cloneModel } from './graph/topology';
export { withTrainableBatchNorm, untrainableBatchNorms } from './graph/trainable-batchnorm';
export { replaceHead, reinitialize, attachHead } from './graph/transfer';
export type { NewHeadOptions } from './graph/transfer';
export type { ChannelRemovals, RemoveChannelsOptions, ConsumerInputStats } from './graph/surgery';
export { findRemovableUnits, removeUnits, linearCka } from './graph/layer-surgery';
export type { RemovableUnit, RemoveUnitsOptions, RepairMode } from './graph/layer-surgery';

export { ArrayDataset, labelArray, modelInputShape } from './datasets/dataset';
export type { Batch, DatasetOptions, FeatureArray, FeatureDecoding, LabelArray } from './datasets/dataset';
export type { FeatureRows } from './datasets/rows';
export { loadMnist } from './datasets/mnist';
export { loadMnistRgb } from './datasets/mnist-rgb';
export { DatasetRegistry, DEFAULT_DATA_SEED } from './datasets/registry';
export type { DataSpec, DataLoadOptions } from './datasets/registry';
export { defineDatasetSource } from './datasets/source';
export type { DataSplits, DatasetSource, DatasetLoadContext } from './datasets/source';
export { configuredTask, datasetRegistryFor, loadConfiguredData } from './datasets/configured';
export type { ConfiguredDataOptions } from './datasets/configured';
export { pixelValueSchema } from './datasets/pixel-values';
export { defineDataset } from './datasets/module-source';
export type { DatasetLoader, ModuleDataset, ModuleSplit, PlainSplit } from './datasets/module-source';
export { parseNpy, readNpz } from './datasets/numpy';
export type { NpyArray } from './datasets/numpy';
export type { PixelValueOptions } from './datasets/pixel-values';

export { evaluate } from './training/evaluate';
export { CLASSIFICATION, TASK_CHOICES, makeTask, resolveTask, taskFromTrainingConfig, formatMetric, metricLabel } from './training/task';
export type { Task, TaskConfig, TaskKind, LossName, MetricName, TargetForm, ResolvedTask } from './training/task';
export { unmeasurableReason, dataMismatchReason, nonFiniteWeight, MEASURABLE_TASKS } from './training/measurable';
export type { Evaluation, MetricValue } from './training/evaluate';
export { train, forEachGradient } from './training/train';
export type { TrainOptions, TrainResult, EpochResult, OptimizerName } from './training/train';
export { crossEntropy, distillationLoss } from './training/loss';
export type { DistillationOptions } from './training/loss';
export { taylorImportance, importanceMeasures, builtinImportanceMeasures, importanceRegistryFor, importanceMarkdownTable, defineImportance, ImportanceRegistry, measureLayer } from './importance';
export type { ChannelImportance, ImportanceGranularity, ImportanceInput, ImportanceMeasure, UnitImportance, UnitImportanceInput, WeightImportance } from './importance';
export { layerSensitivity, sensitivityMap } from './analysis/sensitivity';
export type { LayerSensitivity, SensitivityPoint, SensitivityMap } from './analysis/sensitivity';
export type { TaylorOptions } from './importance';
export { recalibrateBatchNorm } from './training/batchnorm';
export type { RecalibrateOptions, RecalibrateResult } from './training/batchnorm';

export { createHooks, TapStage } from './pipeline/hooks';
export type { PipelineHooks } from './pipeline/hooks';
export type * from './pipeline/types';
export { pruneCount, roundTargets } from './pipeline/schedule';
export { targetKinds, TargetKindRegistry, builtinTargetKinds, kernelSparsity, targetKindsFor, checkStageTargets } from './pipeline/targets';
export type { TargetKind, TargetMeasure } from './pipeline/targets';
export type { SelectTapOptions } from './pipeline/hooks';
export { Pipeline } from './pipeline/pipeline';
export { compactState } from './pipeline/apply-plan';
export type { RunOptions } from './pipeline/pipeline';
export type { Report, ReportStage, ReportLayer, ReportEncoding, ReportStructure, ReportData } from './report/report';
export { renderHtml } from './report/html';
export { lineChart, escapeXml, CHART_COLORS } from './report/svg';
export type { LineChartOptions, ChartSeries, ChartPoint } from './report/svg';

export { definePlugin } from './plugins/plugin';
export type { PluginContributions, Plugin, PluginClass, PluginObject, PluginInstance, PluginContext, JsonSchema, DatasetSources } from './plugins/plugin';
export { defaultServices, Services, inject, injectable } from './plugins/di';
export type { Evaluator, LatencyMeter, ProvidedServices, ReplaceableServices, ServiceFactoryContext, Trainer } from './plugins/di';
export { resolvePlugin, pluginFromExports } from './plugins/loader';
export { configMarkdownTable, optionsMarkdownTable } from './plugins/options-table';
export type { OptionsOf, SchemaValue } from './plugins/options-type';
export { validateAgainst } from './config/validate';

export { loadConfig, checkConfig } from './config/load';
export type { LoadedConfig } from './config/load';
export { defineConfig } from './config/types';
export type { PipelineConfig, StageConfig, ScheduleConfig, StageTarget, PluginInstanceConfig, ModelModuleRef } from './config/types';
export { pipelineConfigSchema } from './config/schema';
export { codecRegistryFor } from './encode/codecs';
export type { CodecSources } from './encode/codecs';
export { containerArtifact, encodeTensorWith } from './encode/stage';
export type { EncodeConfig } from './encode/stage';
export { projectPlugins } from './plugins/project';

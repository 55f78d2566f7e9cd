/**
 * The names `@nncompress/core` exported before its subpath entries existed, and where each
 * went. They still resolve from the root, so a plugin written against the old entry keeps
 * loading, and the first use of each prints one DeprecationWarning that names its new
 * home. They are not in the root's type declarations: TypeScript code imports them from
 * the subpath (docs/writing-a-plugin.md lists them).
 */
export const MOVED_EXPORTS: Readonly<Record<string, readonly string[]>> = {
  graph: ['matchLayerNames', 'buildModelGraph', 'LayerKindRegistry', 'layerKinds', 'builtinLayerKinds', 'ELEMENTWISE_ACTIVATIONS', 'activationMixes', 'channelsNotLast', 'checkSameFunction', 'outputDifference', 'probeInputs', 'removeChannels', 'consumerInputMeans', 'consumerInputStats', 'affectedConsumers', 'sliceKernelMasks', 'deadChannels', 'compactMasked', 'cloneModel', 'withTrainableBatchNorm', 'untrainableBatchNorms', 'replaceHead', 'reinitialize', 'attachHead', 'findRemovableUnits', 'removeUnits', 'linearCka'],
  model: ['loadModelFromModule', 'loadConfiguredModel', 'modelArtifacts', 'writeModelArtifacts', 'readModelArtifacts', 'readModelOrWeights', 'float32Bytes', 'modelInputFiles', 'isKernelWeight', 'compareLatency', 'measureLatency', 'medianPredictMs', 'kernelSparsity'],
  training: ['CLASSIFICATION', 'TASK_CHOICES', 'makeTask', 'resolveTask', 'taskFromTrainingConfig', 'formatMetric', 'metricLabel', 'unmeasurableReason', 'dataMismatchReason', 'nonFiniteWeight', 'MEASURABLE_TASKS', 'forEachGradient', 'crossEntropy', 'distillationLoss', 'layerSensitivity', 'sensitivityMap', 'recalibrateBatchNorm', 'defaultServices'],
  importance: ['taylorImportance'],
  data: ['labelArray', 'modelInputShape', 'loadMnist', 'loadMnistRgb', 'DatasetRegistry', 'DEFAULT_DATA_SEED', 'loadConfiguredData', 'pixelValueSchema', 'defineDataset', 'parseNpy', 'readNpz'],
  report: ['renderHtml', 'lineChart', 'escapeXml', 'CHART_COLORS', 'configMarkdownTable', 'optionsMarkdownTable'],
  internal: ['registerConv2DBackpropFilter', 'registerDepthwiseBackprop', 'writeFileAtomic', 'overwrittenInput', 'realPathOf', 'removeOnExit', 'sweepStale', 'configuredTask', 'datasetRegistryFor', 'roundTargets', 'targetKinds', 'TargetKindRegistry', 'builtinTargetKinds', 'compactState', 'resolvePlugin', 'pluginFromExports', 'validateAgainst', 'pipelineConfigSchema', 'codecRegistryFor', 'containerArtifact', 'encodeTensorWith', 'projectPlugins', 'errorMessage'],
};

/** Defines a non-enumerable getter on `target` for every moved name (spread and Object.keys skip them). */
export function defineMovedExports(target: object): void {
  const warned = new Set<string>();
  for (const [entry, names] of Object.entries(MOVED_EXPORTS)) {
    for (const name of names) {
      Object.defineProperty(target, name, {
        enumerable: false,
        configurable: true,
        get: () => {
          if (!warned.has(name)) {
            warned.add(name);
            process.emitWarning(`${name} moved to @nncompress/core/${entry}; importing it from @nncompress/core is deprecated`, { type: 'DeprecationWarning', code: 'NNCOMPRESS_MOVED_EXPORT' });
          }
          // Loaded on first use: the subpath entries import the modules the root does.
          return (require(`./entries/${entry}`) as Record<string, unknown>)[name];
        },
      });
    }
  }
}

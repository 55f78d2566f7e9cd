/**
 * `@nncompress/core/graph`: the model graph and what structured plugins do with it — channel
 * groups, layer kinds, channel and layer surgery, compaction, exactness checks, transfer
 * learning heads.
 */
export { buildModelGraph } from '../graph/model-graph';
export type { GraphNode, ModelGraph } from '../graph/model-graph';
export { analyzeChannels } from '../graph/channel-groups';
export type { ChannelAnalysis, ChannelGroup, ChannelMember, UnsupportedLayer } from '../graph/channel-groups';
export { LayerKindRegistry, layerKinds, builtinLayerKinds, ELEMENTWISE_ACTIVATIONS, activationMixes, channelsNotLast } from '../graph/layer-kinds';
export type { LayerKind, ChannelRole, ChannelBehaviour, WeightAxes, LinearKernel } from '../graph/layer-kinds';
export { checkSameFunction, outputDifference, probeInputs } from '../graph/exactness';
export type { OutputDifference } from '../graph/exactness';
export { removeChannels, consumerInputMeans, consumerInputStats, affectedConsumers, sliceKernelMasks } from '../graph/surgery';
export type { ChannelRemovals, RemoveChannelsOptions, ConsumerInputStats } from '../graph/surgery';
export { deadChannels, compactMasked } from '../graph/compact';
export type { DeadChannels } from '../graph/compact';
export { cloneModel } from '../graph/topology';
export { withTrainableBatchNorm, untrainableBatchNorms } from '../graph/trainable-batchnorm';
export { replaceHead, reinitialize, attachHead } from '../graph/transfer';
export type { NewHeadOptions } from '../graph/transfer';
export { findRemovableUnits, removeUnits, linearCka } from '../graph/layer-surgery';
export type { RemovableUnit, RemoveUnitsOptions, RepairMode } from '../graph/layer-surgery';
export { matchLayerNames } from '../util/layer-names';

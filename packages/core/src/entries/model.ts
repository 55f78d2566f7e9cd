/**
 * `@nncompress/core/model`: reading and writing tfjs models, their statistics (parameters,
 * FLOPs, sparsity), masks, weight ties (shared weights) and latency; the nearest-value search
 * quantisers share.
 */
export { loadModel, loadModelFromModule, loadConfiguredModel, saveModel, modelArtifacts, writeModelArtifacts, readModelArtifacts, readModelOrWeights, float32Bytes, modelInputFiles } from '../model/model-io';
export { modelStats, isKernelWeight } from '../model/model-stats';
export type { ModelStats, LayerStats } from '../model/model-stats';
export { MaskSet, prunableWeights } from '../model/masks';
export type { PrunableWeight } from '../model/masks';
export { WeightTies, PINNED_ZERO, tiedGradient, projectToMeans, nearestFloat16 } from '../model/ties';
export { nearestInSorted } from '../util/sorted';
export type { WeightTie } from '../model/ties';
export { compareLatency, measureLatency, medianPredictMs } from '../model/latency';
export type { Latency } from '../model/latency';
export { kernelSparsity } from '../pipeline/targets';

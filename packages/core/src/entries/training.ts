/**
 * `@nncompress/core/training`: mask-aware training, evaluation, tasks and their metrics,
 * losses, BatchNorm recalibration and the per-layer sensitivity analysis.
 */
export { train, forEachGradient } from '../training/train';
export type { TrainOptions, TrainResult, EpochResult, OptimizerName } from '../training/train';
export { evaluate } from '../training/evaluate';
export type { EvaluateOptions, Evaluation, MetricValue } from '../training/evaluate';
export { CLASSIFICATION, TASK_CHOICES, makeTask, resolveTask, taskFromTrainingConfig, formatMetric, metricLabel } from '../training/task';
export type { Task, TaskConfig, TaskKind, LossName, MetricName, TargetForm, ResolvedTask } from '../training/task';
export { unmeasurableReason, dataMismatchReason, nonFiniteWeight, MEASURABLE_TASKS } from '../training/measurable';
export { crossEntropy, distillationLoss } from '../training/loss';
export type { DistillationOptions } from '../training/loss';
export { recalibrateBatchNorm } from '../training/batchnorm';
export type { RecalibrateOptions, RecalibrateResult } from '../training/batchnorm';
export { layerSensitivity, sensitivityMap } from '../analysis/sensitivity';
export type { LayerSensitivity, SensitivityPoint, SensitivityMap } from '../analysis/sensitivity';
export { defaultServices } from '../plugins/di';
export { profileTraining, matmulGflops } from '../training/profile';
export type { KernelTime, PhaseTime, ProfileOptions, ProfilePhase, TrainingProfile } from '../training/profile';
export { prepareTraining } from '../training/train';
export type { StepPhase, StepTimer, TrainingSetup } from '../training/train';

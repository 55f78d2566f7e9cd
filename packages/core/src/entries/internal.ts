/**
 * `@nncompress/core/internal`: what the CLI and the bench use and a plugin should not need —
 * plugin resolution, the codec registry's assembly, output-folder safety, the config schema
 * and its checks, the backend's kernel registrations. Not covered by semver: it changes
 * with the CLI.
 */
export { registerConv2DBackpropFilter } from '../backend/conv2d-backprop-filter';
export { registerDepthwiseBackprop } from '../backend/depthwise-backprop';
export type { BackendInfo, BackendName, BackendPreference } from '../backend/choose';
export { writeFileAtomic } from '../util/fs-atomic';
export { overwrittenInput, realPathOf, removeOnExit, sweepStale } from '../util/output-safety';
export { resolvePlugin, pluginFromExports } from '../plugins/loader';
export { projectPlugins } from '../plugins/project';
export { validateAgainst } from '../config/validate';
export { pipelineConfigSchema } from '../config/schema';
export { codecRegistryFor } from '../encode/codecs';
export type { CodecSources } from '../encode/codecs';
export { containerArtifact, encodeTensorWith } from '../encode/stage';
export type { EncodeConfig } from '../encode/stage';
export { configuredTask, datasetRegistryFor } from '../datasets/configured';
export { targetKinds, TargetKindRegistry, builtinTargetKinds, targetKindsFor, checkStageTargets } from '../pipeline/targets';
export { importanceRegistryFor } from '../importance';
export { roundTargets } from '../pipeline/schedule';
export { compactState } from '../pipeline/apply-plan';
export { errorMessage } from '../errors';

/**
 * `@nncompress/core/data`: datasets and their sources (mnist, idx, csv, npy, image folders,
 * modules, and a plugin's own); see docs/data.md.
 */
export { ArrayDataset, labelArray, modelInputShape } from '../datasets/dataset';
export type { Batch, DatasetOptions, FeatureArray, FeatureDecoding, LabelArray } from '../datasets/dataset';
export type { FeatureRows } from '../datasets/rows';
export { loadMnist } from '../datasets/mnist';
export { loadMnistRgb } from '../datasets/mnist-rgb';
export { DatasetRegistry, DEFAULT_DATA_SEED } from '../datasets/registry';
export type { DataSpec, DataLoadOptions } from '../datasets/registry';
export { defineDatasetSource } from '../datasets/source';
export type { DataSplits, DatasetSource, DatasetLoadContext } from '../datasets/source';
export { defineDataset } from '../datasets/module-source';
export type { DatasetLoader, ModuleDataset, ModuleSplit, PlainSplit } from '../datasets/module-source';
export { pixelValueSchema } from '../datasets/pixel-values';
export type { PixelValueOptions } from '../datasets/pixel-values';
export { parseNpy, readNpz } from '../datasets/numpy';
export type { NpyArray } from '../datasets/numpy';
export { loadConfiguredData } from '../datasets/configured';
export type { ConfiguredDataOptions } from '../datasets/configured';

/**
 * `@nncompress/core/importance`: the importance measures (one file each) and their registry;
 * see docs/importance.md.
 */
export { builtinImportanceMeasures, defineImportance, ImportanceRegistry, importanceMeasures, measureLayer, taylorImportance } from '../importance';
export type { ChannelImportance, ImportanceGranularity, ImportanceInput, ImportanceMeasure, TaylorOptions, UnitImportance, UnitImportanceInput, WeightImportance } from '../importance';

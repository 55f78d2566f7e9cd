export { LayerPruningPlugin as default, LayerPruningPlugin } from './plugin';
export { unitImportance } from './importance';
export type { ImportanceOptions } from './importance';
export { selectUnits } from './select';
export { layerPruningOptionsSchema } from './schema';
export type { LayerPruningOptions } from './schema';

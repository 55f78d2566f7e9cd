export { WeightSharingPlugin as default, WeightSharingPlugin } from './plugin';
export { shareWeights, chooseBits, isBiasWeight } from './library';
export type { SharedWeight, ShareWeightsOptions, BitChoice } from './library';
export { kmeans, kmeansPerChannel, sharedValues, ZERO_ENTRY } from './kmeans';
export type { Clustering, ClusterInit } from './kmeans';
export { weightSharingOptionsSchema } from './schema';
export type { WeightSharingOptions } from './schema';

export { LayerKindRegistry, layerKinds, builtinLayerKinds } from './registry';
export type { LayerKind, ChannelRole, ChannelBehaviour, WeightAxes, LinearKernel } from './kind';
export { ELEMENTWISE_ACTIVATIONS, activationMixes, channelsNotLast } from './config';

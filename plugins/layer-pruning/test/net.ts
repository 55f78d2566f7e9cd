import { Rng, tf } from '@nncompress/core';

/**
 * conv1(8)-BN-relu-pool-conv2(16, same)-BN-relu-pool-flatten-fc1(32, relu)-ident(32)-fc2(10): a small
 * VGG-style net with a planted identity layer (identity kernel, zero bias, linear), which
 * every sound importance measure must rank as the least important unit.
 */
export function cnnWithIdentity(): tf.LayersModel {
  const rng = new Rng(21);
  const init = (): ReturnType<typeof tf.initializers.glorotUniform> => tf.initializers.glorotUniform({ seed: rng.childSeed() });
  return tf.sequential({
    layers: [
      tf.layers.conv2d({ name: 'conv1', inputShape: [28, 28, 1], filters: 8, kernelSize: 3, kernelInitializer: init() }),
      tf.layers.batchNormalization({ name: 'bn1', momentum: 0.9 }),
      tf.layers.reLU({ name: 'relu1' }),
      tf.layers.maxPooling2d({ name: 'pool1', poolSize: 2 }),
      tf.layers.conv2d({ name: 'conv2', filters: 16, kernelSize: 3, padding: 'same', kernelInitializer: init() }),
      tf.layers.batchNormalization({ name: 'bn2', momentum: 0.9 }),
      tf.layers.reLU({ name: 'relu2' }),
      tf.layers.maxPooling2d({ name: 'pool2', poolSize: 2 }),
      tf.layers.flatten({ name: 'flatten' }),
      tf.layers.dense({ name: 'fc1', units: 32, activation: 'relu', kernelInitializer: init() }),
      tf.layers.dense({ name: 'ident', units: 32, kernelInitializer: 'identity', trainable: false }),
      tf.layers.dense({ name: 'fc2', units: 10, activation: 'softmax', kernelInitializer: init() }),
    ],
  });
}

/**
 * The one TensorFlow.js instance every package uses. Plugins import `tf` from
 * @nncompress/core instead of depending on @tensorflow/tfjs themselves, so that models,
 * tensors and registered kernels are shared.
 */
import * as tf from '@tensorflow/tfjs';
export { tf };

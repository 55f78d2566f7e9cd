/**
 * Gradients with respect to a model's weights, without the work no weight needs.
 *
 * tfjs's fused convolution (which tfjs-layers' Conv2D runs) computes its input's gradient
 * even when nothing asked for it. For a convolution reading the model's own input that
 * gradient is always thrown away; on LeNet-5 it was 15 of the 85 ms a training step took on
 * wasm. The weight gradients are the same either way, bit for bit.
 */
import * as tf from '@tensorflow/tfjs';
import { withoutInputGradients } from '../backend/conv2d-backprop-input';

/**
 * Kernels of the Conv2D layers of `model` (not of models nested in it) whose every call reads
 * one of `model`'s inputs directly: no gradient with respect to weights flows through their input.
 */
export function inputConvolutionKernels(model: tf.LayersModel): tf.Variable[] {
  const inputs = new Set<unknown>(model.inputs);
  return model.layers
    .filter((layer) => layer.getClassName() === 'Conv2D' && layer.inboundNodes.length > 0)
    .filter((layer) => layer.inboundNodes.every((node) => node.inputTensors.length > 0 && node.inputTensors.every((t) => inputs.has(t))))
    .flatMap((layer) => layer.weights.filter((w) => w.shape.length === 4).map((w) => w.read() as tf.Variable));
}

/** `tf.variableGrads(loss, variables)`, skipping the input gradients of `inputKernels`' convolutions (see `inputConvolutionKernels`). */
export function weightGradients(loss: () => tf.Scalar, variables: tf.Variable[], inputKernels: readonly tf.Variable[]): { value: tf.Scalar; grads: tf.NamedTensorMap } {
  return withoutInputGradients(inputKernels, () => tf.variableGrads(loss, variables));
}

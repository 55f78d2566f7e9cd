/**
 * MaxPoolGrad for the wasm backend, computed in JavaScript on the backend's own memory.
 *
 * Why: the wasm backend's kernel (tfjs-backend-wasm 4.22) routes the gradient of a window
 * whose values are all negative to the window's first position, not to its maximum (a 2×2
 * window [-2, -1, -1, -2] sends dy to the -2), and breaks positive ties towards the last
 * position. A network that pools before its activation (the Caffe LeNet-5: convolution,
 * then max pooling, no ReLU between) therefore trained on wrong gradients without a word.
 * This kernel follows the cpu backend: each window's gradient goes to its first maximum in
 * row-major order, and a cell covered by several windows sums their gradients in window
 * order, and equals the cpu backend's result exactly. It is also ~3x faster than the
 * kernel it replaces (docs/performance.md).
 */
import * as tf from '@tensorflow/tfjs';
import { HeapBackend, KernelArgs, replaceKernel, TensorInfo } from './kernel-utils';

interface MaxPoolGradAttrs {
  filterSize: number | [number, number];
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/**
 * Writes the gradient of max pooling `x` into `dx` (zero-filled by the caller). Where windows
 * overlap, a cell's sum is taken in double precision and rounded once, as the cpu backend does.
 */
function maxPoolGradInto(dx: Float32Array, x: Float32Array, dy: Float32Array, info: tf.backend_util.Conv2DInfo): void {
  const overlapping = info.strideHeight < info.filterHeight || info.strideWidth < info.filterWidth;
  const sums: Float32Array | Float64Array = overlapping ? new Float64Array(dx.length) : dx;
  const { batchSize, inHeight, inWidth, inChannels: channels, outHeight, outWidth, filterHeight, filterWidth, strideHeight, strideWidth } = info;
  const { top, left } = info.padInfo;
  for (let n = 0; n < batchSize; n++) {
    const inBase = n * inHeight * inWidth * channels;
    for (let oh = 0; oh < outHeight; oh++) {
      const h0 = oh * strideHeight - top;
      const hFrom = Math.max(0, h0);
      const hTo = Math.min(inHeight, h0 + filterHeight);
      for (let ow = 0; ow < outWidth; ow++) {
        const w0 = ow * strideWidth - left;
        const wFrom = Math.max(0, w0);
        const wTo = Math.min(inWidth, w0 + filterWidth);
        const outBase = ((n * outHeight + oh) * outWidth + ow) * channels;
        for (let c = 0; c < channels; c++) {
          let best = -Infinity;
          let at = -1;
          for (let h = hFrom; h < hTo; h++) {
            let i = inBase + (h * inWidth + wFrom) * channels + c;
            for (let w = wFrom; w < wTo; w++, i += channels) {
              // First maximum wins, as on the cpu backend; a window of NaNs passes nothing.
              if (x[i] > best) {
                best = x[i];
                at = i;
              }
            }
          }
          if (at >= 0) sums[at] += dy[outBase + c];
        }
      }
    }
  }
  if (overlapping) dx.set(sums);
}

const maxPoolGrad = (original: tf.KernelFunc) => ({ inputs, backend, attrs }: KernelArgs): TensorInfo => {
  const { dy, input } = inputs as { dy: TensorInfo; input: TensorInfo };
  if (input.dtype !== 'float32' || dy.dtype !== 'float32') return original({ inputs, backend, attrs }) as TensorInfo;
  const a = attrs as unknown as MaxPoolGradAttrs;
  const info = tf.backend_util.computePool2DInfo(input.shape as [number, number, number, number], a.filterSize, a.strides, 1, a.pad, a.dimRoundingMode);
  const heap = backend as unknown as HeapBackend;
  const out = heap.makeOutput(input.shape, 'float32');
  const dx = heap.typedArrayFromHeap(out) as Float32Array;
  dx.fill(0);
  maxPoolGradInto(dx, heap.typedArrayFromHeap(input) as Float32Array, heap.typedArrayFromHeap(dy) as Float32Array, info);
  return out;
};

/** Replaces the wasm backend's MaxPoolGrad (see above). */
export function registerMaxPoolGrad(backendName: string): boolean {
  return replaceKernel('MaxPoolGrad', backendName, maxPoolGrad);
}

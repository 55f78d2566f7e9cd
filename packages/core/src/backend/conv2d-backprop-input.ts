/**
 * Conv2DBackpropInput as a forward convolution, for backends whose own input-gradient kernel
 * is far slower than their forward convolution (wasm: half of LeNet-5's training time,
 * 103 ms a step against 11 ms for the forward convolutions; docs/performance.md).
 *
 * For stride 1 and dilation 1 the input gradient is a full correlation of the output gradient
 * with the filter rotated by 180° and its channel axes swapped:
 *   dx[n,h,w,ci] = Σ_{a,b,co} dy[n, h + pt − a, w + pl − b, co] · W[a,b,ci,co]
 * which is a 'valid' forward convolution of dy padded by (kh − 1 − pt, kh − 1 − pb) rows and
 * (kw − 1 − pl, kw − 1 − pr) columns, where (pt, pb, pl, pr) is the forward padding. Other
 * strides, dilations and layouts go to the backend's own kernel. The sums are the same; their
 * order differs, so results agree with the original to float32 rounding.
 */
import * as tf from '@tensorflow/tfjs';
import { composed, forwardPadding, KernelArgs, Pad, pair, replaceKernel, TensorInfo } from './kernel-utils';

interface BackpropInputAttrs {
  strides: number | [number, number];
  pad: Pad;
  dataFormat: 'NHWC' | 'NCHW';
  dilations?: number | [number, number];
  inputShape: [number, number, number, number];
}

/**
 * Data of filters whose convolution reads a tensor no gradient is asked for (a model's input),
 * while `withoutInputGradients` runs. tfjs's fused convolution has a custom gradient that
 * computes the input's gradient whether or not anything asked for it, and throws it away; for
 * LeNet-5's first convolution that is 15 ms of an 85 ms training step (docs/performance.md).
 */
let unneeded: ReadonlySet<object> = new Set();

/**
 * Runs `body` with the input gradients of convolutions by `filters` replaced by zeros, on the
 * backends where this kernel is replaced. Only for convolutions whose input is not a function
 * of what `body` differentiates with respect to: its gradient is computed but never used.
 * Keyed by the filters' data at the time of the call, so call it inside the step (a variable's
 * data changes when it is assigned).
 */
export function withoutInputGradients<T>(filters: readonly tf.Tensor[], body: () => T): T {
  if (filters.length === 0) return body();
  const outer = unneeded;
  unneeded = new Set([...outer, ...filters.map((f) => f.dataId)]);
  try {
    return body();
  } finally {
    unneeded = outer;
  }
}

const asForwardConvolution =
  (original: tf.KernelFunc) =>
  ({ inputs, backend, attrs }: KernelArgs): TensorInfo => {
    const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
    const a = attrs as unknown as BackpropInputAttrs;
    if (unneeded.has(filter.dataId)) return composed(backend, (k) => k.run('Fill', {}, { shape: a.inputShape, value: 0, dtype: 'float32' }));
    const stride = pair(a.strides);
    const dilation = pair(a.dilations ?? 1);
    if (a.dataFormat !== 'NHWC' || stride[0] !== 1 || stride[1] !== 1 || dilation[0] !== 1 || dilation[1] !== 1) return original({ inputs, backend, attrs }) as TensorInfo;
    const [kh, kw] = filter.shape as [number, number, number, number];
    const [, h, w] = a.inputShape;
    const [[pt, pb], [pl, pr]] = forwardPadding(a.pad, [h, w], [kh, kw], stride, [dy.shape[1], dy.shape[2]]);
    const around = [kh - 1 - pt, kh - 1 - pb, kw - 1 - pl, kw - 1 - pr];
    // A forward padding wider than the filter (never from 'same' or 'valid') leaves it to the backend.
    if (around.some((p) => p < 0)) return original({ inputs, backend, attrs }) as TensorInfo;
    return composed(backend, (k) => {
      const rotated = k.run('Transpose', { x: k.run('Reverse', { x: filter }, { dims: [0, 1] }) }, { perm: [0, 1, 3, 2] });
      const padded = around.every((p) => p === 0) ? dy : k.run('PadV2', { x: dy }, { paddings: [[0, 0], [around[0], around[1]], [around[2], around[3]], [0, 0]], constantValue: 0 });
      return k.run('Conv2D', { x: padded, filter: rotated }, { strides: [1, 1], pad: 'valid', dataFormat: 'NHWC', dilations: [1, 1] });
    });
  };

/** Replaces `backendName`'s Conv2DBackpropInput by a forward convolution for stride 1 (the backend's own kernel serves the rest). */
export function registerForwardConvBackpropInput(backendName: string): boolean {
  return replaceKernel('Conv2DBackpropInput', backendName, asForwardConvolution);
}

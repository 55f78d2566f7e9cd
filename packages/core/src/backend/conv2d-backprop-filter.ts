/**
 * Conv2DBackpropFilter for backends that lack it (wasm), built from kernels they have.
 *
 * Why a kernel and not only a registered gradient: tfjs-layers runs Conv2D through
 * `fused.conv2d`, whose gradient is a custom closure that calls the Conv2DBackpropFilter
 * kernel directly, bypassing the gradient registry. Supplying the kernel fixes every path.
 *
 * The filter gradient
 *   dW[a,b,ci,co] = Σ_n Σ_{i,j} xpad[n, i·s + a, j·s + b, ci] · dy[n,i,j,co]
 * is a valid convolution of the padded input with batch and channels swapped
 * ([C_in,H,W,N]) by the output gradient used as a filter ([H_out,W_out,N,C_out]), with
 * stride 1 and dilation s. Its output is [C_in, kh', kw', C_out] with kh' ≥ kh; the first
 * kh×kw positions are dW, transposed back to [kh,kw,C_in,C_out].
 */
import * as tf from '@tensorflow/tfjs';

type TensorInfo = tf.TensorInfo;
type Pad = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;

interface BackpropFilterAttrs {
  strides: number | [number, number];
  pad: Pad;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape: [number, number, number, number];
}

function pair(v: number | [number, number]): [number, number] {
  return typeof v === 'number' ? [v, v] : v;
}

/** [before, after] padding of H and W that the forward convolution applied. */
export function forwardPadding(pad: Pad, inSize: [number, number], kernel: [number, number], stride: [number, number], outSize: [number, number]): [[number, number], [number, number]] {
  if (pad === 'valid') return [[0, 0], [0, 0]];
  if (typeof pad === 'number') return [[pad, pad], [pad, pad]];
  if (Array.isArray(pad)) return [pad[1] as [number, number], pad[2] as [number, number]];
  const same = (d: 0 | 1): [number, number] => {
    const total = Math.max(0, (outSize[d] - 1) * stride[d] + kernel[d] - inSize[d]);
    const before = Math.floor(total / 2);
    return [before, total - before];
  };
  return [same(0), same(1)];
}

function runKernel(name: string, backend: tf.KernelBackend, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap): TensorInfo {
  const kernel = tf.getKernel(name, tf.getBackend());
  if (!kernel) throw new Error(`Conv2DBackpropFilter needs the ${name} kernel on ${tf.getBackend()}`);
  return kernel.kernelFunc({ inputs, backend, attrs }) as TensorInfo;
}

function conv2DBackpropFilter({ inputs, backend, attrs }: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs?: tf.NamedAttrMap }): TensorInfo {
  const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
  const a = attrs as unknown as BackpropFilterAttrs;
  if (a.dataFormat !== 'NHWC') throw new Error(`Conv2DBackpropFilter: only NHWC is supported, got ${a.dataFormat}`);
  const [kh, kw, cin, cout] = a.filterShape;
  const stride = pair(a.strides);
  const [padH, padW] = forwardPadding(a.pad, [x.shape[1], x.shape[2]], [kh, kw], stride, [dy.shape[1], dy.shape[2]]);
  const temps: TensorInfo[] = [];
  const keep = (t: TensorInfo): TensorInfo => {
    temps.push(t);
    return t;
  };
  try {
    const padded = padH[0] + padH[1] + padW[0] + padW[1] === 0 ? x : keep(runKernel('PadV2', backend, { x }, { paddings: [[0, 0], padH, padW, [0, 0]], constantValue: 0 }));
    const xT = keep(runKernel('Transpose', backend, { x: padded }, { perm: [3, 1, 2, 0] }));
    const dyT = keep(runKernel('Transpose', backend, { x: dy }, { perm: [1, 2, 0, 3] }));
    const corr = keep(runKernel('Conv2D', backend, { x: xT, filter: dyT }, { strides: [1, 1], pad: 'valid', dataFormat: 'NHWC', dilations: stride, dimRoundingMode: undefined as unknown as string }));
    const cropped = keep(runKernel('Slice', backend, { x: corr }, { begin: [0, 0, 0, 0], size: [cin, kh, kw, cout] }));
    return runKernel('Transpose', backend, { x: cropped }, { perm: [1, 2, 0, 3] });
  } finally {
    for (const t of temps) backend.disposeData(t.dataId);
  }
}

/**
 * Registers the kernel for `backendName` unless that backend already has one (so the
 * cpu and tfjs-node kernels stay in charge where they exist). Idempotent.
 */
export function registerConv2DBackpropFilter(backendName: string): boolean {
  if (tf.getKernel('Conv2DBackpropFilter', backendName)) return false;
  tf.registerKernel({ kernelName: 'Conv2DBackpropFilter', backendName, kernelFunc: conv2DBackpropFilter as unknown as tf.KernelFunc });
  return true;
}

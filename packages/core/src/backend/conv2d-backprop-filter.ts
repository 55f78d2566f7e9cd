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

import { composed, forwardPadding, KernelArgs, Pad, pair, registerIfMissing, TensorInfo } from './kernel-utils';

interface BackpropFilterAttrs {
  strides: number | [number, number];
  pad: Pad;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape: [number, number, number, number];
}

function conv2DBackpropFilter({ inputs, backend, attrs }: KernelArgs): TensorInfo {
  const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
  const a = attrs as unknown as BackpropFilterAttrs;
  if (a.dataFormat !== 'NHWC') throw new Error(`Conv2DBackpropFilter: only NHWC is supported, got ${a.dataFormat}`);
  const [kh, kw, cin, cout] = a.filterShape;
  const stride = pair(a.strides);
  const [padH, padW] = forwardPadding(a.pad, [x.shape[1], x.shape[2]], [kh, kw], stride, [dy.shape[1], dy.shape[2]]);
  return composed(backend, (k) => {
    const padded = padH[0] + padH[1] + padW[0] + padW[1] === 0 ? x : k.run('PadV2', { x }, { paddings: [[0, 0], padH, padW, [0, 0]], constantValue: 0 });
    const xT = k.run('Transpose', { x: padded }, { perm: [3, 1, 2, 0] });
    const dyT = k.run('Transpose', { x: dy }, { perm: [1, 2, 0, 3] });
    const corr = k.run('Conv2D', { x: xT, filter: dyT }, { strides: [1, 1], pad: 'valid', dataFormat: 'NHWC', dilations: stride });
    const cropped = k.run('Slice', { x: corr }, { begin: [0, 0, 0, 0], size: [cin, kh, kw, cout] });
    return k.run('Transpose', { x: cropped }, { perm: [1, 2, 0, 3] });
  });
}

/**
 * Registers the kernel for `backendName` unless that backend already has one (so the
 * cpu and tfjs-node kernels stay in charge where they exist). Idempotent.
 */
export function registerConv2DBackpropFilter(backendName: string): boolean {
  return registerIfMissing('Conv2DBackpropFilter', backendName, conv2DBackpropFilter);
}

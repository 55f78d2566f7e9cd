/**
 * DepthwiseConv2dNative backprop kernels for backends that lack them (wasm), built from
 * kernels they have, so depthwise networks (MobileNetV2) fine-tune there. Shapes: input x
 * [N,H,W,C], filter [kh,kw,C,M] (M = channel multiplier), output [N,Ho,Wo,C·M].
 *
 * Filter gradient: dW[a,b,c,m] = Σ_n Σ_{i,j} xpad[n, i·s+a, j·s+b, c] · dy[n,i,j,c·M+m].
 * Folding the batch into channels makes this one depthwise convolution: the padded input as
 * [1,Hp,Wp,N·C] convolved with dy as a [Ho,Wo,N·C,M] filter at stride 1 and dilation s,
 * then summed over n.
 *
 * Input gradient: dx[n,h,w,c] = Σ_m Σ_{i,j} dyU[n, h+i, w+j, c·M+m] · flip(W)[i,j,c,m], where
 * dyU is dy with s−1 zeros between entries, padded by kh−1−padTop (a "full" correlation);
 * one depthwise convolution over the C·M channels, then a sum over m.
 */
import { composed, forwardPadding, KernelArgs, Pad, pair, registerIfMissing, TensorInfo } from './kernel-utils';

interface DepthwiseBackpropAttrs {
  strides: number | [number, number];
  pad: Pad;
  dilations?: number | [number, number];
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape?: [number, number, number, number];
  inputShape?: [number, number, number, number];
}

function checkDilation(a: DepthwiseBackpropAttrs, kernel: string): void {
  const [dh, dw] = pair(a.dilations ?? 1);
  if (dh !== 1 || dw !== 1) throw new Error(`${kernel}: dilation > 1 is not supported`);
}

function depthwiseBackpropFilter({ inputs, backend, attrs }: KernelArgs): TensorInfo {
  const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
  const a = attrs as unknown as DepthwiseBackpropAttrs;
  checkDilation(a, 'DepthwiseConv2dNativeBackpropFilter');
  const [kh, kw, c, m] = a.filterShape!;
  const [n] = x.shape;
  const [, ho, wo] = dy.shape;
  const stride = pair(a.strides);
  const [padH, padW] = forwardPadding(a.pad, [x.shape[1], x.shape[2]], [kh, kw], stride, [ho, wo]);
  return composed(backend, (k) => {
    const xp = padH[0] + padH[1] + padW[0] + padW[1] === 0 ? x : k.run('PadV2', { x }, { paddings: [[0, 0], padH, padW, [0, 0]], constantValue: 0 });
    const [hp, wp] = [xp.shape[1], xp.shape[2]];
    const xT = k.run('Transpose', { x: xp }, { perm: [1, 2, 0, 3] }); // [Hp,Wp,N,C]
    const xFolded = k.run('Reshape', { x: xT }, { shape: [1, hp, wp, n * c] });
    const dy5 = k.run('Reshape', { x: dy }, { shape: [n, ho, wo, c, m] });
    const dyT = k.run('Transpose', { x: dy5 }, { perm: [1, 2, 0, 3, 4] }); // [Ho,Wo,N,C,M]
    const dyFilter = k.run('Reshape', { x: dyT }, { shape: [ho, wo, n * c, m] });
    const corr = k.run('DepthwiseConv2dNative', { x: xFolded, filter: dyFilter }, { strides: [1, 1], pad: 'valid', dilations: stride }); // [1,kh',kw',N·C·M]
    const cropped = k.run('Slice', { x: corr }, { begin: [0, 0, 0, 0], size: [1, kh, kw, n * c * m] });
    const perSample = k.run('Reshape', { x: cropped }, { shape: [kh, kw, n, c * m] });
    const summed = k.run('Sum', { x: perSample }, { axis: [2], keepDims: false }); // [kh,kw,C·M]
    return k.run('Reshape', { x: summed }, { shape: [kh, kw, c, m] });
  });
}

function depthwiseBackpropInput({ inputs, backend, attrs }: KernelArgs): TensorInfo {
  const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
  const a = attrs as unknown as DepthwiseBackpropAttrs;
  checkDilation(a, 'DepthwiseConv2dNativeBackpropInput');
  const [n, h, w, c] = a.inputShape!;
  const [kh, kw, , m] = filter.shape;
  const [, ho, wo, cm] = dy.shape;
  const [sh, sw] = pair(a.strides);
  const [padH, padW] = forwardPadding(a.pad, [h, w], [kh, kw], [sh, sw], [ho, wo]);
  return composed(backend, (k) => {
    // Spread dy with s−1 zeros between entries.
    let spread = dy;
    if (sh > 1 || sw > 1) {
      const dy6 = k.run('Reshape', { x: dy }, { shape: [n, ho, 1, wo, 1, cm] });
      const padded6 = k.run('PadV2', { x: dy6 }, { paddings: [[0, 0], [0, 0], [0, sh - 1], [0, 0], [0, sw - 1], [0, 0]], constantValue: 0 });
      const flat = k.run('Reshape', { x: padded6 }, { shape: [n, ho * sh, wo * sw, cm] });
      spread = k.run('Slice', { x: flat }, { begin: [0, 0, 0, 0], size: [n, (ho - 1) * sh + 1, (wo - 1) * sw + 1, cm] });
    }
    // Full correlation: pad so output row h reads rows h..h+kh−1; crop where the forward pass
    // never looked (negative padding).
    const hu = spread.shape[1];
    const wu = spread.shape[2];
    const top = kh - 1 - padH[0];
    const left = kw - 1 - padW[0];
    const bottom = h + kh - 1 - hu - top;
    const right = w + kw - 1 - wu - left;
    let source = spread;
    if (top !== 0 || left !== 0 || bottom !== 0 || right !== 0) {
      const grown = k.run('PadV2', { x: spread }, { paddings: [[0, 0], [Math.max(0, top), Math.max(0, bottom)], [Math.max(0, left), Math.max(0, right)], [0, 0]], constantValue: 0 });
      source = k.run('Slice', { x: grown }, { begin: [0, Math.max(0, -top), Math.max(0, -left), 0], size: [n, h + kh - 1, w + kw - 1, cm] });
    }
    const flipped = k.run('Reverse', { x: filter }, { dims: [0, 1] });
    const filterCm = k.run('Reshape', { x: flipped }, { shape: [kh, kw, cm, 1] });
    const perM = k.run('DepthwiseConv2dNative', { x: source, filter: filterCm }, { strides: [1, 1], pad: 'valid', dilations: [1, 1] }); // [N,H,W,C·M]
    if (m === 1) return perM;
    const split = k.run('Reshape', { x: perM }, { shape: [n, h, w, c, m] });
    return k.run('Sum', { x: split }, { axis: [4], keepDims: false });
  });
}

/** Registers both depthwise backprop kernels for `backendName` where it lacks them. */
export function registerDepthwiseBackprop(backendName: string): void {
  registerIfMissing('DepthwiseConv2dNativeBackpropFilter', backendName, depthwiseBackpropFilter);
  registerIfMissing('DepthwiseConv2dNativeBackpropInput', backendName, depthwiseBackpropInput);
}

import { tf } from '@nncompress/core';
import type { GemmView } from './gemm';

/**
 * A row-and-column pruned layer run as one small dense GEMM (im2col): only the kept
 * (kernel position, input channel) columns of each receptive field are gathered, and they
 * are multiplied by the kept rows × kept columns of the kernel. The multiply-adds per output
 * position are |rows|·|cols| instead of C_out·k_h·k_w·C_in: the removed columns are skipped,
 * not multiplied by zero.
 */
export interface PackedGemmLayer {
  readonly layer: string;
  readonly keptRows: readonly number[];
  readonly keptCols: readonly number[];
  /** [|cols| × |rows|]. */
  readonly kernel: tf.Tensor2D;
  readonly bias?: tf.Tensor1D;
  /** The layer's pre-activation output for the kept rows: [N, H_out, W_out, |rows|] (Conv2D) or [N, |rows|] (Dense). */
  apply(input: tf.Tensor): tf.Tensor;
  /** Multiply-adds of one example. */
  readonly macs: number;
  dispose(): void;
}

interface ConvSpec {
  kernelSize: [number, number];
  strides: [number, number];
  padding: 'same' | 'valid';
  dilationRate: [number, number];
}

const pair = (v: number | number[] | undefined, fallback: number): [number, number] => (Array.isArray(v) ? [v[0], v[1] ?? v[0]] : [v ?? fallback, v ?? fallback]);

/** Kept columns grouped by kernel position: position t → kept input channels, in column order. */
function columnsByPosition(keptCols: readonly number[], inputs: number): Map<number, number[]> {
  const byPosition = new Map<number, number[]>();
  for (const q of keptCols) {
    const t = Math.floor(q / inputs);
    const list = byPosition.get(t) ?? [];
    list.push(q % inputs);
    byPosition.set(t, list);
  }
  return byPosition;
}

/**
 * Packs layer `view` of `model` for its kept rows and columns (GEMM indices, see `GemmView`).
 * Only Conv2D and Dense layers (the GEMM views); the caller disposes the result.
 */
export function packGemmLayer(model: tf.LayersModel, view: GemmView, keptRows: readonly number[], keptCols: readonly number[]): PackedGemmLayer {
  const layer = model.getLayer(view.weight.layerName);
  const [kernelTensor, biasTensor] = layer.getWeights();
  const flat = kernelTensor.dataSync();
  const { rows } = view;
  // Column order: by kernel position, then input channel, as the gathered patches come out.
  const inputs: number = view.kernel === 'conv2d' ? (kernelTensor.shape[2] as number) : view.cols;
  const byPosition = columnsByPosition(keptCols, inputs);
  const ordered = [...byPosition.entries()].sort((a, b) => a[0] - b[0]).flatMap(([t, cs]) => cs.map((c) => t * inputs + c));
  const packed = new Float32Array(ordered.length * keptRows.length);
  ordered.forEach((q, a) => keptRows.forEach((o, b) => (packed[a * keptRows.length + b] = flat[q * rows + o])));
  const kernel = tf.tensor2d(packed, [ordered.length, keptRows.length]);
  const bias = layer.getConfig().useBias !== false && biasTensor ? tf.tensor1d(Float32Array.from(keptRows, (o) => biasTensor.dataSync()[o])) : undefined;
  const macs = (n: number): number => n * ordered.length * keptRows.length;

  if (view.kernel === 'dense') {
    const columns = tf.tensor1d(Int32Array.from(ordered), 'int32');
    return {
      layer: layer.name,
      keptRows,
      keptCols,
      kernel,
      bias,
      macs: macs(1),
      apply: (input) =>
        tf.tidy(() => {
          const x = input.rank > 2 ? tf.reshape(input, [input.shape[0], -1]) : input;
          const y = tf.matMul(tf.gather(x, columns, 1) as tf.Tensor2D, kernel);
          return bias ? tf.add(y, bias) : y;
        }),
      dispose: () => tf.dispose([kernel, ...(bias ? [bias] : []), columns]),
    };
  }
  const config = layer.getConfig() as { kernelSize?: number | number[]; strides?: number | number[]; padding?: string; dilationRate?: number | number[] };
  const spec: ConvSpec = {
    kernelSize: pair(config.kernelSize, 1),
    strides: pair(config.strides, 1),
    padding: config.padding === 'same' ? 'same' : 'valid',
    dilationRate: pair(config.dilationRate, 1),
  };
  const [, inH, inW] = (layer.input as tf.SymbolicTensor).shape as number[];
  const [ho, wo] = (layer.outputShape as number[]).slice(1, 3);
  const [sh, sw] = spec.strides;
  const [dh, dw] = spec.dilationRate;
  // TensorFlow's SAME padding: the total is split with the extra pixel at the end.
  const padH = spec.padding === 'same' ? Math.max(0, (ho - 1) * sh + (spec.kernelSize[0] - 1) * dh + 1 - inH) : 0;
  const padW = spec.padding === 'same' ? Math.max(0, (wo - 1) * sw + (spec.kernelSize[1] - 1) * dw + 1 - inW) : 0;
  const [ph, pw] = [inH + padH, inW + padW];
  // im2col as one gather: for output position p and kept column q = (y·k_w + x)·C_in + c,
  // the flat index of input pixel (oy·s_h + y·d_h, ox·s_w + x·d_w), channel c.
  const index = new Int32Array(ho * wo * ordered.length);
  let n = 0;
  for (let oy = 0; oy < ho; oy++) {
    for (let ox = 0; ox < wo; ox++) {
      for (const q of ordered) {
        const t = Math.floor(q / inputs);
        const y = Math.floor(t / spec.kernelSize[1]);
        const x = t % spec.kernelSize[1];
        index[n++] = ((oy * sh + y * dh) * pw + (ox * sw + x * dw)) * inputs + (q % inputs);
      }
    }
  }
  const gatherIndex = tf.tensor1d(index, 'int32');
  return {
    layer: layer.name,
    keptRows,
    keptCols,
    kernel,
    bias,
    macs: macs(ho * wo),
    apply: (input) =>
      tf.tidy(() => {
        let x = input as tf.Tensor4D;
        if (padH > 0 || padW > 0) x = tf.pad(x, [[0, 0], [Math.floor(padH / 2), padH - Math.floor(padH / 2)], [Math.floor(padW / 2), padW - Math.floor(padW / 2)], [0, 0]]);
        const batch = x.shape[0];
        const columns = tf.gather(tf.reshape(x, [batch, ph * pw * inputs]), gatherIndex, 1);
        const y = tf.matMul(tf.reshape(columns, [batch * ho * wo, ordered.length]) as tf.Tensor2D, kernel);
        return tf.reshape(bias ? tf.add(y, bias) : y, [batch, ho, wo, keptRows.length]);
      }),
    dispose: () => tf.dispose([kernel, ...(bias ? [bias] : []), gatherIndex]),
  };
}

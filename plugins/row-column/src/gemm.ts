import { PrunableWeight, prunableWeights, tf } from '@nncompress/core';
import { layerKinds, matchLayerNames } from '@nncompress/core/graph';

/** The GEMM layout of a layer class's kernel (Conv2D and Dense kinds), if it has one; rows are output channels. */
const gemmKernel = (layerClass: string): 'conv2d' | 'dense' | undefined => {
  const linear = layerKinds.get(layerClass)?.linearKernel;
  return linear === 'conv2d' || linear === 'dense' ? linear : undefined;
};

/**
 * A kernel seen as its im2col GEMM matrix. tfjs stores a Conv2D kernel as
 * [k_h, k_w, C_in, C_out] and a Dense kernel as [inputs, units]; in both the output
 * channel is the fastest-moving index, so entry (row o, column q) of the
 * [C_out × k_h·k_w·C_in] matrix is flat element q·rows + o. Column q is
 * (y·k_w + x)·C_in + c: kernel position (y, x) of input channel c.
 */
export interface GemmView {
  readonly weight: PrunableWeight;
  readonly layerClass: string;
  /** How the kernel is laid out: [k_h, k_w, C_in, C_out] or [inputs, units]. */
  readonly kernel: 'conv2d' | 'dense';
  readonly rows: number;
  readonly cols: number;
  /** The layer produces a model output: its rows are classes and are never removed. */
  readonly isOutput: boolean;
}

/**
 * The GEMM views of a model's Conv2D and Dense kernels, minus `exclude` (names or `*`
 * patterns). A pattern in `only` that names a layer without a GEMM view is an error naming
 * the layer and its class.
 */
export function gemmViews(model: tf.LayersModel, options: { only?: readonly string[]; exclude?: readonly string[] } = {}): GemmView[] {
  const names = model.layers.map((l) => l.name);
  const excluded = matchLayerNames(options.exclude ?? [], names, 'exclude');
  const only = options.only && options.only.length > 0 ? matchLayerNames(options.only, names, 'layers') : undefined;
  if (only) {
    for (const name of only) {
      const cls = model.getLayer(name).getClassName();
      if (!gemmKernel(cls)) throw new Error(`layers: layer "${name}" is ${cls}, which has no GEMM view (row-column pruning acts on Conv2D and Dense)`);
    }
  }
  // Sequential models report their inner model's layers as outputLayers; the output tensors name the real ones.
  const outputs = new Set(model.outputs.map((t) => t.sourceLayer.name));
  const views: GemmView[] = [];
  for (const weight of prunableWeights(model)) {
    const layer = model.getLayer(weight.layerName);
    const layerClass = layer.getClassName();
    const kernel = gemmKernel(layerClass);
    if (!kernel || excluded.has(weight.layerName) || (only && !only.has(weight.layerName))) continue;
    const rows = weight.shape[weight.shape.length - 1];
    views.push({ weight, layerClass, kernel, rows, cols: weight.size / rows, isOutput: outputs.has(weight.layerName) });
  }
  return views;
}

/** Per-entry values of a kernel (flat, tfjs layout) rearranged as the row-major GEMM matrix. */
export function toGemm(view: GemmView, flat: ArrayLike<number>): Float64Array {
  const { rows, cols } = view;
  const out = new Float64Array(rows * cols);
  for (let q = 0; q < cols; q++) for (let o = 0; o < rows; o++) out[o * cols + q] = flat[q * rows + o];
  return out;
}

/** The kernel mask (flat, tfjs layout) keeping exactly kept rows × kept columns. */
export function gemmMask(view: GemmView, keptRows: readonly number[], keptCols: readonly number[]): Uint8Array {
  const mask = new Uint8Array(view.rows * view.cols);
  for (const q of keptCols) for (const o of keptRows) mask[q * view.rows + o] = 1;
  return mask;
}

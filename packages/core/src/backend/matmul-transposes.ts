/**
 * Matrix products with a transposed operand, on backends whose kernel runs them far slower
 * than a plain product (wasm: `matMul(a, dy, true, false)` for [64,800]ᵀ·[64,500] takes
 * 28 ms, an explicit transpose and a plain product 4.5 ms; docs/performance.md). Every
 * dense layer's backward pass multiplies with a transposed operand (dW = xᵀ·dy,
 * dx = dy·Wᵀ), so training spent most of its dense-layer time there.
 *
 * The replacement transposes the flagged operand's last two axes with the backend's own
 * Transpose kernel and calls the original kernel with the flags cleared. The products are the
 * same; the order of the additions inside them may differ, so results agree with the
 * original to float32 rounding, not bit for bit.
 */
import * as tf from '@tensorflow/tfjs';
import { KernelArgs, replaceKernel, TensorInfo } from './kernel-utils';

function transposeLastTwo(x: TensorInfo, backend: tf.KernelBackend): TensorInfo {
  const rank = x.shape.length;
  const perm = Array.from({ length: rank }, (_, i) => i);
  [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1], perm[rank - 2]];
  const transpose = tf.getKernel('Transpose', tf.getBackend());
  if (!transpose) throw new Error(`the ${tf.getBackend()} backend has no Transpose kernel`);
  return transpose.kernelFunc({ inputs: { x }, backend, attrs: { perm } }) as TensorInfo;
}

const withPlainOperands =
  (original: tf.KernelFunc) =>
  ({ inputs, backend, attrs }: KernelArgs): TensorInfo | TensorInfo[] => {
    const flags = attrs as { transposeA?: boolean; transposeB?: boolean };
    if (!flags.transposeA && !flags.transposeB) return original({ inputs, backend, attrs }) as TensorInfo;
    const temps: TensorInfo[] = [];
    const plain = (t: TensorInfo, transposed: boolean | undefined): TensorInfo => {
      if (!transposed) return t;
      const out = transposeLastTwo(t, backend);
      temps.push(out);
      return out;
    };
    try {
      const a = plain(inputs.a as TensorInfo, flags.transposeA);
      const b = plain(inputs.b as TensorInfo, flags.transposeB);
      return original({ inputs: { ...inputs, a, b }, backend, attrs: { ...attrs, transposeA: false, transposeB: false } }) as TensorInfo;
    } finally {
      for (const t of temps) backend.disposeData(t.dataId);
    }
  };

/** Replaces `backendName`'s BatchMatMul and _FusedMatMul so a transposed operand is transposed explicitly first. */
export function registerPlainOperandMatMul(backendName: string): boolean {
  const a = replaceKernel('BatchMatMul', backendName, withPlainOperands);
  const b = replaceKernel('_FusedMatMul', backendName, withPlainOperands);
  return a && b;
}

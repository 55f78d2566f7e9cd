/** Helpers for kernels composed from other kernels of the active backend (no engine tensors). */
import * as tf from '@tensorflow/tfjs';

export type TensorInfo = tf.TensorInfo;
export type Pad = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
export type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs?: tf.NamedAttrMap };

/**
 * The part of the wasm backend's class that kernels written in JavaScript use: public
 * methods of BackendWasm that allocate an output and view a tensor's values in the
 * backend's own memory, without copies.
 */
export interface HeapBackend {
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): tf.TypedArray;
}

export function pair(v: number | [number, number]): [number, number] {
  return typeof v === 'number' ? [v, v] : v;
}

/** [before, after] padding of H and W that a forward convolution applied. */
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

/**
 * Runs kernels of the active backend and frees every intermediate result when done, so a
 * composed kernel leaves exactly one new tensor behind: the one it returns.
 */
export class KernelScope {
  private readonly temps: TensorInfo[] = [];

  constructor(private readonly backend: tf.KernelBackend) {}

  run(name: string, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap): TensorInfo {
    const kernel = tf.getKernel(name, tf.getBackend());
    if (!kernel) throw new Error(`this kernel needs ${name} on the ${tf.getBackend()} backend`);
    const out = kernel.kernelFunc({ inputs, backend: this.backend, attrs }) as TensorInfo;
    this.temps.push(out);
    return out;
  }

  /**
   * Frees all intermediates except `result`, and returns it. Compares objects, not data ids:
   * a Reshape result shares its input's data id and holds its own reference to it, so the
   * input's reference must still be released.
   */
  finish(result: TensorInfo): TensorInfo {
    for (const t of this.temps) if (t !== result) this.backend.disposeData(t.dataId);
    return result;
  }

  /** Frees all intermediates (after a failure). */
  abandon(): void {
    for (const t of this.temps) this.backend.disposeData(t.dataId);
  }
}

/** Runs `body` in a KernelScope, freeing intermediates on success and on failure. */
export function composed(backend: tf.KernelBackend, body: (k: KernelScope) => TensorInfo): TensorInfo {
  const scope = new KernelScope(backend);
  try {
    return scope.finish(body(scope));
  } catch (err) {
    scope.abandon();
    throw err;
  }
}

/** Registers `kernelFunc` for `backendName` unless that backend already has the kernel. */
export function registerIfMissing(kernelName: string, backendName: string, kernelFunc: (args: KernelArgs) => TensorInfo): boolean {
  if (tf.getKernel(kernelName, backendName)) return false;
  tf.registerKernel({ kernelName, backendName, kernelFunc: kernelFunc as unknown as tf.KernelFunc });
  return true;
}

const REPLACED = Symbol.for('nncompress.replacedKernel');

/**
 * Replaces `backendName`'s `kernelName` with `make(original)`, which may call the original
 * (e.g. for the cases it does not improve). Idempotent: a kernel already replaced stays as is.
 * Returns false when the backend has no such kernel.
 */
export function replaceKernel(kernelName: string, backendName: string, make: (original: tf.KernelFunc) => (args: KernelArgs) => TensorInfo | TensorInfo[]): boolean {
  const existing = tf.getKernel(kernelName, backendName);
  if (!existing) return false;
  if ((existing.kernelFunc as unknown as Record<symbol, boolean>)[REPLACED]) return true;
  const kernelFunc = make(existing.kernelFunc) as unknown as tf.KernelFunc;
  Object.defineProperty(kernelFunc, REPLACED, { value: true });
  tf.unregisterKernel(kernelName, backendName);
  tf.registerKernel({ ...existing, kernelFunc });
  return true;
}

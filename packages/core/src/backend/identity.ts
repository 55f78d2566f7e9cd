/**
 * Identity for the wasm backend that shares its input's data instead of copying it.
 *
 * Why: tfjs clones every tensor a gradient saves from the forward pass, and the wasm backend's
 * Identity copies the values each time (519 calls, 46 ms of a 649 ms MobileNetV2 training step
 * at 96×96; docs/performance.md). Tensors are immutable and the backend counts references
 * to shared data (its Reshape already shares), so a clone can share the data as the cpu
 * backend's does. Sharing also keeps a saved filter's data the variable's own, which is how
 * `withoutInputGradients` recognises it. Strings keep the backend's own kernel.
 */
import * as tf from '@tensorflow/tfjs';
import { KernelArgs, replaceKernel, TensorInfo } from './kernel-utils';

const sharingIdentity =
  (original: tf.KernelFunc) =>
  (args: KernelArgs): TensorInfo => {
    const { x } = args.inputs as { x: TensorInfo };
    if (x.dtype === 'string') return original(args) as TensorInfo;
    args.backend.incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };

/** Replaces `backendName`'s Identity by one that shares data (strings excepted). */
export function registerSharingIdentity(backendName: string): boolean {
  return replaceKernel('Identity', backendName, sharingIdentity);
}

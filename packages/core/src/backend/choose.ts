/**
 * Picks the fastest backend that works on this machine: tfjs-node (optional; its native part
 * is often missing, and requiring it then throws), then wasm (given the Conv2DBackpropFilter
 * and depthwise backprop kernels it lacks, so convnets and MobileNets train), then the pure-JS
 * cpu backend.
 */
import * as tf from '@tensorflow/tfjs';
import { registerConv2DBackpropFilter } from './conv2d-backprop-filter';
import { registerDepthwiseBackprop } from './depthwise-backprop';
import { registerForwardConvBackpropInput } from './conv2d-backprop-input';
import { registerSharingIdentity } from './identity';
import { registerPlainOperandMatMul } from './matmul-transposes';
import { registerMaxPoolGrad } from './max-pool-grad';
import { registerTile } from './tile';

export type BackendName = 'tensorflow' | 'wasm' | 'cpu';
export type BackendPreference = BackendName | 'auto';

export interface BackendInfo {
  /** The tfjs backend name in use. */
  readonly name: BackendName;
  /** Why it was chosen and what was skipped, for the log and the report. */
  readonly notes: readonly string[];
}

let active: BackendInfo | undefined;

function tryRequire(id: string): string | undefined {
  try {
    require(id);
    return undefined;
  } catch (err) {
    return (err as Error).message.split('\n')[0];
  }
}

async function trySet(name: BackendName): Promise<boolean> {
  try {
    return (await tf.setBackend(name)) && tf.getBackend() === name;
  } catch {
    return false;
  }
}

/**
 * Initialises a backend once per process. `preference` may also come from the
 * NNCOMPRESS_BACKEND environment variable (the explicit argument wins).
 */
export async function chooseBackend(preference: BackendPreference = 'auto'): Promise<BackendInfo> {
  const wanted = preference !== 'auto' ? preference : ((process.env.NNCOMPRESS_BACKEND as BackendPreference | undefined) ?? 'auto');
  if (active && (wanted === 'auto' || wanted === active.name)) return active;
  const order: BackendName[] = wanted === 'auto' ? ['tensorflow', 'wasm', 'cpu'] : [wanted];
  const notes: string[] = [];
  for (const name of order) {
    if (name === 'tensorflow') {
      const failure = tryRequire('@tensorflow/tfjs-node');
      if (failure) {
        notes.push(`tfjs-node unavailable (${failure})`);
        continue;
      }
    }
    if (name === 'wasm') {
      const failure = tryRequire('@tensorflow/tfjs-backend-wasm');
      if (failure) {
        notes.push(`wasm backend unavailable (${failure})`);
        continue;
      }
      registerConv2DBackpropFilter('wasm');
      registerDepthwiseBackprop('wasm');
      // The backend's own sends an all-negative window's gradient to the wrong cell.
      registerMaxPoolGrad('wasm');
      // Faster paths for what training spends most of its time in (docs/performance.md).
      registerForwardConvBackpropInput('wasm');
      registerPlainOperandMatMul('wasm');
      registerTile('wasm');
      registerSharingIdentity('wasm');
    }
    if (await trySet(name)) {
      await tf.ready();
      active = { name, notes };
      return active;
    }
    notes.push(`${name} backend failed to initialise`);
  }
  throw new Error(`no usable TensorFlow.js backend (${notes.join('; ')})`);
}

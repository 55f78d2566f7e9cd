/**
 * A worker thread of `nncompress sensitivity`: loads the backend, the model and the test
 * data once, then answers one layer at a time.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { BackendPreference, chooseBackend, DatasetRegistry, DataSpec, LayerSensitivity, layerSensitivity, loadConfiguredModel, ModelModuleRef } from '@nncompress/core';

export interface SensitivityWorkerData {
  /** The config's `model`, and the config's folder it is relative to. */
  readonly model: string | ModelModuleRef;
  readonly configDir: string;
  readonly data: DataSpec;
  readonly sparsities: readonly number[];
  readonly examples?: number;
  readonly backend: BackendPreference;
}

export interface SensitivityJob {
  readonly layer: string;
}

export type SensitivityReply = { readonly ok: true; readonly result: LayerSensitivity } | { readonly ok: false; readonly error: string };

async function serve(): Promise<void> {
  const config = workerData as SensitivityWorkerData;
  const port = parentPort;
  if (!port) return;
  try {
    await chooseBackend(config.backend);
    const model = await loadConfiguredModel(config.model, config.configDir);
    const test = new DatasetRegistry().load(config.data).test.take(config.examples);
    port.on('message', (job: SensitivityJob) => {
      try {
        const reply: SensitivityReply = { ok: true, result: layerSensitivity(model, job.layer, config.sparsities, test) };
        port.postMessage(reply);
      } catch (err) {
        port.postMessage({ ok: false, error: (err as Error).message } satisfies SensitivityReply);
      }
    });
  } catch (err) {
    // A failure before the first job is answered on the first message.
    port.on('message', () => port.postMessage({ ok: false, error: (err as Error).message } satisfies SensitivityReply));
  }
}

void serve();

/**
 * A worker thread of `nncompress sensitivity`: loads the backend, the model and the test
 * data once, then answers one layer at a time.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { chooseBackend, loadConfig } from '@nncompress/core';
import { loadConfiguredModel } from '@nncompress/core/model';
import { LayerSensitivity, layerSensitivity } from '@nncompress/core/training';
import { modelInputShape, loadConfiguredData } from '@nncompress/core/data';
import { BackendPreference, configuredTask } from '@nncompress/core/internal';

export interface SensitivityWorkerData {
  /** The config file: the worker reads its model and data (with the sources of its plugins) as the command did. */
  readonly configFile: string;
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
    const loaded = loadConfig(config.configFile);
    const model = await loadConfiguredModel(loaded.config.model, loaded.dir);
    const test = (await loadConfiguredData(loaded, { task: configuredTask(loaded, model), inputShape: modelInputShape(model) })).test.take(config.examples);
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

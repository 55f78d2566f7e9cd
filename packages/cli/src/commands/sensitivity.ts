/**
 * `nncompress sensitivity <config>`: prunes each layer of the config's model alone, by
 * magnitude, at several sparsities, measures test accuracy (no fine-tuning), plots accuracy
 * against sparsity per layer, and with `--target` writes the per-layer sparsity map that
 * reaches that model-wide sparsity at the least predicted accuracy loss. Layers run in
 * parallel on worker threads (each loads the model and data once).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { chooseBackend, InputError, loadConfig, prunableWeights } from '@nncompress/core';
import { loadConfiguredModel } from '@nncompress/core/model';
import { dataMismatchReason, formatMetric, metricLabel, MetricName, LayerSensitivity, MEASURABLE_TASKS, sensitivityMap, SensitivityMap, unmeasurableReason } from '@nncompress/core/training';
import { modelInputShape, loadConfiguredData } from '@nncompress/core/data';
import { lineChart } from '@nncompress/core/report';
import { configuredTask, writeFileAtomic } from '@nncompress/core/internal';
import { formatTable, pct } from '../table';
import type { SensitivityJob, SensitivityReply, SensitivityWorkerData } from '../sensitivity-worker';

export interface SensitivityOptions {
  readonly out?: string;
  readonly sparsities: readonly number[];
  readonly layers?: readonly string[];
  readonly workers: number;
  readonly examples?: number;
  readonly target?: number;
}

/** The task's metric against sparsity, one line per layer, as a standalone SVG. */
export function sensitivitySvg(curves: readonly LayerSensitivity[], title: string, metric: MetricName = 'accuracy'): string {
  const values = curves.flatMap((c) => c.points.map((p) => p.metric));
  const accuracy = metric === 'accuracy' || metric === 'binaryAccuracy';
  // Accuracies from a tenth below the lowest up to 1; errors from 0 to a little above the highest.
  const [lo, hi] = accuracy ? [Math.max(0, Math.floor(Math.min(...values) * 10) / 10), 1] : [0, 1.1 * Math.max(...values) || 1];
  const svg = lineChart({
    title,
    series: curves.map((c) => ({ label: c.layer, points: [...c.points].sort((a, b) => a.sparsity - b.sparsity).map((p) => ({ x: p.sparsity, y: p.metric })) })),
    xRange: [0, 1],
    yRange: [lo, hi],
    xTicks: [0, 0.25, 0.5, 0.75, 1],
    yTicks: [lo, (lo + hi) / 2, hi],
    formatX: String,
    formatY: (y) => formatMetric({ name: metric, value: y }),
    xLabel: 'sparsity of the layer alone',
    legend: true,
    standalone: true,
  });
  return `${svg}\n`;
}

/** Runs `layers` on up to `n` worker threads; resolves with the curves in layer order. */
function runWorkers(workerData: SensitivityWorkerData, layers: readonly string[], n: number): Promise<LayerSensitivity[]> {
  return new Promise((resolve, reject) => {
    const results = new Map<string, LayerSensitivity>();
    const workers: Worker[] = [];
    let next = 0;
    let done = 0;
    let failed = false;
    const stopAll = (): void => {
      for (const w of workers) void w.terminate();
    };
    const feed = (worker: Worker): void => {
      if (next >= layers.length) {
        void worker.terminate();
        return;
      }
      const job: SensitivityJob = { layer: layers[next++] };
      worker.postMessage(job);
    };
    for (let i = 0; i < Math.min(n, layers.length); i++) {
      const worker = new Worker(path.join(__dirname, '..', 'sensitivity-worker.js'), { workerData });
      workers.push(worker);
      worker.on('message', (reply: SensitivityReply) => {
        if (!reply.ok) {
          failed = true;
          stopAll();
          reject(new InputError(reply.error));
          return;
        }
        results.set(reply.result.layer, reply.result);
        done++;
        process.stderr.write(`sensitivity: ${reply.result.layer} done (${done}/${layers.length})\n`);
        // Counted by replies, not by distinct layers: the run ends however the list was made.
        if (done === layers.length) {
          stopAll();
          resolve(layers.map((l) => results.get(l) as LayerSensitivity));
        } else {
          feed(worker);
        }
      });
      worker.on('error', (err) => {
        if (failed) return;
        failed = true;
        stopAll();
        reject(err);
      });
      feed(worker);
    }
  });
}

export async function sensitivityCommand(configFile: string, options: SensitivityOptions): Promise<void> {
  const loaded = loadConfig(configFile);
  const { config, dir, file } = loaded;
  for (const s of options.sparsities) if (!(s > 0 && s < 1)) throw new InputError(`--sparsities: each must be in (0, 1), got ${s}`);
  if (options.target !== undefined && !(options.target > 0 && options.target < 1)) throw new InputError(`--target: must be in (0, 1), got ${options.target}`);
  if (typeof config.model === 'string' && !fs.existsSync(path.resolve(dir, config.model))) throw new InputError(`${file}: model: file not found: ${path.resolve(dir, config.model)}`);
  const out = options.out ?? path.join('nncompress-out', `${path.basename(configFile).replace(/\.[^.]+$/, '')}-sensitivity`);

  // The layer list and sizes, from the model itself.
  await chooseBackend(config.backend ?? 'auto');
  const model = await loadConfiguredModel(config.model, dir);
  const task = configuredTask(loaded, model);
  const data = await loadConfiguredData(loaded, { task, inputShape: modelInputShape(model) });
  const mismatch = dataMismatchReason(model, data.train.featureShape);
  if (mismatch) throw new InputError(`${file}: data (source ${config.data.source}): ${mismatch}`);
  const unmeasurable = unmeasurableReason(model, data.train);
  if (unmeasurable) throw new InputError(`${file}: model: ${unmeasurable}; ${MEASURABLE_TASKS}`);
  const weights = prunableWeights(model);
  const totalKernelSize = weights.reduce((n, w) => n + w.size, 0);
  const known = weights.map((w) => w.layerName);
  for (const [i, l] of (options.layers ?? []).entries()) {
    if (!known.includes(l)) throw new InputError(`--layers: the model has no prunable layer "${l}" (it has ${known.join(', ')})`);
    if (options.layers!.indexOf(l) !== i) throw new InputError(`--layers: "${l}" is listed twice`);
  }
  const layers = options.layers?.length ? [...options.layers] : known;
  model.dispose();

  const sparsities = [...new Set(options.sparsities)].sort((a, b) => a - b);
  const workerData: SensitivityWorkerData = { configFile: file, sparsities, examples: options.examples, backend: config.backend ?? 'auto' };
  const curves = await runWorkers(workerData, layers, Math.max(1, options.workers));

  let map: SensitivityMap | undefined;
  if (options.target !== undefined) {
    try {
      map = sensitivityMap(curves, options.target, totalKernelSize);
    } catch (err) {
      throw new InputError(`--target: ${(err as Error).message}`);
    }
  }
  fs.mkdirSync(out, { recursive: true });
  const label = metricLabel(task.metric);
  const title = `${label[0].toUpperCase()}${label.slice(1)} with one layer pruned (${path.basename(configFile)})`;
  writeFileAtomic(path.join(out, 'sensitivity.json'), `${JSON.stringify({ config: path.basename(configFile), metric: { name: task.metric, higherIsBetter: task.higherIsBetter }, sparsities, totalKernelSize, layers: curves }, null, 2)}\n`);
  writeFileAtomic(path.join(out, 'sensitivity.svg'), sensitivitySvg(curves, title, task.metric));
  if (map) writeFileAtomic(path.join(out, 'sensitivity-map.json'), `${JSON.stringify({ target: options.target, ...map }, null, 2)}\n`);

  const header = ['layer', 'weights', ...sparsities.map((s) => pct(s).replace('.00', ''))];
  const show = (value: number | undefined): string => formatMetric({ name: task.metric, value: value ?? NaN });
  const rows = curves.map((c) => [c.layer, c.size.toLocaleString('en-US'), ...sparsities.map((s) => show(c.points.find((p) => p.sparsity === s)?.metric))]);
  process.stdout.write(`${label} with one layer pruned (baseline ${show(curves[0].points[0].metric)})\n${formatTable(header, rows)}\n`);
  if (map) {
    const mapRows = Object.entries(map.layerSparsity).map(([l, s]) => [l, pct(s)]);
    process.stdout.write(`\nper-layer map for ${pct(options.target as number)} overall (reaches ${pct(map.sparsity)}):\n${formatTable(['layer', 'sparsity'], mapRows)}\n`);
    process.stdout.write(`\nuse it in a config:\n  options: { layerSparsity: ${JSON.stringify(map.layerSparsity).replace(/"/g, '').replace(/,/g, ', ').replace(/:/g, ': ')} }\n`);
  }
  process.stdout.write(`\nwrote ${path.resolve(out)}/{sensitivity.json,sensitivity.svg${map ? ',sensitivity-map.json' : ''}}\n`);
}

/** report.json's content, put together from what a run measured. */
import * as path from 'node:path';
import type { PipelineConfig } from '../config/types';
import { VERSION } from '../jobs/job';
import { DEFAULT_DATA_SEED } from '../datasets/registry';
import type { Latency } from '../model/latency';
import type { ModelStats } from '../model/model-stats';
import type { RunContext } from '../pipeline/types';
import type { Evaluation } from '../training/evaluate';
import { layerRows, Report, ReportStage, ReportStructure, ReportWorkers } from './report';

export interface RunMeasurements {
  /** The config file (its base name goes into the report). */
  readonly configFile: string;
  readonly config: PipelineConfig;
  readonly run: RunContext;
  readonly durationMs: number;
  readonly plugins: readonly { readonly instanceName: string; readonly id: string }[];
  readonly workers: ReportWorkers;
  readonly structure: ReportStructure;
  readonly baseline: { readonly evaluation: Evaluation; readonly stats: ModelStats; readonly bytesFloat32: number; readonly latencyMs?: Latency };
  /** The final model as a user gets it: `evaluation` is the decoded model's when an encoder wrote a file. */
  readonly final: { readonly evaluation: Evaluation; readonly stats: ModelStats; readonly encodedBytes: number; readonly encodedAs: string; readonly latencyMs?: Latency };
  readonly stages: readonly ReportStage[];
  readonly encoding?: Report['encoding'];
  readonly goal?: Report['goal'];
}

/** The keys of report.json, from a run's measurements (the interfaces in report.ts say what each one means). */
export function assembleReport(m: RunMeasurements): Report {
  const { config, run, baseline, final } = m;
  const accuracy = (e: Evaluation): { accuracy?: number } => (e.accuracy !== undefined ? { accuracy: e.accuracy } : {});
  return {
    tool: { name: '@nncompress/core', version: VERSION },
    config: path.basename(m.configFile),
    model: typeof config.model === 'string' ? config.model : `${config.model.module}${config.model.export ? `#${config.model.export}` : ''}`,
    backend: run.backend,
    seed: run.seed,
    workers: m.workers,
    task: { kind: run.task.kind, loss: run.task.loss, metric: run.task.metric, higherIsBetter: run.task.higherIsBetter },
    data: {
      source: config.data.source,
      seed: config.data.seed ?? DEFAULT_DATA_SEED,
      trainExamples: run.data.train.size,
      testExamples: run.data.test.size,
      ...(run.data.heldOut !== undefined ? { heldOut: true } : {}),
      ...(run.task.targets === 'targets' ? { targets: run.data.train.targetWidth } : { classes: run.data.train.numClasses }),
      ...(run.data.classNames ? { classNames: [...run.data.classNames] } : {}),
    },
    durationMs: m.durationMs,
    plugins: m.plugins.map((p) => ({ instance: p.instanceName, id: p.id })),
    structure: m.structure,
    baseline: {
      metric: baseline.evaluation.metric,
      ...accuracy(baseline.evaluation),
      loss: baseline.evaluation.loss,
      params: baseline.stats.params,
      nonzeroParams: baseline.stats.nonzeroParams,
      flops: baseline.stats.flops,
      bytesFloat32: baseline.bytesFloat32,
      ...(baseline.latencyMs ? { latencyMs: baseline.latencyMs } : {}),
    },
    final: {
      metric: final.evaluation.metric,
      ...accuracy(final.evaluation),
      loss: final.evaluation.loss,
      params: final.stats.params,
      nonzeroParams: final.stats.nonzeroParams,
      flops: final.stats.flops,
      sparsity: final.stats.sparsity,
      encodedBytes: final.encodedBytes,
      encodedAs: final.encodedAs,
      compressionRatio: baseline.bytesFloat32 / final.encodedBytes,
      ...(final.latencyMs ? { latencyMs: final.latencyMs } : {}),
    },
    stages: [...m.stages],
    layers: layerRows(baseline.stats, final.stats),
    ...(m.encoding ? { encoding: m.encoding } : {}),
    ...(m.goal ? { goal: m.goal } : {}),
  };
}

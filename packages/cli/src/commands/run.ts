import * as path from 'node:path';
import { loadConfig, Pipeline, Report } from '@nncompress/core';
import { formatMetric, metricLabel } from '@nncompress/core/training';
import { ProgressReporter } from '../progress';
import { formatTable, int, pct } from '../table';

export interface RunCommandOptions {
  readonly out?: string;
  readonly seed?: number;
  readonly workers?: number | 'auto';
  readonly verbose?: boolean;
}

export function summaryTable(report: Report): string {
  const b = report.baseline;
  const f = report.final;
  const rows = [
    ['baseline', formatMetric(b.metric), int(b.params), int(b.nonzeroParams), '–', int(b.flops), int(b.bytesFloat32), '1.00x', '–'],
    ...report.stages.map((s) => [s.name, formatMetric(s.metricAfter), int(s.params), '–', pct(s.sparsity), int(s.flops), '–', '–', `${(s.durationMs / 1000).toFixed(1)} s`]),
    ['final', formatMetric(f.metric), int(f.params), int(f.nonzeroParams), pct(f.sparsity), int(f.flops), int(f.encodedBytes), `${f.compressionRatio.toFixed(2)}x`, `${(report.durationMs / 1000).toFixed(1)} s`],
  ];
  const table = formatTable(['', metricLabel(report.task.metric), 'params', 'non-zero', 'sparsity', 'FLOPs', 'bytes', 'ratio', 'time'], rows);
  if (!b.latencyMs || !f.latencyMs) return table;
  const speedup = (x: number, y: number): string => `${(x / y).toFixed(2)}x`;
  return `${table}\n\nlatency (median): batch 1 ${b.latencyMs.batch1.toFixed(1)} → ${f.latencyMs.batch1.toFixed(1)} ms (${speedup(b.latencyMs.batch1, f.latencyMs.batch1)}), batch 32 ${b.latencyMs.batch32.toFixed(1)} → ${f.latencyMs.batch32.toFixed(1)} ms (${speedup(b.latencyMs.batch32, f.latencyMs.batch32)})`;
}

export async function runCommand(configFile: string, options: RunCommandOptions): Promise<void> {
  const loaded = loadConfig(configFile);
  const outDir = options.out ?? path.join('nncompress-out', path.basename(configFile).replace(/\.[^.]+$/, ''));
  const reporter = new ProgressReporter(process.stderr, options.verbose);
  const pipeline = new Pipeline(loaded, { outDir, seed: options.seed, workers: options.workers, logger: reporter });
  reporter.attach(pipeline.hooks);
  try {
    const report = await pipeline.run();
    reporter.done();
    process.stdout.write(`\n${summaryTable(report)}\n\nbackend ${report.backend}, seed ${report.seed}${report.workers.used > 1 ? `, ${report.workers.used} workers` : ''}; wrote ${path.resolve(outDir)}/{model/,${report.encoding ? `${report.encoding.file},` : ''}report.json,report.html}\n`);
  } finally {
    reporter.done();
  }
}

import * as path from 'node:path';
import { InputError, loadConfig, Pipeline, Report } from '@nncompress/core';
import { runGoal } from '@nncompress/core/jobs';
import { formatMetric, metricLabel } from '@nncompress/core/training';
import { costOf, GoalCosts, resourceColumn, showCost } from '@nncompress/core/report';
import { ProgressReporter } from '../progress';
import { openRunner } from './queue';
import { formatTable, int, pct } from '../table';

export interface RunCommandOptions {
  readonly out?: string;
  readonly seed?: number;
  readonly workers?: number | 'auto';
  /** A Redis address: a goal search's trials go to its queue's workers. */
  readonly queue?: string;
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

/** The goal search's trials, one row each, and the budgets it chose. */
export function goalTable(report: Report): string {
  const g = report.goal!;
  // With cheaper trials, the estimate for the full settings is what the goal was checked against.
  const estimated = g.fullStart !== undefined;
  const cost = (t: GoalCosts): string => showCost(costOf(t, g.resource), g.resource);
  const rows = g.trials.map((t, i) => [String(t.step), t.change, cost(t), formatMetric({ name: report.task.metric, value: t.metric }), t.drop.toFixed(4), ...(estimated ? [t.estimatedDrop.toFixed(4), t.full !== undefined ? t.full.drop.toFixed(4) : ''] : []), i === g.chosen ? 'chosen' : t.accepted ? 'kept' : '']);
  const chosen = g.trials[g.chosen];
  const missed = (g.missed ?? []).map((m) => `the run with ${g.trials[m.trial].change} (round ${g.trials[m.trial].step}, ${int(m.bytes)} B) lost ${m.testDrop.toFixed(4)} on the test split; `).join('');
  const budgets = Object.entries(chosen.layerValues).map(([layer, v]) => `${layer} ${pct(v)}`).join(', ');
  const aim = g.metricDrop !== undefined ? `the smallest ${g.resource === 'bytes' ? 'file' : g.resource} losing at most ${g.metricDrop}` : `the best ${metricLabel(report.task.metric)} with ${g.resource} at most ${showCost(g.limit!, g.resource)}`;
  const header = ['round', 'change', resourceColumn(g.resource), metricLabel(report.task.metric), 'drop', ...(estimated ? ['full settings (est.)', 'full settings (run)'] : []), ''];
  return `goal search: ${aim} (${g.trials.length} trials on the ${g.measuredOn}, ${int(g.examples)} examples, ${(g.durationMs / 1000).toFixed(0)} s; stopped: ${g.stopped})\n${formatTable(header, rows)}\n${missed}chosen: ${budgets ? `${g.searched === 'sparsity' ? 'sparsity' : 'filter ratio'} ${budgets}` : 'the config as written'}${chosen.relativeError !== undefined ? `, error bound ${chosen.relativeError}` : ''}; on the test split the final run loses ${g.testDrop.toFixed(4)}`;
}

function runPipeline(pipeline: Pipeline, reporter: ProgressReporter): Promise<Report> {
  reporter.attach(pipeline.hooks);
  return pipeline.run();
}

export async function runCommand(configFile: string, options: RunCommandOptions): Promise<void> {
  const loaded = loadConfig(configFile);
  const outDir = options.out ?? path.join('nncompress-out', path.basename(configFile).replace(/\.[^.]+$/, ''));
  const reporter = new ProgressReporter(process.stderr, options.verbose);
  const run = { outDir, seed: options.seed, workers: options.workers };
  try {
    if (options.queue !== undefined && !loaded.config.goal) throw new InputError(`--queue: ${configFile} has no goal; only a goal search's trials go to a queue (a sweep's configurations too: nncompress sweep --queue)`);
    const queue = await openRunner(options.queue);
    // A goal: search the budgets first (trials on every core, or the queue's workers), then run the config with the best.
    const report = loaded.config.goal
      ? await runGoal(loaded, {
          ...run,
          ...(queue.runner ? { runner: queue.runner } : {}),
          logger: reporter,
          observe: (p) => reporter.attach(p.hooks),
          onEvent: (e) => {
            if (e.kind === 'done') reporter.info(`goal: trial ${e.label}: done in ${(e.ms / 1000).toFixed(1)} s (${e.done}/${e.total} of its round)`);
            else if (e.kind === 'retry') reporter.warn(`goal: trial ${e.label}: ${e.reason}; running it again (run ${e.attempt})`);
          },
        }).finally(() => queue.close())
      : await runPipeline(new Pipeline(loaded, { ...run, logger: reporter }), reporter);
    reporter.done();
    if (report.goal) process.stdout.write(`\n${goalTable(report)}\n`);
    process.stdout.write(`\n${summaryTable(report)}\n\nbackend ${report.backend}, seed ${report.seed}${report.workers.used > 1 ? `, ${report.workers.used} workers` : ''}; wrote ${path.resolve(outDir)}/{model/,${report.encoding ? `${report.encoding.file},` : ''}report.json,report.html}\n`);
  } finally {
    reporter.done();
  }
}

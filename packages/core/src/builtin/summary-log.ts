/**
 * Built-in plugin: the run's story in the log, one line per milestone: the baseline
 * (`evaluate`), each stage's metric before and after (`afterStage`) and the final result
 * (`afterRun`). The CLI prints the summary table on stdout as the command's result; these
 * lines are what a library user or a log file sees.
 */
import { modelStats } from '../model/model-stats';
import type { PluginObject } from '../plugins/plugin';
import { formatMetric, metricLabel } from '../training/task';

export const SUMMARY_LOG = 'nncompress:summary-log';

export const summaryLogPlugin: PluginObject = {
  id: SUMMARY_LOG,
  apply(hooks, _options, ctx) {
    hooks.evaluate.tapPromise(SUMMARY_LOG, async (evaluation, run) => {
      if (evaluation.label !== 'baseline') return;
      ctx.logger.info(`baseline: ${metricLabel(evaluation.metric.name)} ${formatMetric(evaluation.metric)} on ${evaluation.examples} test examples (${run.task.kind}), ${modelStats(run.state.model).params} params`);
    });
    hooks.afterStage.tapPromise(SUMMARY_LOG, async (_stage, row) => {
      ctx.logger.info(`stage ${row.name}: ${metricLabel(row.metricAfter.name)} ${formatMetric(row.metricBefore)} → ${formatMetric(row.metricAfter)}, sparsity ${(100 * row.sparsity).toFixed(2)}%`);
    });
    hooks.afterRun.tapPromise(SUMMARY_LOG, async (_run, { report }) => {
      const f = report.final;
      ctx.logger.info(`final: ${metricLabel(f.metric.name)} ${formatMetric(f.metric)}, ${f.params} params, ${f.encodedBytes} bytes (${f.compressionRatio.toFixed(2)}x smaller than float32) in ${(report.durationMs / 1000).toFixed(1)} s`);
    });
  },
};

/**
 * Built-in plugin: writes report.json and report.html into the run's output folder once the
 * run is done (`afterRun`, late, after every configured plugin's tap), from the report core
 * assembled. A built-in, applied to every run before the configured plugins, so the report
 * is one more tap on a lifecycle hook rather than a step of the pipeline.
 */
import { TapStage } from '../pipeline/hooks';
import type { TargetKindRegistry } from '../pipeline/targets';
import type { PluginObject } from '../plugins/plugin';
import { renderHtml } from '../report/html';

export const REPORT_FILES = 'nncompress:report-files';

/** The report writer of a run whose stage targets `kinds` formats (core's and the configured plugins'). */
export function reportFilesPlugin(kinds: Pick<TargetKindRegistry, 'get'>): PluginObject {
  return {
    id: REPORT_FILES,
    apply(hooks, _options, ctx) {
      hooks.afterRun.tapPromise({ name: REPORT_FILES, stage: TapStage.LATE }, async (_run, { report }) => {
        ctx.emitFile('report.json', `${JSON.stringify(report, null, 2)}\n`);
        ctx.emitFile('report.html', renderHtml(report, kinds));
      });
    },
  };
}

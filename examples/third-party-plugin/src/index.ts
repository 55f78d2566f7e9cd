/**
 * nncompress-plugin-stage-csv: an example third-party plugin. It lives outside the
 * monorepo's plugins/ folder, depends only on @nncompress/core and @nncompress/format,
 * writes one CSV row per stage (accuracy, sparsity, params, FLOPs, time) into the run's
 * output folder, and adds a codec, bfloat16, that a config's `encode` section can name, a
 * dataset source, digit-pairs, that `data.source` can name, and a channel importance measure,
 * geometric-median, that filter-pruning's `criterion` can name.
 */
import { definePlugin, JsonSchema, OptionsOf, ReportStage } from '@nncompress/core';
import { bfloat16Codec } from './bfloat16-codec';
import { digitPairsSource } from './digit-pairs-source';
import { geometricMedian } from './geometric-median';

export { bfloat16Codec, fromBfloat16, toBfloat16 } from './bfloat16-codec';
export { digitPairsSource } from './digit-pairs-source';
export { geometricMedian } from './geometric-median';
export { weightsRemoved } from './weight-budget';

/** The codecs this package adds (read by `nncompress encode/decode/inspect` in a project that depends on it). */
export const codecs = [bfloat16Codec];

export const stageCsvOptionsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    fileName: { type: 'string', pattern: '^[\\w.-]+\\.csv$', default: 'stages.csv', description: 'CSV file name in the output folder.' },
    decimals: { type: 'integer', minimum: 0, maximum: 12, default: 4, description: 'Digits after the decimal point for accuracies and sparsity.' },
  },
} as const satisfies JsonSchema;

/** The options as `apply` receives them, derived from the schema. */
export type StageCsvOptions = OptionsOf<typeof stageCsvOptionsSchema>;

const COLUMNS = ['stage', 'plugins', 'metric', 'metricBefore', 'metricAfter', 'sparsity', 'params', 'flops', 'durationMs'] as const;

/** Quotes a CSV field when it holds a comma, quote or newline (RFC 4180). */
function field(value: string): string {
  return /[",\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

export function stageRow(stage: ReportStage, decimals: number): string {
  const f = (x: number): string => x.toFixed(decimals);
  return [field(stage.name), field(stage.plugin), stage.metricAfter.name, f(stage.metricBefore.value), f(stage.metricAfter.value), f(stage.sparsity), String(stage.params), String(stage.flops), String(stage.durationMs)].join(',');
}

const stageCsvPlugin = definePlugin<StageCsvOptions>({
  id: 'nncompress-plugin-stage-csv',
  optionsSchema: stageCsvOptionsSchema,
  codecs,
  datasetSources: [digitPairsSource],
  importanceMeasures: [geometricMedian],
  apply(hooks, options, ctx) {
    const rows: string[] = [COLUMNS.join(',')];
    hooks.afterStage.tap('StageCsvPlugin', (_stage, result) => {
      rows.push(stageRow(result, options.decimals));
    });
    hooks.afterRun.tap('StageCsvPlugin', () => {
      ctx.emitFile(options.fileName, `${rows.join('\n')}\n`);
      ctx.logger.debug(`wrote ${rows.length - 1} stage rows to ${options.fileName}`);
    });
  },
});

export default stageCsvPlugin;

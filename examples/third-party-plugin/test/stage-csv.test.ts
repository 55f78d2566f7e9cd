import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chooseBackend, createHooks, importanceMeasures, loadConfig, Pipeline, ReportStage, Rng, silentLogger, StageContext } from '@nncompress/core';
import { DatasetRegistry } from '@nncompress/core/data';
import { validateAgainst } from '@nncompress/core/internal';
import plugin, { stageCsvOptionsSchema, stageRow, StageCsvOptions } from '../src';

const stage = (name: string, accuracyAfter: number): ReportStage => ({
  name,
  plugin: 'a+b',
  target: {},
  selectedBy: {},
  reached: {},
  rounds: 1,
  metricBefore: { name: 'accuracy', value: 0.5, higherIsBetter: true },
  metricAfter: { name: 'accuracy', value: accuracyAfter, higherIsBetter: true },
  sparsity: 0.25,
  params: 10,
  nonzeroParams: 8,
  flops: 20,
  durationMs: 30,
});

describe('nncompress-plugin-stage-csv', () => {
  it('emits a header and one row per stage when the run ends', async () => {
    const hooks = createHooks();
    const files = new Map<string, string | Uint8Array>();
    const options: Record<string, unknown> = { decimals: 2 };
    expect(validateAgainst(stageCsvOptionsSchema, options)).toBeUndefined();
    plugin.apply(hooks, options as unknown as StageCsvOptions, {
      instanceName: 'csv',
      logger: silentLogger,
      rng: new Rng(0),
      datasets: new DatasetRegistry(),
      backend: { name: 'cpu', notes: [] },
      importance: importanceMeasures,
      resolvePath: (p) => p,
      emitFile: (name, data) => files.set(name, data),
    });
    const ctx = {} as StageContext;
    await hooks.afterStage.promise(ctx, stage('prune', 0.123456));
    await hooks.afterStage.promise(ctx, stage('tune, again', 0.9));
    expect(files.size).toBe(0);
    await hooks.afterRun.promise(ctx, {} as never);
    expect(files.get('stages.csv')).toBe(
      'stage,plugins,metric,metricBefore,metricAfter,sparsity,params,flops,durationMs\n' +
        'prune,a+b,accuracy,0.50,0.12,0.25,10,20,30\n' +
        '"tune, again",a+b,accuracy,0.50,0.90,0.25,10,20,30\n',
    );
  });

  it('quotes fields per RFC 4180 and validates its options', () => {
    expect(stageRow(stage('say "hi"', 1), 1).startsWith('"say ""hi""",')).toBe(true);
    expect(validateAgainst(stageCsvOptionsSchema, { fileName: '../escape.csv' }, 'plugins.csv.options')).toMatch(/^plugins\.csv\.options\.fileName: must match pattern/);
    expect(validateAgainst(stageCsvOptionsSchema, { decimals: 20 }, 'plugins.csv.options')).toBe('plugins.csv.options.decimals: must be <= 12');
  });

  it('is loaded from a config by relative path and writes stages.csv next to the report', async () => {
    await chooseBackend('wasm');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nnc-csv-'));
    const config = path.join(dir, 'pipeline.yaml');
    const modelJson = path.resolve(__dirname, '../../mnist-lenet/models/lenet-300-100/model.json');
    const pluginPath = path.resolve(__dirname, '../src/index.ts');
    fs.writeFileSync(config, `model: ${modelJson}\ndata: { source: mnist, train: 200, test: 200 }\nplugins:\n  csv: { use: ${path.relative(dir, pluginPath)} }\n  prune: { use: '@nncompress/plugin-magnitude' }\nstages:\n  - name: cut\n    target: { sparsity: 0.5 }\n`);
    const out = path.join(dir, 'out');
    const report = await new Pipeline(loadConfig(config), { outDir: out, logger: silentLogger }).run();
    const lines = fs.readFileSync(path.join(out, 'stages.csv'), 'utf8').trim().split('\n');
    expect(lines).toHaveLength(2);
    const cells = lines[1].split(',');
    expect(cells[0]).toBe('cut');
    expect(cells[2]).toBe('accuracy');
    expect(Number(cells[5])).toBeCloseTo(report.final.sparsity, 4);
  });
});

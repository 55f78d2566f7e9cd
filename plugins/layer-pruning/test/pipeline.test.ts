import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chooseBackend, loadConfig, Pipeline, Report, Rng, saveModel, silentLogger, tf, train } from '@nncompress/core';
import { loadMnist } from '@nncompress/core/data';
import { cnnWithIdentity } from './net';

let dir: string;

const config = (options: string, stages: string): string => `
model: ./model/model.json
seed: 4
data: { source: mnist, train: 1500, test: 500 }
plugins:
  layers: { use: '@nncompress/plugin-layer-pruning', options: ${options} }
  filters: { use: '@nncompress/plugin-filter-pruning', options: { criterion: average-weight } }
  tune: { use: '@nncompress/plugin-finetune', options: { epochs: 1, learningRate: 0.002 } }
stages:
${stages}`;

const dropOne = `  - name: drop
    use: [layers, tune]
    target: { layers: 1 }
`;

async function run(name: string, text: string): Promise<{ report: Report; out: string }> {
  fs.writeFileSync(path.join(dir, name), text);
  const out = path.join(dir, `out-${name}`);
  const report = await new Pipeline(loadConfig(path.join(dir, name)), { outDir: out, logger: silentLogger }).run();
  return { report, out };
}

const layerNames = (out: string): string[] => {
  const json = JSON.parse(fs.readFileSync(path.join(out, 'model', 'model.json'), 'utf8')) as { modelTopology: { config: { layers: { config: { name: string } }[] } } };
  return json.modelTopology.config.layers.map((l) => l.config.name);
};

beforeAll(async () => {
  await chooseBackend('wasm');
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nnc-layers-'));
  const model = cnnWithIdentity();
  train(model, loadMnist({ train: 1500 }).train, { epochs: 2, batchSize: 32, learningRate: 0.003, rng: new Rng(2) });
  await saveModel(model, path.join(dir, 'model'));
});

describe('layer pruning in a pipeline', () => {
  it('cka removes the planted identity layer; the smaller model loads in plain tfjs; same seed, same bytes', async () => {
    const a = await run('cka-a.yaml', config('{ criterion: cka, calibrationExamples: 128 }', dropOne));
    const b = await run('cka-b.yaml', config('{ criterion: cka, calibrationExamples: 128 }', dropOne));
    expect(layerNames(a.out)).not.toContain('ident');
    expect(layerNames(a.out)).toContain('fc1');
    expect(a.report.final.params).toBe(a.report.baseline.params - (32 * 32 + 32));
    expect(a.report.final.accuracy).toBeGreaterThan(a.report.baseline.accuracy! - 0.02);
    expect(fs.readFileSync(path.join(a.out, 'model', 'weights.bin')).equals(fs.readFileSync(path.join(b.out, 'model', 'weights.bin')))).toBe(true);
    const json = JSON.parse(fs.readFileSync(path.join(a.out, 'model', 'model.json'), 'utf8')) as tf.io.ModelJSON;
    const weights = fs.readFileSync(path.join(a.out, 'model', 'weights.bin'));
    const reloaded = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData: new Uint8Array(weights).buffer }));
    expect(reloaded.layers.map((l) => l.name)).toEqual(layerNames(a.out));
    expect(reloaded.countParams()).toBe(a.report.final.params);
  });

  it('bypass-loss over two rounds, then filter pruning: both shrink the model, accuracy holds after fine-tuning', async () => {
    const stages = `  - name: drop
    use: [layers, tune]
    target: { layers: 2 }
    schedule: { kind: iterative, rounds: 2 }
  - name: filters
    use: [filters, tune]
    target: { filterRatio: 0.25 }
`;
    const { report, out } = await run('bypass.yaml', config('{ criterion: bypass-loss, calibrationExamples: 128, validationExamples: 256 }', stages));
    const [drop, filters] = report.stages;
    expect(drop.rounds).toBe(2);
    expect(layerNames(out)).not.toContain('ident');
    // Two units went (ident and one more): three of the five weighted layers are left.
    const weighted = layerNames(out).filter((n) => /^(conv|fc|ident)/.test(n));
    expect(weighted.length).toBe(3);
    expect(drop.params).toBeLessThan(report.baseline.params);
    expect(filters.params).toBeLessThan(drop.params);
    expect(report.final.accuracy).toBeGreaterThan(report.baseline.accuracy! - 0.05);
  });

  it('names a protected layer that does not exist, and a target larger than what can go', async () => {
    await expect(run('protect.yaml', config('{ protect: [conv9] }', dropOne))).rejects.toThrow(/plugin layers \(@nncompress\/plugin-layer-pruning\) failed in hook "score": protect: the model has no layer named "conv9"/);
    const tooMany = dropOne.replace('layers: 1', 'layers: 9');
    await expect(run('many.yaml', config('{ criterion: cka }', tooMany))).rejects.toThrow(/failed in hook "select": cannot remove 9 layer units: only \d non-overlapping removable units/);
  });

  it('protect keeps a unit: with ident protected, cka must choose another', async () => {
    const { out } = await run('keep.yaml', config('{ criterion: cka, protect: [ident], calibrationExamples: 128 }', dropOne));
    expect(layerNames(out)).toContain('ident');
    expect(layerNames(out).filter((n) => /^(conv|fc|ident)\d*$/.test(n)).length).toBe(4);
  });
});

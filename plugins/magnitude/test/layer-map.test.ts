import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chooseBackend, loadConfig, Pipeline, Rng, saveModel, silentLogger, tf, train } from '@nncompress/core';
import { loadMnist } from '@nncompress/core/data';

let dir: string;

beforeAll(async () => {
  await chooseBackend('wasm');
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nnc-map-'));
  const rng = new Rng(5);
  const init = (): ReturnType<typeof tf.initializers.glorotUniform> => tf.initializers.glorotUniform({ seed: rng.childSeed() });
  const model = tf.sequential({
    layers: [
      tf.layers.flatten({ inputShape: [28, 28, 1], name: 'flat' }),
      tf.layers.dense({ units: 40, activation: 'relu', kernelInitializer: init(), name: 'h' }),
      tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: init(), name: 'o' }),
    ],
  });
  train(model, loadMnist({ train: 600 }).train, { epochs: 2, batchSize: 32, learningRate: 0.003, rng: new Rng(1) });
  await saveModel(model, path.join(dir, 'model'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const config = (map: string, target: number): string => `
model: ./model/model.json
data: { source: mnist, train: 300, test: 300 }
plugins:
  prune: { use: '@nncompress/plugin-magnitude', options: { layerSparsity: ${map} } }
stages:
  - name: prune
    target: { sparsity: ${target} }
    schedule: { kind: iterative, rounds: 2 }
`;

async function run(name: string, text: string): Promise<Awaited<ReturnType<Pipeline['run']>>> {
  fs.writeFileSync(path.join(dir, name), text);
  return new Pipeline(loadConfig(path.join(dir, name)), { outDir: path.join(dir, `out-${name}`), logger: silentLogger }).run();
}

describe('magnitude pruning with a per-layer sparsity map', () => {
  it('ends each listed layer at its map sparsity, leaves the others whole, and reaches the stage target', async () => {
    // h: 784·40 = 31,360 weights at 0.9; o: 400 weights unlisted. Overall 28,224 / 31,760.
    const target = Math.floor((Math.ceil(0.9 * 31360) / 31760) * 1e4) / 1e4;
    const report = await run('map.yaml', config('{ h: 0.9 }', target));
    const h = report.layers.find((l) => l.name === 'h')!;
    const o = report.layers.find((l) => l.name === 'o')!;
    expect(h.sparsity).toBeCloseTo(Math.ceil(0.9 * 31360) / 31360, 9);
    expect(o.sparsity).toBe(0);
    expect(report.final.sparsity).toBeGreaterThanOrEqual(target);
  });

  it('names a layer the model lacks, and a map that falls short of the stage target', async () => {
    await expect(run('bad.yaml', config('{ h9: 0.5 }', 0.4))).rejects.toThrow(/layerSparsity: the model has no prunable layer "h9" \(it has h, o\)/);
    await expect(run('short.yaml', config('{ h: 0.5 }', 0.8))).rejects.toThrow(/layerSparsity reaches 0\.\d+ kernel sparsity, short of the round's target 0\.\d+: give the stage the map's own sparsity as its target/);
  });
});

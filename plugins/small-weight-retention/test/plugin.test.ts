import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chooseBackend, loadConfig, loadModel, Logger, Pipeline, saveModel, silentLogger } from '@nncompress/core';

// The committed, trained LeNet-300-100 of the mnist-lenet example, copied next to each config.
const modelJson = path.join(__dirname, '../../../examples/mnist-lenet/models/lenet-300-100/model.json');
let dir: string;

const config = (options: string, schedule = '{ kind: gradual, rounds: 2, initial: 0.5 }'): string => `
model: ./model/model.json
seed: 5
data: { source: mnist, train: 1000, test: 500 }
plugins:
  swr: { use: '@nncompress/plugin-small-weight-retention', options: ${options} }
  tune: { use: '@nncompress/plugin-finetune', options: { epochs: 1, learningRate: 0.0005 } }
stages:
  - name: prune
    target: { sparsity: 0.9 }
    schedule: ${schedule}
`;

async function run(name: string, text: string, logger: Logger = silentLogger): Promise<Awaited<ReturnType<Pipeline['run']>>> {
  fs.writeFileSync(path.join(dir, name), text);
  return new Pipeline(loadConfig(path.join(dir, name)), { outDir: path.join(dir, `out-${name}`), logger }).run();
}

beforeAll(async () => {
  await chooseBackend('wasm');
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nnc-swr-'));
  await saveModel(await loadModel(modelJson), path.join(dir, 'model'));
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('the small-weight-retention plugin in a pipeline', () => {
  it('follows the stage schedule to the target with the search selector, logs what it retained, and keeps accuracy', async () => {
    const lines: string[] = [];
    const logger: Logger = { info: (m) => lines.push(m), warn: (m) => lines.push(m), debug: () => undefined };
    const report = await run('search.yaml', config('{ selector: search, rho: 0.2, evaluations: 12, calibrationExamples: 200 }'), logger);
    expect(report.final.sparsity).toBeGreaterThanOrEqual(0.9 - 1e-9);
    expect(report.final.sparsity).toBeLessThan(0.9 + 1e-4);
    expect(report.final.accuracy).toBeGreaterThan(report.baseline.accuracy! - 0.05);
    // Two rounds (gradual), each retaining round(0.2·k) small weights and searching.
    const searched = lines.filter((l) => /^swr: search retention \(rho 0\.2, global\) to \d+\.\d%: \d+ small weights retained; calibration loss magnitude [\d.]+, saliency [\d.]+, search [\d.]+ \(12 evaluations/.test(l));
    expect(searched).toHaveLength(2);
    for (const line of searched) {
      const [, saliency, search] = /saliency ([\d.]+), search ([\d.]+)/.exec(line)!.map(Number);
      expect(search).toBeLessThanOrEqual(saliency);
    }
  });

  it('gives the same masks for the same config and seed (saliency selector, per layer, iterative)', async () => {
    const text = config('{ selector: saliency, saliency: second-order, scope: layer, rho: 0.1, calibrationBatches: 2 }', '{ kind: iterative, rounds: 2 }');
    const a = await run('a.yaml', text);
    const b = await run('b.yaml', text);
    expect(a.final.sparsity).toBeGreaterThanOrEqual(0.9 - 1e-9);
    expect(a.stages[0].rounds).toBe(2);
    // Per layer: every pruned layer at the target (within one weight).
    for (const layer of a.layers.filter((l) => l.sparsity > 0)) expect(layer.sparsity).toBeGreaterThanOrEqual(0.9 - 1 / 1000);
    for (const layer of a.layers) expect(layer.sparsity).toBeCloseTo(b.layers.find((l) => l.name === layer.name)!.sparsity, 12);
    const weights = (out: string): Buffer => Buffer.concat(fs.readdirSync(out).filter((f) => f.endsWith('.bin')).sort().map((f) => fs.readFileSync(path.join(out, f))));
    expect(weights(path.join(dir, 'out-a.yaml')).equals(weights(path.join(dir, 'out-b.yaml')))).toBe(true);
  });

  it('rejects rho outside [0, 1] in the config, naming the option', async () => {
    await expect(run('bad.yaml', config('{ rho: 1.5 }'))).rejects.toThrow(/plugins\.swr\.options\.rho: must be <= 1/);
    await expect(run('bad2.yaml', config('{ rho: -0.2 }'))).rejects.toThrow(/plugins\.swr\.options\.rho: must be >= 0/);
  });
});

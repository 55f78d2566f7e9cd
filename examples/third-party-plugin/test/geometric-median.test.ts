import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { analyzeChannels, checkConfig, chooseBackend, ConfigError, importanceMeasures, Pipeline, silentLogger, tf } from '@nncompress/core';
import { ImportanceRegistry } from '@nncompress/core/importance';
import { geometricMedian } from '../src';

const LENET5 = path.resolve(__dirname, '../../mnist-lenet/models/lenet-5/model.json');

describe('the geometric-median importance measure (a measure declared by a plugin)', () => {
  beforeAll(async () => {
    await chooseBackend('wasm');
  });

  it('scores each filter by its summed distance to the others, by hand', () => {
    // Three 1×1 filters over two input channels: (1, 0), (1, 0) and (0, 3).
    const input = tf.input({ shape: [2, 2, 2] });
    const conv = tf.layers.conv2d({ filters: 3, kernelSize: 1, useBias: false, name: 'c' });
    const model = tf.model({ inputs: input, outputs: conv.apply(input) as tf.SymbolicTensor });
    conv.setWeights([tf.tensor4d([1, 1, 0, 0, 0, 3], [1, 1, 2, 3])]);
    const analysis = analyzeChannels(model);
    const group = analysis.groups.find((g) => g.producers.includes('c'))!;
    const scores = geometricMedian.score(model, analysis, [group], {}).get(group.id)!;
    const far = Math.sqrt(10);
    expect(Array.from(scores).map((s) => +s.toFixed(5))).toEqual([far, far, 2 * far].map((s) => +s.toFixed(5)));
    model.dispose();
  });

  it('is named by filter-pruning like a core measure once this package is configured, and unknown without it', async () => {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'nnc-gm-'));
    const config = (withPackage: boolean) =>
      checkConfig({
        model: LENET5,
        seed: 2,
        data: { source: 'mnist', train: 300, test: 300 },
        plugins: {
          ...(withPackage ? { csv: { use: path.resolve(__dirname, '..') } } : {}),
          filters: { use: '@nncompress/plugin-filter-pruning', options: { criterion: 'geometric-median', scope: 'layer' } },
        },
        stages: [{ name: 'filters', target: { filterRatio: 0.5 } }],
      });
    try {
      const report = await new Pipeline({ file: path.join(work, 'gm.yaml'), dir: work, config: config(true) }, { outDir: path.join(work, 'out'), logger: silentLogger }).run();
      expect(report.stages[0].reached?.filterRatio).toBeGreaterThanOrEqual(0.45);
      expect(report.final.params).toBeLessThan(report.baseline.params);
      const missing = new Pipeline({ file: path.join(work, 'gm.yaml'), dir: work, config: config(false) }, { outDir: path.join(work, 'out2'), logger: silentLogger }).run();
      await expect(missing).rejects.toThrow(/gm\.yaml: plugins\.filters\.options\.criterion: no channel importance measure "geometric-median"; known: min-weight, average-weight, l2-weight, mean-activation, apoz/);
      expect(fs.existsSync(path.join(work, 'out2'))).toBe(false);
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  });

  it('cannot take an id a core measure has', () => {
    const registry = new ImportanceRegistry(importanceMeasures.keys().map((id) => importanceMeasures.get(id)!));
    expect(() => registry.register({ ...geometricMedian, id: 'apoz' })).toThrow('importance measure "apoz" is already registered');
    expect(() => registry.measure('geometric-median', 'channel')).toThrow(ConfigError);
  });
});

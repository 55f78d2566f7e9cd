import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { checkConfig, chooseBackend, Pipeline, silentLogger } from '@nncompress/core';
import { DatasetRegistry, loadMnist } from '@nncompress/core/data';
import { digitPairsSource } from '../src';

const LENET300 = path.resolve(__dirname, '../../mnist-lenet/models/lenet-300-100/model.json');
const opts = { file: 'test.yaml', resolvePath: (p: string) => p };

describe('the digit-pairs dataset source (a source declared by a plugin)', () => {
  it('keeps the digits named, relabelled in their order, and checks its options', async () => {
    const registry = new DatasetRegistry();
    registry.register(digitPairsSource);
    const data = await registry.load({ source: 'digit-pairs', digits: [8, 3] }, opts);
    const all = loadMnist();
    const count = (d: typeof all.train, digit: number): number => Array.from(d.labels).filter((l) => l === digit).length;
    expect(data.classNames).toEqual(['8', '3']);
    expect([data.train.numClasses, data.train.classCounts()]).toEqual([2, [count(all.train, 8), count(all.train, 3)]]);
    expect(data.test.classCounts()).toEqual([count(all.test, 8), count(all.test, 3)]);
    // The pixels are the digits': the first example labelled 0 is the first 8 of the pool.
    const first = Array.from(all.train.labels).indexOf(8);
    const at = Array.from(data.train.labels).indexOf(0);
    expect(data.train.batch(at, at + 1, [784]).x.dataSync()).toEqual(all.train.batch(first, first + 1, [784]).x.dataSync());
    await expect(registry.load({ source: 'digit-pairs', digits: [3] }, opts)).rejects.toThrow(/^data\.digits: must NOT have fewer than 2 items \(source digit-pairs\)$/);
    await expect(registry.load({ source: 'digit-pairs', digits: [3, 10] }, opts)).rejects.toThrow(/^data\.digits\[1\]: must be <= 9 \(source digit-pairs\)$/);
  });

  it('feeds a run: LeNet-300-100 transferred to "3 against 8" with a new head, pruned and fine-tuned', async () => {
    await chooseBackend('wasm');
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'nnc-pairs-'));
    try {
      const config = checkConfig({
        model: LENET300,
        seed: 2,
        data: { source: 'digit-pairs', digits: [3, 8], train: 400, test: 300 },
        plugins: {
          pairs: { use: path.resolve(__dirname, '..') },
          filters: { use: '@nncompress/plugin-filter-pruning', options: { head: 'auto' } },
          tune: { use: '@nncompress/plugin-finetune', options: { epochs: 3 } },
        },
        stages: [{ name: 's', target: { filterRatio: 0.25 } }],
      });
      const report = await new Pipeline({ file: path.join(work, 'c.yaml'), dir: work, config }, { outDir: path.join(work, 'out'), logger: silentLogger }).run();
      expect(report.data).toMatchObject({ source: 'digit-pairs', classes: 2, classNames: ['3', '8'], trainExamples: 400, testExamples: 300 });
      expect(report.final.accuracy).toBeGreaterThan(0.9);
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  });
});

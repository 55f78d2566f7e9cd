import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chooseBackend, checkConfig, Pipeline } from '@nncompress/core';

const LENET300 = path.resolve(__dirname, '../../mnist-lenet/models/lenet-300-100/model.json');

describe('nncompress-plugin-timed-trainer (a service replaced by a plugin)', () => {
  it('times every fine-tuning call of the run under its own name, and trains to the same weights as core\'s trainer', async () => {
    await chooseBackend('wasm');
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'nnc-timed-'));
    const run = async (withTiming: boolean, out: string): Promise<string[]> => {
      const config = checkConfig({
        model: LENET300,
        seed: 4,
        data: { source: 'mnist', train: 400, test: 200 },
        plugins: {
          ...(withTiming ? { timing: { use: path.resolve(__dirname, '../dist/timed-trainer.js') } } : {}),
          prune: { use: '@nncompress/plugin-magnitude' },
          tune: { use: '@nncompress/plugin-finetune', options: { epochs: 2 } },
        },
        stages: [{ name: 's', target: { sparsity: 0.7 }, schedule: { kind: 'iterative', rounds: 2 } }],
      });
      const lines: string[] = [];
      const logger = { info: (m: string) => void lines.push(m), warn: () => {}, debug: () => {} };
      await new Pipeline({ file: path.join(work, 'c.yaml'), dir: work, config }, { outDir: path.join(work, out), logger }).run();
      return lines;
    };
    try {
      const lines = await run(true, 'timed');
      await run(false, 'plain');
      const timed = lines.filter((l) => l.startsWith('timing: trained '));
      // Two rounds, each fine-tuned for two epochs of 400 examples.
      expect(timed).toHaveLength(2);
      for (const l of timed) expect(l).toMatch(/^timing: trained 800 examples in \d+\.\d\d s \(\d+ examples\/s\)$/);
      const weights = (o: string): Buffer => fs.readFileSync(path.join(work, o, 'model', 'weights.bin'));
      expect(weights('timed').equals(weights('plain'))).toBe(true);
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  });
});

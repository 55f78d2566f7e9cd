/**
 * A typed pipeline config (TypeScript is transpiled on load when the `typescript` package
 * is installed). A quick smoke run: one-shot 50% magnitude pruning of LeNet-300-100 and one
 * fine-tuning epoch on 1,000 digits, in a few seconds.
 *
 *   npx nncompress run examples/mnist-lenet/quick.ts --out out/quick
 */
import { defineConfig } from '@nncompress/core';

export default defineConfig({
  model: './models/lenet-300-100/model.json',
  seed: 42,
  data: { source: 'mnist', train: 1000, test: 500 },
  plugins: {
    prune: { use: '@nncompress/plugin-magnitude', options: { scope: 'layer' } },
    finetune: { use: '@nncompress/plugin-finetune', options: { epochs: 1 } },
  },
  stages: [{ name: 'one-shot', target: { sparsity: 0.5 } }],
});

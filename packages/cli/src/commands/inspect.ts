import { chooseBackend, loadModel, modelStats } from '@nncompress/core';
import { formatTable, int, pct } from '../table';

export async function inspectCommand(modelJson: string): Promise<void> {
  await chooseBackend();
  const model = await loadModel(modelJson);
  const stats = modelStats(model);
  const rows = stats.layers.map((l) => [
    l.name,
    l.className,
    `[${l.outputShape.map((d) => (d === null ? '?' : String(d))).join(',')}]`,
    int(l.params),
    l.kernelParams > 0 ? pct(l.kernelZeros / l.kernelParams) : '–',
    int(l.flops),
  ]);
  rows.push(['total', '', '', int(stats.params), pct(stats.sparsity), int(stats.flops)]);
  process.stdout.write(`${formatTable(['layer', 'type', 'output', 'params', 'sparsity', 'FLOPs'], rows)}\n`);
}

import { analyzeChannels, chooseBackend, loadModel, modelStats } from '@nncompress/core';
import { findRemovableUnits } from '@nncompress/core/graph';
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
  process.stdout.write(`${formatTable(['layer', 'type', 'output', 'params', 'sparsity', 'FLOPs'], rows)}\n\n`);

  // Channel groups: what structured pruning may remove together.
  const analysis = analyzeChannels(model);
  const groupRows = analysis.groups.map((g) => {
    const follow = [...new Set(g.members.filter((m) => m.role !== 'producer').map((m) => m.layer))];
    return [String(g.id), String(g.size), g.producers.join('+'), follow.join(', ') || '–', g.blocked ? `blocked: ${g.blocked}` : 'prunable'];
  });
  process.stdout.write(`${formatTable(['group', 'channels', 'producers', 'pruned along', 'status'], groupRows)}\n`);
  for (const u of analysis.unsupported) process.stdout.write(`note: ${u.className} layer ${u.layer} is left alone: ${u.reason}; channels through it are kept\n`);

  // Layer units: what layer pruning may remove whole.
  const units = findRemovableUnits(model, analysis.graph);
  const unitRows = units.map((u) => [u.id, u.kind, u.layers.join(', '), u.shapePreserving ? 'identity' : `repair ${u.repairLayer}`, int(u.paramsSaved)]);
  if (unitRows.length > 0) process.stdout.write(`\n${formatTable(['unit', 'kind', 'layers', 'replaced by', 'params saved'], unitRows)}\n`);
  else process.stdout.write('\nno removable layer units\n');
}

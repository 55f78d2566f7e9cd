/**
 * A self-contained report.html (no scripts, no external assets): headline figures, inline
 * SVG charts of sparsity per layer and accuracy per stage, and the per-layer table.
 */
import { TargetKindRegistry, targetKinds } from '../pipeline/targets';
import { formatMetric, metricLabel } from '../training/task';
import { costOf, resourceColumn, showCost } from './goal-costs';
import type { GoalCosts, Report } from './report';
import { escapeXml, lineChart } from './svg';

const esc = escapeXml;
const pct = (x: number): string => `${(100 * x).toFixed(2)}%`;
const int = (x: number): string => Math.round(x).toLocaleString('en-US');

/** Horizontal bars for values in [min, max]; `min` > 0 zooms in on small differences. */
function barChart(title: string, rows: { label: string; value: number }[], format: (v: number) => string, min = 0, max = 1): string {
  const barH = 22;
  const labelW = 160;
  const width = 640;
  const plotW = width - labelW - 80;
  const height = rows.length * barH + 30;
  const bars = rows
    .map((r, i) => {
      const y = 24 + i * barH;
      const w = max > min ? Math.max(0, ((r.value - min) / (max - min)) * plotW) : 0;
      return `<text x="${labelW - 6}" y="${y + 15}" text-anchor="end">${esc(r.label)}</text>` +
        `<rect x="${labelW}" y="${y + 3}" width="${w.toFixed(1)}" height="${barH - 6}" fill="#3b6ea5"/>` +
        `<text x="${(labelW + w + 6).toFixed(1)}" y="${y + 15}">${esc(format(r.value))}</text>`;
    })
    .join('');
  return `<figure><svg role="img" aria-label="${esc(title)}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">` +
    `<text x="0" y="14" font-weight="bold">${esc(title)}</text>${bars}</svg></figure>`;
}

const isAccuracy = (report: Report): boolean => report.task.metric === 'accuracy' || report.task.metric === 'binaryAccuracy';

/** The metric's axis: accuracies on a 2-point grid within [0, 1]; errors from a little below the lowest to a little above the highest. */
function metricAxis(report: Report, ys: readonly number[]): [number, number] {
  const lo = Math.min(...ys);
  const hi = Math.max(...ys);
  if (isAccuracy(report)) return [Math.max(0, Math.floor((lo - 0.01) * 50) / 50), Math.min(1, Math.ceil((hi + 0.005) * 50) / 50)];
  const pad = (hi - lo || Math.abs(hi) || 1) * 0.1;
  return [Math.max(0, lo - pad), hi + pad];
}

/** A metric value as the report prints it. */
const showMetric = (report: Report, value: number): string => formatMetric({ name: report.task.metric, value });

/**
 * The metric against size, one point per step of the run: the float32 baseline, each stage
 * (its non-zero weights at 4 bytes each: what a sparse float32 store needs at least) and,
 * when there is one, the encoded file with the decoded model's metric. Size on a log axis.
 */
function tradeoffChart(report: Report): string {
  const points = [
    { label: 'baseline', x: report.baseline.bytesFloat32, y: report.baseline.metric.value },
    ...report.stages.map((s) => ({ label: s.name, x: 4 * s.nonzeroParams, y: s.metricAfter.value })),
    ...(report.encoding ? [{ label: report.encoding.file, x: report.encoding.bytes, y: report.final.metric.value }] : []),
  ].filter((p) => p.x > 0);
  const logs = points.map((p) => Math.log10(p.x));
  const e0 = Math.floor(Math.min(...logs));
  const e1 = Math.max(e0 + 1, Math.ceil(Math.max(...logs)));
  const [y0, y1] = metricAxis(report, points.map((p) => p.y));
  const label = metricLabel(report.task.metric);
  const chart = lineChart({
    title: `${label[0].toUpperCase()}${label.slice(1)} against size (log scale)`,
    series: [{ label: 'run', points }],
    xRange: [10 ** e0, 10 ** e1],
    yRange: [y0, y1],
    xTicks: Array.from({ length: e1 - e0 + 1 }, (_, i) => 10 ** (e0 + i)),
    yTicks: [y0, (y0 + y1) / 2, y1],
    formatX: (x) => `${int(x)} B`,
    formatY: (y) => showMetric(report, y),
    xLabel: 'bytes: float32 baseline, non-zero weights × 4 after each stage, the encoded file',
    xLog: true,
    dots: true,
  });
  return `<figure>${chart}</figure>`;
}

/** Bytes per tensor in the encoded file, with codec and error: where the size goes. */
function encodingSection(report: Report): string {
  const e = report.encoding;
  if (!e) return '';
  const largest = Math.max(1, ...e.tensors.map((t) => t.bytes));
  const chart = barChart(`Encoded size per tensor in ${e.file} (${int(e.bytes)} bytes in all, header included)`, e.tensors.map((t) => ({ label: `${t.name} · ${t.codec}`, value: t.bytes })), (v) => `${int(v)} B`, 0, largest);
  const rows = e.tensors
    .map((t) => {
      const n = t.shape.reduce((a, b) => a * b, 1);
      return `<tr><td>${esc(t.name)}</td><td>[${t.shape.join(',')}]</td><td>${esc(t.codec)}</td><td>${int(t.bytes)}</td><td>${n ? ((8 * t.bytes) / n).toFixed(2) : '–'}</td><td>${t.maxError === 0 ? '0' : t.maxError.toExponential(2)}</td></tr>`;
    })
    .join('');
  const decoded = e.decodedMetric === undefined ? '' : ` ${metricLabel(e.decodedMetric.name)} of the model decoded from the file: ${formatMetric(e.decodedMetric)} (before encoding: ${formatMetric(e.metricBeforeEncoding)}).`;
  return `<h2>Encoding</h2><p>${esc(e.file)}: ${int(e.bytes)} bytes, ${report.final.compressionRatio.toFixed(1)}x smaller than float32.${decoded}</p>${chart}
<table><tr><th>tensor</th><th>shape</th><th>codec</th><th>bytes</th><th>bits/weight</th><th>max error</th></tr>${rows}</table>`;
}

/** What a goal is about, in words: the axis label and the goal's sentence. */
const RESOURCE_WORDS = { bytes: ['bytes of the encoded file', 'file'], flops: ['FLOPs of one inference', 'FLOPs'], latency: ['batch-1 latency (ms)', 'latency'] } as const;

/**
 * The goal search: its trials as the metric against the resource (kept steps joined by a
 * line, the others as single dots, the chosen one marked, the goal as a line), the budgets it
 * chose, and every trial.
 */
function goalSection(report: Report): string {
  const g = report.goal;
  if (!g) return '';
  const label = metricLabel(report.task.metric);
  const [axis, thing] = RESOURCE_WORDS[g.resource];
  const cost = (t: GoalCosts): number => costOf(t, g.resource);
  const point = (t: (typeof g.trials)[number], label?: string): { x: number; y: number; label?: string } => ({ x: cost(t), y: t.metric, ...(label ? { label } : {}) });
  const kept = g.trials.filter((t) => t.accepted);
  const others = g.trials.filter((t) => !t.accepted);
  const chosen = g.trials[g.chosen];
  const xs = [...g.trials.map(cost), ...(g.limit !== undefined ? [g.limit] : [])];
  const [x0, x1] = [Math.min(...xs) * 0.95, Math.max(...xs) * 1.05];
  const allowed = g.metricDrop !== undefined ? (report.task.higherIsBetter ? g.baselineMetric - g.metricDrop : g.baselineMetric + g.metricDrop) : undefined;
  const [y0, y1] = metricAxis(report, [...g.trials.map((t) => t.metric), g.baselineMetric, ...(allowed !== undefined ? [allowed] : [])]);
  // The goal as a line: the metric allowed (minimize), or the resource's limit (maximize).
  const goalLine = allowed !== undefined ? [{ x: x0, y: allowed }, { x: x1, y: allowed }] : [{ x: g.limit!, y: y0 }, { x: g.limit!, y: y1 }];
  const chart = lineChart({
    title: `Goal search: ${label} on the ${g.measuredOn} against ${axis}`,
    series: [
      { label: allowed !== undefined ? 'allowed' : 'limit', points: goalLine, color: '#edae49', dots: false },
      { label: 'trials not kept', points: others.map((t) => point(t)), color: '#bbb', noLine: true },
      { label: 'kept steps', points: kept.map((t, i) => point(t, i === 0 ? 'start' : undefined)), color: '#3b6ea5' },
      { label: 'chosen', points: [point(chosen, 'chosen')], color: '#d1495b' },
    ],
    legend: true,
    xRange: [x0, x1],
    yRange: [y0, y1],
    xTicks: [x0, (x0 + x1) / 2, x1],
    yTicks: [y0, (y0 + y1) / 2, y1],
    formatX: (x) => showCost(x, g.resource),
    formatY: (y) => showMetric(report, y),
    xLabel: axis,
    dots: true,
  });
  const valueName = g.searched === 'sparsity' ? 'sparsity' : 'filter ratio';
  const budgets = Object.entries(chosen.layerValues)
    .map(([layer, v]) => `<tr><td>${esc(layer)}</td><td>${pct(v)}</td></tr>`)
    .join('');
  const estimated = g.fullStart !== undefined;
  const rows = g.trials
    .map((t) => `<tr><td>${t.step}</td><td class="t">${esc(t.change)}${t === chosen ? ' <b>(chosen)</b>' : ''}</td><td>${showCost(cost(t), g.resource)}</td><td>${showMetric(report, t.metric)}</td><td>${t.drop.toFixed(4)}</td>${estimated ? `<td>${t.estimatedDrop.toFixed(4)}</td><td>${t.full !== undefined ? t.full.drop.toFixed(4) : ''}</td>` : ''}<td>${t.accepted ? 'kept' : ''}</td></tr>`)
    .join('');
  const calibration = g.fullStart
    ? ` Trials run cheaper settings than the final run (goal.trial); the config as written lost ${g.trials[0].drop.toFixed(4)} with them and ${g.fullStart.drop.toFixed(4)} with its full settings, so each trial's loss is shifted by the difference (the estimate column) before the goal is checked. Each kept step is then run with the full settings too (the last column), and the next round's trials are shifted by its difference instead; a kept step whose full run loses more than the goal is undone.`
    : '';
  const missed = (g.missed ?? []).map((m) => `<p>The run with ${esc(g.trials[m.trial].change)} (round ${g.trials[m.trial].step}, ${int(m.bytes)} B) lost ${m.testDrop.toFixed(4)} on the test split, more than the goal allows; the run stepped back to the kept step before it.</p>`).join('');
  const notes = missed + (g.notes ?? []).map((n) => `<p>⚠ ${esc(n)}</p>`).join('');
  const aim = g.metricDrop !== undefined ? `Smallest ${thing} losing at most ${g.metricDrop} ${esc(label)} against the unpruned model` : `Best ${esc(label)} with the ${thing} at most ${showCost(g.limit!, g.resource)}`;
  return `<h2>Goal search</h2><p>${aim}: ${g.trials.length} trials in ${(g.durationMs / 1000).toFixed(0)} s, measured on the ${g.measuredOn} (${int(g.examples)} examples)${g.measuredOn === 'test split' ? ': the chosen trial was selected on the split the final run is measured on' : ''}; stopped because ${esc(g.stopped)}.${calibration} The final run above, on the test split, loses ${g.testDrop.toFixed(4)}.</p>${notes}
<figure>${chart}</figure>
<table><tr><th>layer</th><th>${valueName} chosen</th></tr>${budgets}</table>${chosen.relativeError !== undefined ? `<p>Codec error bound chosen: ${chosen.relativeError}.</p>` : ''}
<table><tr><th>round</th><th class="t">change</th><th>${resourceColumn(g.resource)}</th><th>${esc(label)}</th><th>drop</th>${estimated ? '<th>full settings (est.)</th><th>full settings (run)</th>' : ''}<th></th></tr>${rows}</table>`;
}

/** What structured pruning could not touch, and why (omitted when nothing was left alone but the output). */
function leftAloneSection(report: Report): string {
  const { blockedGroups, unsupportedLayers } = report.structure;
  if (unsupportedLayers.length === 0 && blockedGroups.every((g) => g.reason.startsWith('model output'))) return '';
  const layers = unsupportedLayers.map((u) => `<tr><td>${esc(u.layer)}</td><td>${esc(u.className)}</td><td class="t">${esc(u.reason)}</td></tr>`).join('');
  const groups = blockedGroups.map((g) => `<tr><td>${esc(g.producers.join(' + '))}</td><td>${g.channels}</td><td class="t">${esc(g.reason)}</td></tr>`).join('');
  return `<h2>Left alone by structured pruning</h2>
${layers ? `<table><tr><th>layer</th><th>type</th><th class="t">why</th></tr>${layers}</table>` : ''}
<table><tr><th>channels of</th><th>channels</th><th class="t">kept because</th></tr>${groups}</table>`;
}

/** The training threads of the run, when more than one was asked for: used, or why not. */
function threadsText(workers: Report['workers']): string {
  if (workers.requested <= 1) return '';
  if (workers.used > 1) return `, ${workers.used} training threads`;
  return `, 1 training thread of ${workers.requested} asked for (${esc((workers.refused ?? []).join('; '))})`;
}

/** report.html for `report`; `kinds` formats the stages' targets (core's kinds by default, the run's when a plugin added some). */
export function renderHtml(report: Report, kinds: Pick<TargetKindRegistry, 'get'> = targetKinds): string {
  const b = report.baseline;
  const f = report.final;
  const prunable = report.layers.filter((l) => l.paramsBefore > 0);
  const label = metricLabel(report.task.metric);
  const accRows = [{ label: 'baseline', value: b.metric.value }, ...report.stages.map((s) => ({ label: s.name, value: s.metricAfter.value }))];
  // Accuracies: start the axis a little below the lowest (on a 5-point grid) so that changes
  // of a fraction of a point stay visible. Errors: bars from zero.
  const accMin = isAccuracy(report) ? Math.max(0, Math.floor((Math.min(...accRows.map((r) => r.value)) - 0.02) * 20) / 20) : 0;
  const lat = (l: { batch1: number; batch32: number } | undefined): string => (l ? `${l.batch1.toFixed(1)} / ${l.batch32.toFixed(1)} ms` : '–');
  const latencyHead = b.latencyMs ? '<th>latency batch 1 / 32</th>' : '';
  const latencyBase = b.latencyMs ? `<td>${lat(b.latencyMs)}</td>` : '';
  const latencyFinal = b.latencyMs ? `<td>${lat(f.latencyMs)}${f.latencyMs ? ` (${(b.latencyMs.batch32 / f.latencyMs.batch32).toFixed(2)}x at 32)` : ''}</td>` : '';
  const layerTable = report.layers
    .map((l) => `<tr><td>${esc(l.name)}</td><td>${esc(l.className)}</td><td>${int(l.paramsBefore)}</td><td>${int(l.paramsAfter)}</td><td>${int(l.nonzeroAfter)}</td><td>${l.paramsBefore > 0 && l.flopsBefore > 0 ? pct(l.sparsity) : '–'}</td><td>${int(l.flopsBefore)}</td><td>${int(l.flopsAfter)}</td></tr>`)
    .join('');
  // Each target with what core measured and who selected; a shortfall note under it.
  const targetCell = (s: Report['stages'][number]): string => {
    const parts = Object.entries(s.target).map(([key, value]) => {
      const kind = kinds.get(key);
      const say = (v: number): string => (kind ? kind.format(v) : `${key} ${v}`);
      const reached = s.reached?.[key];
      const shown = reached !== undefined && say(reached) !== say(value) ? ` (reached: ${esc(say(reached))})` : '';
      return `${esc(say(value))}${shown}${s.selectedBy?.[key] ? `<br><small>by ${esc(s.selectedBy[key])}</small>` : ''}`;
    });
    const notes = (s.notes ?? []).map((n) => `<br><small>⚠ ${esc(n)}</small>`).join('');
    return (parts.length ? parts.join('<br>') : '–') + notes;
  };
  const stageTable = report.stages
    .map((s) => `<tr><td>${esc(s.name)}</td><td>${esc(s.plugin)}</td><td class="t">${targetCell(s)}</td><td>${s.rounds}</td><td>${formatMetric(s.metricBefore)}</td><td>${formatMetric(s.metricAfter)}</td><td>${pct(s.sparsity)}</td><td>${(s.durationMs / 1000).toFixed(1)} s</td></tr>`)
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>nncompress report: ${esc(report.model)}</title>
<style>body{font-family:sans-serif;margin:2em;max-width:960px}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}td:first-child,th:first-child,.t{text-align:left}figure{margin:1em 0}</style>
</head><body>
<h1>nncompress report</h1>
<p>Model <code>${esc(report.model)}</code>, config <code>${esc(report.config)}</code>, backend <b>${esc(report.backend)}</b>${threadsText(report.workers)}, seed ${report.seed}, ${(report.durationMs / 1000).toFixed(1)} s.
Data: source <code>${esc(report.data.source)}</code> (data seed ${report.data.seed}), ${report.data.trainExamples.toLocaleString('en-US')} training and ${report.data.testExamples.toLocaleString('en-US')} ${report.data.heldOut ? 'examples held out from the training set (data.holdOut), measured instead of the test split' : 'test examples'}, ${report.data.classes !== undefined ? `${report.data.classes} classes` : `${report.data.targets} target${report.data.targets === 1 ? '' : 's'} per example`}.
Task: ${esc(report.task.kind)}, loss ${esc(report.task.loss)}, metric ${esc(label)} (${report.task.higherIsBetter ? 'higher' : 'lower'} is better).</p>
<table><tr><th></th><th>${esc(label)}</th><th>params</th><th>non-zero params</th><th>kernel sparsity</th><th>FLOPs</th><th>bytes</th>${latencyHead}</tr>
<tr><td>baseline</td><td>${formatMetric(b.metric)}</td><td>${int(b.params)}</td><td>${int(b.nonzeroParams)}</td><td>–</td><td>${int(b.flops)}</td><td>${int(b.bytesFloat32)} (float32)</td>${latencyBase}</tr>
<tr><td>final</td><td>${formatMetric(f.metric)}</td><td>${int(f.params)}</td><td>${int(f.nonzeroParams)}</td><td>${pct(f.sparsity)}</td><td>${int(f.flops)}</td><td>${int(f.encodedBytes)} (${esc(f.encodedAs)}), ${f.compressionRatio.toFixed(2)}x</td>${latencyFinal}</tr></table>
${barChart('Kernel sparsity per layer', prunable.map((l) => ({ label: l.name, value: l.sparsity })), pct)}
${barChart(`Test ${label} after each stage${accMin > 0 ? ` (axis from ${pct(accMin)})` : ''}`, accRows, (v) => showMetric(report, v), accMin, isAccuracy(report) ? 1 : 1.1 * Math.max(...accRows.map((r) => r.value)) || 1)}
${tradeoffChart(report)}
${encodingSection(report)}
${goalSection(report)}
<h2>Stages</h2>
<table><tr><th>stage</th><th>plugins</th><th class="t">target</th><th>rounds</th><th>${esc(label)} before</th><th>${esc(label)} after</th><th>sparsity</th><th>time</th></tr>${stageTable}</table>
${leftAloneSection(report)}
<h2>Layers</h2>
<table><tr><th>layer</th><th>type</th><th>params before</th><th>params after</th><th>non-zero after</th><th>sparsity</th><th>FLOPs before</th><th>FLOPs after</th></tr>${layerTable}</table>
<p>Generated by ${esc(report.tool.name)} ${esc(report.tool.version)}.</p>
</body></html>
`;
}

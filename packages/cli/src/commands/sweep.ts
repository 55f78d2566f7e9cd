/**
 * `nncompress sweep <sweep.yaml>`: runs every configuration of a sweep file as a pipeline job
 * on a pool of processes (one per core by default), each into its own folder, and prints one
 * table row per configuration. The same sweep gives the same models on any number of
 * processes: each configuration runs on one thread, from its own seed.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InputError } from '@nncompress/core';
import { openRunner } from './queue';
import { configurationFolder, JobEvent, loadSweep, PipelineJobResult, runJobs, sweepJobs } from '@nncompress/core/jobs';
import { formatMetric, metricLabel } from '@nncompress/core/training';
import { writeFileAtomic } from '@nncompress/core/internal';
import { formatTable, int, pct } from '../table';

export interface SweepCommandOptions {
  readonly out?: string;
  readonly processes?: number | 'auto';
  /** A Redis address: configurations go to its queue's workers. */
  readonly queue?: string;
}

/** One line per finished, started-again or failed configuration: plain lines read the same on a TTY and in CI logs. */
function progressLine(event: JobEvent, started: number): string | undefined {
  const elapsed = `${((Date.now() - started) / 1000).toFixed(0)} s`;
  if (event.kind === 'retry') return `sweep: ${event.label}: ${event.reason}; running it again (attempt ${event.attempt})`;
  if (event.kind !== 'done') return undefined;
  const r = event.result as PipelineJobResult;
  return `sweep: ${event.done}/${event.total} ${event.label}: ${metricLabel(r.report.task.metric)} ${formatMetric(r.report.final.metric)}, ${int(r.report.final.encodedBytes)} B (${(event.ms / 1000).toFixed(1)} s; ${elapsed} in all)`;
}

/** On a TTY, a bar under the finished lines: configurations done and running. */
class SweepBar {
  private shown = false;
  private done = 0;
  private running = 0;

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly total: number,
    private readonly tty = Boolean(stream.isTTY) && !process.env.CI,
  ) {}

  show(event: JobEvent, line: string | undefined): void {
    if (event.kind === 'start') this.running++;
    if (event.kind === 'done' || event.kind === 'retry') this.running--;
    if (event.kind === 'done') this.done = event.done;
    this.clear();
    if (line) this.stream.write(`${line}\n`);
    if (!this.tty) return;
    const width = 30;
    const filled = Math.round((width * this.done) / this.total);
    this.stream.write(`[${'#'.repeat(filled).padEnd(width, '.')}] ${this.done}/${this.total} configurations, ${this.running} running`);
    this.shown = true;
  }

  clear(): void {
    if (!this.shown) return;
    this.stream.write('\r\x1b[K');
    this.shown = false;
  }
}

export async function sweepCommand(sweepFile: string, options: SweepCommandOptions): Promise<void> {
  const sweep = loadSweep(sweepFile);
  const out = path.resolve(options.out ?? path.join('nncompress-out', `${path.basename(sweepFile).replace(/\.[^.]+$/, '')}`));
  if (fs.existsSync(out) && !fs.statSync(out).isDirectory()) throw new InputError(`--out: ${out} is a file, not a folder`);
  const processes = options.processes ?? sweep.processes ?? 'auto';
  if (options.queue !== undefined && options.processes !== undefined) throw new InputError('--processes: with --queue the workers run the configurations, one each; start as many as you like');
  // Connected (or refused) before anything is written.
  const queue = await openRunner(options.queue);
  fs.mkdirSync(out, { recursive: true });
  const total = sweep.configurations.length;
  const started = Date.now();
  const where = options.queue !== undefined ? 'the queue\'s workers' : processes === 'auto' ? 'one process per core' : `${processes} process(es)`;
  process.stderr.write(`sweep: ${total} configuration(s) of ${path.basename(sweep.pipeline.file)} on ${where}\n`);
  const bar = new SweepBar(process.stderr, total);
  let results: PipelineJobResult[];
  try {
    results = await (queue.runner ?? runJobs)<PipelineJobResult>(sweepJobs(sweep, out), {
      processes,
      onEvent: (event) => bar.show(event, progressLine(event, started)),
    });
  } finally {
    bar.clear();
    await queue.close();
  }

  const first = results[0].report;
  const label = metricLabel(first.task.metric);
  // Structured pruning leaves no zeros: a column of 0.00% says nothing.
  const sparse = results.some((r) => r.report.final.sparsity !== 0);
  // Speed-ups when every configuration timed latency: baseline and final in alternation, in the same process.
  const timed = results.every((r) => r.report.baseline.latencyMs && r.report.final.latencyMs);
  const header = ['#', ...sweep.shortNames, label, `Δ ${label}`, ...(sparse ? ['sparsity reached'] : []), 'params', 'FLOPs', 'bytes', 'ratio', ...(timed ? ['speed-up b1', 'speed-up b32'] : []), 'time'];
  const delta = (r: PipelineJobResult): string => {
    const d = r.report.final.metric.value - r.report.baseline.metric.value;
    const points = r.report.task.metric === 'accuracy' || r.report.task.metric === 'binaryAccuracy';
    return `${d >= 0 ? '+' : ''}${points ? (100 * d).toFixed(2) : d.toPrecision(3)}`;
  };
  const rows = sweep.configurations.map((c, i) => {
    const r = results[i];
    const f = r.report.final;
    const b = r.report.baseline;
    const speedups = timed ? [`${(b.latencyMs!.batch1 / f.latencyMs!.batch1).toFixed(2)}x`, `${(b.latencyMs!.batch32 / f.latencyMs!.batch32).toFixed(2)}x`] : [];
    return [String(i + 1), ...sweep.keys.map((k) => (typeof c.values[k] === 'string' ? (c.values[k] as string) : JSON.stringify(c.values[k]))), formatMetric(f.metric), delta(r), ...(sparse ? [pct(f.sparsity)] : []), int(f.params), int(f.flops), int(f.encodedBytes), `${f.compressionRatio.toFixed(2)}x`, ...speedups, `${(r.report.durationMs / 1000).toFixed(1)} s`];
  });
  const summary = {
    sweep: path.basename(sweep.file),
    pipeline: path.relative(path.dirname(sweep.file), sweep.pipeline.file),
    keys: sweep.keys,
    baseline: { metric: first.baseline.metric, params: first.baseline.params, bytesFloat32: first.baseline.bytesFloat32 },
    durationMs: Date.now() - started,
    configurations: sweep.configurations.map((c, i) => ({
      label: c.label,
      values: c.values,
      folder: configurationFolder(c, total),
      final: results[i].report.final,
      durationMs: results[i].report.durationMs,
      warnings: results[i].warnings,
    })),
  };
  writeFileAtomic(path.join(out, 'sweep.json'), `${JSON.stringify(summary, null, 2)}\n`);
  const warnings = results.flatMap((r, i) => r.warnings.map((w) => `warning: configuration ${i + 1} (${sweep.configurations[i].label}): ${w}`));
  process.stdout.write(`\n${label} before: ${formatMetric(first.baseline.metric)}, ${int(first.baseline.bytesFloat32)} B float32\n${formatTable(header, rows)}\n\n`);
  if (warnings.length > 0) process.stdout.write(`${warnings.join('\n')}\n\n`);
  process.stdout.write(`${total} configuration(s) in ${((Date.now() - started) / 1000).toFixed(1)} s; wrote ${out}/{sweep.json,<configuration>/}\n`);
}

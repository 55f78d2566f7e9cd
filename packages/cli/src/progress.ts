/**
 * Shows pipeline progress: a redrawn bar on a TTY, plain lines otherwise (CI logs). It taps
 * the `progress` hook and doubles as the run's logger so log lines never tear the bar.
 */
import type { Logger, PipelineHooks, ProgressEvent } from '@nncompress/core';

export class ProgressReporter implements Logger {
  private barShown = false;
  private lastPlain = '';
  private lastPlainQuarter = -1;

  constructor(
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly verbose = false,
    private readonly tty = Boolean(process.stderr.isTTY) && !process.env.CI,
  ) {}

  attach(hooks: PipelineHooks): void {
    hooks.progress.tap('ProgressReporter', (event) => this.onProgress(event));
  }

  info(message: string): void {
    this.clearBar();
    this.stream.write(`${message}\n`);
  }

  warn(message: string): void {
    this.info(`warning: ${message}`);
  }

  debug(message: string): void {
    if (this.verbose) this.info(message);
  }

  done(): void {
    this.clearBar();
  }

  private clearBar(): void {
    if (this.barShown) {
      this.stream.write('\r\x1b[K');
      this.barShown = false;
    }
  }

  private onProgress(event: ProgressEvent): void {
    const label = `${event.phase}${event.message ? `: ${event.message}` : ''}`;
    const fraction = event.total ? (event.done ?? 0) / event.total : undefined;
    if (this.tty) {
      const width = 30;
      const bar = fraction === undefined ? '' : `[${'#'.repeat(Math.round(fraction * width)).padEnd(width, '.')}] ${Math.floor(100 * fraction)}% `;
      this.stream.write(`\r\x1b[K${bar}${label}`.slice(0, (this.stream.columns ?? 120) + 4));
      this.barShown = true;
      return;
    }
    // Plain mode: one line per new step, and at each quarter of a long step.
    const quarter = fraction === undefined ? -1 : Math.floor(fraction * 4);
    if (label !== this.lastPlain) {
      this.lastPlain = label;
      this.lastPlainQuarter = quarter;
      this.stream.write(`${label}${fraction !== undefined ? ` ${Math.floor(100 * fraction)}%` : ''}\n`);
    } else if (quarter !== this.lastPlainQuarter && quarter > 0) {
      this.lastPlainQuarter = quarter;
      this.stream.write(`${label} ${quarter * 25}%\n`);
    }
  }
}

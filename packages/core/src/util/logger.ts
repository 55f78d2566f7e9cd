/** Where core and plugins send human-readable messages. The CLI supplies one that cooperates with its progress bar. */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  /** Shown only with --verbose. */
  debug(message: string): void;
}

/** A `Logger` that writes to stderr (`warning: ` before warnings; debug lines only when `verbose`). */
export class ConsoleLogger implements Logger {
  constructor(private readonly verbose = false) {}
  info(message: string): void {
    process.stderr.write(`${message}\n`);
  }
  warn(message: string): void {
    process.stderr.write(`warning: ${message}\n`);
  }
  debug(message: string): void {
    if (this.verbose) process.stderr.write(`${message}\n`);
  }
}

/** Discards everything; for library use and tests. */
export const silentLogger: Logger = { info: () => {}, warn: () => {}, debug: () => {} };

/**
 * Typed errors. Every user-facing failure is an NncError whose message is one line that
 * names what is wrong and where (a config path, a file, a plugin). The CLI prints
 * `message` alone and shows the stack only with --verbose.
 */
export class NncError extends Error {
  /** Stable machine-readable code, e.g. `E_CONFIG`. */
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A config file that cannot be read, parsed or validated. `path` is like `stages[1].target.sparsity`. */
export class ConfigError extends NncError {
  constructor(message: string, readonly file?: string, readonly path?: string) {
    super('E_CONFIG', message);
  }
}

/** A missing, unreadable or malformed input (model file, dataset, output folder). */
export class InputError extends NncError {
  constructor(message: string) {
    super('E_INPUT', message);
  }
}

/** A plugin that cannot be resolved or loaded, has bad options, or failed inside a hook. */
export class PluginError extends NncError {
  constructor(message: string, readonly plugin: string, readonly hook?: string) {
    super('E_PLUGIN', message);
  }
}

/**
 * What a thrown value says, on one line: an Error's first line, or the value itself. Plugins
 * and config modules may throw anything (a string, null); the message still names it.
 */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message.split('\n')[0];
  if (typeof err === 'string') return err.split('\n')[0];
  if (err === null || err === undefined) return `threw ${String(err)}`;
  try {
    return `threw ${JSON.stringify(err)}`;
  } catch {
    return `threw ${String(err)}`;
  }
}

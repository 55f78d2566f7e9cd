/**
 * A malformed or truncated .nnc input. `offset` is the byte position in the file where the
 * problem was found; the message names it and what was expected there.
 */
export class NncFormatError extends Error {
  constructor(
    readonly offset: number,
    readonly expected: string,
    readonly detail?: string,
  ) {
    super(`at byte ${offset}: expected ${expected}${detail ? `, ${detail}` : ''}`);
    this.name = 'NncFormatError';
  }
}

/** A value an encoder cannot represent under its rules (e.g. NaN for a lossy codec). */
export class NncEncodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NncEncodeError';
  }
}

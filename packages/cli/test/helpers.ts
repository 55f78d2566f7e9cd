import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The built `nncompress` bin, run as a user would (npm test builds first). */
export const BIN = path.resolve(__dirname, '../bin/nncompress.js');
export const REPO = path.resolve(__dirname, '../../..');
export const LENET300 = path.join(REPO, 'examples/mnist-lenet/models/lenet-300-100/model.json');

export function nncompress(args: string[], cwd = REPO): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', env: { ...process.env, CI: 'true' }, timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * A refusal as users must see it: exit code 1, exactly one `nncompress: error:` line matching
 * `pattern`, no stack; with `out`, nothing written there and no temporary file left beside it.
 */
export function expectOneLineError(r: { code: number | null; stderr: string }, pattern: RegExp, out?: string): void {
  expect(r.code).toBe(1);
  const errors = r.stderr.split('\n').filter((l) => l.startsWith('nncompress: error:'));
  expect(errors).toHaveLength(1);
  expect(errors[0]).toMatch(pattern);
  expect(r.stderr).not.toMatch(/^\s+at /m);
  if (out === undefined) return;
  expect(fs.existsSync(out)).toBe(false);
  expect(fs.readdirSync(path.dirname(out)).filter((f) => f.includes('.tmp-'))).toEqual([]);
}

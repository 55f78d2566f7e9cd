import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

/** The built `nncompress` bin, run as a user would (npm test builds first). */
export const BIN = path.resolve(__dirname, '../bin/nncompress.js');
export const REPO = path.resolve(__dirname, '../../..');
export const LENET300 = path.join(REPO, 'examples/mnist-lenet/models/lenet-300-100/model.json');

export function nncompress(args: string[], cwd = REPO): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', env: { ...process.env, CI: 'true' }, timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

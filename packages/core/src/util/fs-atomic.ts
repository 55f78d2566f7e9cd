import * as fs from 'node:fs';
import * as path from 'node:path';

/** Writes a file by temp + rename so that a crash never leaves a half-written file behind. */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, file);
}

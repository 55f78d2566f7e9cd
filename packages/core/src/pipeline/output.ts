/**
 * The run's output folder, written all at once: files go to a sibling temp folder which
 * replaces the destination only when the run succeeded. The destination must not hold an
 * input, and an existing non-empty folder is only replaced if it is a previous nncompress
 * output (it has report.json).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InputError } from '../errors';
import { isInside, overwrittenInput, sweepStale } from '../util/output-safety';

export class OutputFolder {
  readonly dir: string;
  readonly tmp: string;

  /** `inputs`: every file the run reads (config, model.json, weight shards). */
  constructor(outDir: string, inputs: readonly string[]) {
    if (outDir.trim() === '') throw new InputError('--out: must name a folder, got an empty path');
    this.dir = path.resolve(outDir);
    // Real paths: an --out through a link to the input's folder is the input's folder.
    const hit = overwrittenInput(this.dir, inputs, true);
    if (hit) throw new InputError(`--out ${outDir}: would overwrite the input ${hit}; choose another output folder`);
    if (fs.existsSync(this.dir)) {
      if (fs.lstatSync(this.dir).isSymbolicLink()) throw new InputError(`--out ${outDir}: is a link; give the folder's own path`);
      if (!fs.statSync(this.dir).isDirectory()) throw new InputError(`--out ${outDir}: exists and is not a folder`);
      const entries = fs.readdirSync(this.dir);
      if (entries.length > 0 && !entries.includes('report.json')) {
        throw new InputError(`--out ${outDir}: folder exists, is not empty and is not an nncompress output; refusing to replace it`);
      }
    }
    this.tmp = `${this.dir}.tmp-${process.pid}`;
    // What a killed earlier run left beside the destination goes now. (No signal handler:
    // training blocks the event loop, and a handler would keep Ctrl-C from stopping it.)
    sweepStale(this.dir);
  }

  /** Creates the temp folder; call once the inputs have been read and checked. */
  open(): void {
    fs.rmSync(this.tmp, { recursive: true, force: true });
    fs.mkdirSync(this.tmp, { recursive: true });
  }

  /** Absolute path of a file inside the temp folder. Rejects names that escape it. */
  file(name: string): string {
    const p = path.resolve(this.tmp, name);
    if (!isInside(p, this.tmp) || p === this.tmp) throw new InputError(`output file name "${name}" escapes the output folder`);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    return p;
  }

  /** Moves the finished temp folder into place. */
  commit(): void {
    const old = `${this.dir}.old-${process.pid}`;
    const hadOld = fs.existsSync(this.dir);
    if (hadOld) fs.renameSync(this.dir, old);
    fs.renameSync(this.tmp, this.dir);
    if (hadOld) fs.rmSync(old, { recursive: true, force: true });
  }

  /** Removes the temp folder after a failure; the destination is untouched. */
  abandon(): void {
    fs.rmSync(this.tmp, { recursive: true, force: true });
  }
}

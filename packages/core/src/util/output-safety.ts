/**
 * Outputs never land on an input, and temporary files never outlive the process.
 *
 * Paths are compared by what they really name: the real path of the nearest existing
 * ancestor plus the rest (so `-o` through a link to the model's folder is caught), and the
 * device and inode of files that exist (so a hard link is caught too).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The real path `p` names, following links through its longest existing prefix. */
export function realPathOf(p: string): string {
  const abs = path.resolve(p);
  let existing = abs;
  const rest: string[] = [];
  while (!fs.existsSync(existing)) {
    const parent = path.dirname(existing);
    if (parent === existing) break;
    rest.unshift(path.basename(existing));
    existing = parent;
  }
  return path.join(fs.realpathSync(existing), ...rest);
}

function sameFile(a: string, b: string): boolean {
  if (!fs.existsSync(a) || !fs.existsSync(b)) return false;
  const x = fs.statSync(a);
  const y = fs.statSync(b);
  return x.dev === y.dev && x.ino === y.ino;
}

/** `child` is `parent` or lies below it (paths compared as given). */
export function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/**
 * The input among `inputs` that writing `output` would overwrite, or undefined. With
 * `folder`, `output` is a folder that will be replaced whole: any input inside it counts.
 */
export function overwrittenInput(output: string, inputs: readonly string[], folder = false): string | undefined {
  const out = realPathOf(output);
  for (const input of inputs) {
    const real = realPathOf(input);
    if (real === out || sameFile(real, out) || (folder && isInside(real, out))) return input;
  }
  return undefined;
}

/** True while process `pid` exists (signal 0 checks without sending anything). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes what an earlier, killed process left beside `target` (`<target>.tmp-<pid>` and
 * `<target>.old-<pid>` of processes that no longer run). A process that is killed, or that
 * cannot take a signal while it computes, cannot clean up after itself; the next one does.
 */
export function sweepStale(target: string): void {
  const dir = path.dirname(path.resolve(target));
  const base = path.basename(path.resolve(target));
  if (!fs.existsSync(dir)) return;
  for (const entry of fs.readdirSync(dir)) {
    const m = /^(.*)\.(tmp|old)-(\d+)$/.exec(entry);
    if (!m || m[1] !== base || Number(m[3]) === process.pid || alive(Number(m[3]))) continue;
    fs.rmSync(path.join(dir, entry), { recursive: true, force: true });
  }
}

/** Temporary files and folders to remove if the process is interrupted before they are committed. */
const pending = new Set<string>();
let hooked = false;

function removePending(): void {
  for (const p of pending) fs.rmSync(p, { recursive: true, force: true });
  pending.clear();
}

/**
 * Registers a temporary path for removal on Ctrl-C, SIGTERM, SIGHUP or exit; `release` it once
 * it has been renamed into place or removed. Only for work that waits on I/O (a decode): a
 * signal handler runs when the event loop turns, so a process busy computing would not stop
 * at Ctrl-C at all; such work leaves its temporary folder to `sweepStale` instead. After cleaning up, a signal handler re-raises its
 * signal with the default action, so the process ends as if the handler were not there (the
 * shell sees 128 + the signal number). process.exit() would not do: it waits for the thread
 * pool, which a read from a stalled pipe can block forever.
 */
export function removeOnExit(p: string): { release(): void } {
  if (!hooked) {
    hooked = true;
    process.on('exit', removePending);
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
      process.once(signal, () => {
        removePending();
        process.kill(process.pid, signal);
      });
    }
  }
  pending.add(p);
  return { release: () => void pending.delete(p) };
}

/**
 * Where a dataset's feature rows live: in memory (a typed array), or in a file on disk for
 * data larger than memory should hold, read a batch at a time. A store on disk is told which
 * rows the next batch needs while the current one trains, and a background thread reads them
 * ahead (training and evaluation are synchronous, so the read must happen off the main thread
 * to overlap with them).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';

/** Features as a source stores them: float32, or uint8 (images) turned into floats one batch at a time. */
export type FeatureArray = Float32Array | Uint8Array;

export type FeatureDtype = 'uint8' | 'float32';

/** Rows of `rowSize` feature values, one per example. */
export interface FeatureRows {
  readonly dtype: FeatureDtype;
  /** Number of rows (examples). */
  readonly count: number;
  /** Values per row. */
  readonly rowSize: number;
  /** The values row after row, when they are held in memory; undefined for rows on disk. */
  readonly inMemory?: FeatureArray;
  /** Bytes of feature values this store keeps in memory (0 on disk). */
  readonly bytesInMemory: number;
  /** Copies the rows at `indices`, one after another, into `out` (of this store's dtype). */
  read(indices: ArrayLike<number>, out: FeatureArray): void;
  /** Says which rows a coming `read` asks for, so that a store on disk reads them in the background. */
  readAhead(indices: ArrayLike<number>): void;
  /** The rows at `indices`, in that order: a copy in memory, a view of the same file on disk. */
  select(indices: ArrayLike<number>): FeatureRows;
}

const BYTES: Record<FeatureDtype, number> = { uint8: 1, float32: 4 };

function bytesOf(array: FeatureArray, start = 0, length = array.length): Uint8Array {
  return new Uint8Array(array.buffer, array.byteOffset + start * array.BYTES_PER_ELEMENT, length * array.BYTES_PER_ELEMENT);
}

/** An empty array of `dtype`. */
export function featureArray(dtype: FeatureDtype, length: number): FeatureArray {
  return dtype === 'uint8' ? new Uint8Array(length) : new Float32Array(length);
}

/** Rows held in one typed array. */
export class MemoryRows implements FeatureRows {
  readonly dtype: FeatureDtype;
  readonly count: number;

  constructor(
    readonly inMemory: FeatureArray,
    readonly rowSize: number,
  ) {
    this.dtype = inMemory instanceof Uint8Array ? 'uint8' : 'float32';
    this.count = rowSize > 0 ? inMemory.length / rowSize : 0;
  }

  get bytesInMemory(): number {
    return this.inMemory.byteLength;
  }

  read(indices: ArrayLike<number>, out: FeatureArray): void {
    const size = this.rowSize;
    for (let i = 0; i < indices.length; i++) out.set(this.inMemory.subarray(indices[i] * size, (indices[i] + 1) * size), i * size);
  }

  readAhead(): void {}

  select(indices: ArrayLike<number>): FeatureRows {
    const out = featureArray(this.dtype, indices.length * this.rowSize);
    this.read(indices, out);
    return new MemoryRows(out, this.rowSize);
  }
}

/** A read-ahead request: file rows being read into a shared buffer by the reader thread. */
interface Pending {
  readonly positions: Int32Array;
  readonly buffer: SharedArrayBuffer;
  /** 0 while reading, 1 when done, 2 when the read failed (the caller then reads for itself, and sees the error). */
  readonly status: Int32Array;
}

/** An open file of rows written by `RowFileWriter`. Its descriptor closes when no store refers to it any more. */
class RowFile {
  readonly rowBytes: number;
  readonly pending: Pending[] = [];
  /**
   * Buffers of finished requests, for the next ones: the collector does not see shared
   * buffers as memory pressure, so one per batch would pile up as garbage (hundreds of MB
   * over an epoch of large images) before it runs.
   */
  private readonly spare: SharedArrayBuffer[] = [];

  constructor(
    readonly fd: number,
    readonly where: string,
    readonly dtype: FeatureDtype,
    readonly rowSize: number,
    readonly count: number,
  ) {
    this.rowBytes = rowSize * BYTES[dtype];
  }

  /** A shared buffer of at least `bytes`, reused when one is spare. */
  buffer(bytes: number): SharedArrayBuffer {
    const i = this.spare.findIndex((b) => b.byteLength >= bytes);
    return i >= 0 ? this.spare.splice(i, 1)[0] : new SharedArrayBuffer(bytes);
  }

  /** Gives back the buffer of a request that is finished (never one the reader may still write). */
  release(p: Pending): void {
    if (Atomics.load(p.status, 0) !== 0 && this.spare.length < 3) this.spare.push(p.buffer);
  }

  /** Reads file rows `positions` into `out` synchronously, one read per run of consecutive rows. */
  readNow(positions: ArrayLike<number>, out: Uint8Array): void {
    const rowBytes = this.rowBytes;
    for (let i = 0; i < positions.length; ) {
      let run = 1;
      while (i + run < positions.length && positions[i + run] === positions[i] + run) run++;
      readFully(this.fd, out, i * rowBytes, run * rowBytes, positions[i] * rowBytes, this.where);
      i += run;
    }
  }
}

function readFully(fd: number, out: Uint8Array, at: number, length: number, position: number, where: string): void {
  let done = 0;
  while (done < length) {
    const n = fs.readSync(fd, out, at + done, length - done, position + done);
    if (n === 0) throw new Error(`${where}: the rows file ends at byte ${position + done}, before the rows it holds`);
    done += n;
  }
}

const closeWhenUnreachable = new FinalizationRegistry<number>((fd) => {
  try {
    fs.closeSync(fd);
  } catch {
    // Already closed: nothing is lost.
  }
});

/** Rows in a `RowFile`, in the order `index` gives (all of the file's rows, in order, when absent). */
class FileRows implements FeatureRows {
  readonly bytesInMemory = 0;
  readonly count: number;

  constructor(
    private readonly file: RowFile,
    private readonly index?: Int32Array,
  ) {
    this.count = index ? index.length : file.count;
  }

  get dtype(): FeatureDtype {
    return this.file.dtype;
  }

  get rowSize(): number {
    return this.file.rowSize;
  }

  private positions(indices: ArrayLike<number>): Int32Array {
    const out = new Int32Array(indices.length);
    for (let i = 0; i < indices.length; i++) {
      const j = indices[i];
      if (!(j >= 0 && j < this.count)) throw new Error(`${this.file.where}: row ${j} is outside the ${this.count} rows`);
      out[i] = this.index ? this.index[j] : j;
    }
    return out;
  }

  read(indices: ArrayLike<number>, out: FeatureArray): void {
    const positions = this.positions(indices);
    const target = bytesOf(out, 0, positions.length * this.file.rowSize);
    const pending = this.file.pending;
    const found = pending.findIndex((p) => sameRows(p.positions, positions));
    if (found >= 0) {
      // Requests before this one were read-ahead that no one asked for: drop them.
      const dropped = pending.splice(0, found + 1);
      const p = dropped.pop()!;
      for (const d of dropped) this.file.release(d);
      const ok = awaitRead(p);
      if (ok) {
        target.set(new Uint8Array(p.buffer, 0, target.length));
        servedAhead++;
      }
      this.file.release(p);
      if (ok) return;
    }
    this.file.readNow(positions, target);
  }

  readAhead(indices: ArrayLike<number>): void {
    const reader = rowReader();
    if (!reader || indices.length === 0) return;
    const positions = this.positions(indices);
    const request: Pending = { positions, buffer: this.file.buffer(positions.length * this.file.rowBytes), status: new Int32Array(new SharedArrayBuffer(4)) };
    // Two batches ahead at most: a generator abandoned mid-way leaves no more than that behind.
    if (this.file.pending.length >= 2) this.file.release(this.file.pending.shift()!);
    this.file.pending.push(request);
    reader.postMessage({ fd: this.file.fd, rowBytes: this.file.rowBytes, positions, buffer: request.buffer, status: request.status });
  }

  select(indices: ArrayLike<number>): FeatureRows {
    return new FileRows(this.file, this.positions(indices));
  }
}

function sameRows(a: Int32Array, b: Int32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The reader thread: reads the rows a request names into its shared buffer and wakes the
 * main thread through the status word. Plain JavaScript evaluated in a worker, so it runs
 * the same from the built package and from the TypeScript sources under test.
 */
const READER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const fs = require('node:fs');
parentPort.on('message', ({ fd, rowBytes, positions, buffer, status }) => {
  const out = new Uint8Array(buffer);
  const flag = new Int32Array(status.buffer);
  try {
    for (let i = 0; i < positions.length; ) {
      let run = 1;
      while (i + run < positions.length && positions[i + run] === positions[i] + run) run++;
      const length = run * rowBytes;
      let done = 0;
      while (done < length) {
        const n = fs.readSync(fd, out, i * rowBytes + done, length - done, positions[i] * rowBytes + done);
        if (n === 0) throw new Error('end of file');
        done += n;
      }
      i += run;
    }
    Atomics.store(flag, 0, 1);
  } catch {
    Atomics.store(flag, 0, 2);
  }
  Atomics.notify(flag, 0);
});
`;

let reader: Worker | undefined;
let servedAhead = 0;

/** Reads served by the reader thread so far in this process (for tests and the bench: read-ahead is working). */
export function readsServedAhead(): number {
  return servedAhead;
}

let readerDisabled = false;

function rowReader(): Worker | undefined {
  if (readerDisabled) return undefined;
  if (!reader) {
    try {
      reader = new Worker(READER_SOURCE, { eval: true });
      // The reader never keeps a process alive that has nothing else to do.
      reader.unref();
    } catch {
      readerDisabled = true;
      return undefined;
    }
  }
  return reader;
}

/**
 * Waits for a read-ahead request; false when it failed or the reader does not answer (the
 * caller then reads for itself). A reader that does not answer within the timeout is not
 * asked again, so a broken thread costs one wait, not one per batch.
 */
function awaitRead(p: Pending): boolean {
  const state = Atomics.wait(p.status, 0, 0, 30_000);
  if (state === 'timed-out') {
    readerDisabled = true;
    return false;
  }
  return Atomics.load(p.status, 0) === 1;
}

/** Where rows go when written to disk, and the file's description in messages. */
export interface RowFileOptions {
  /** Folder of the file (default: the system's temporary folder). */
  readonly dir?: string;
  /** What the rows are, for messages ("image-folder train"). */
  readonly what: string;
}

/**
 * Writes `count` rows of `rowSize` values into a new file, in any order, and then reads them
 * as a `FeatureRows`. The file is removed from its folder as soon as it is open, so it takes
 * no space once the process ends, whatever way it ends; the space is freed when the last
 * store reading it is garbage-collected or the process exits.
 */
export class RowFileWriter {
  private readonly file: RowFile;
  private written = 0;

  constructor(dtype: FeatureDtype, rowSize: number, count: number, options: RowFileOptions) {
    const dir = options.dir ?? os.tmpdir();
    if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new Error(`no such folder for the rows of ${options.what} on disk: ${dir}`);
    const name = path.join(dir, `.nncompress-rows-${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}.bin`);
    // wx+: a fresh file, never one that is already there.
    const fd = fs.openSync(name, 'wx+', 0o600);
    try {
      fs.unlinkSync(name);
    } catch {
      // A system that cannot unlink an open file removes it at exit instead.
      process.once('exit', () => fs.rmSync(name, { force: true }));
    }
    this.file = new RowFile(fd, `${options.what} rows on disk (${dir})`, dtype, rowSize, count);
    closeWhenUnreachable.register(this.file, fd);
  }

  /** Writes row `row` (its `rowSize` values). */
  write(row: number, values: FeatureArray): void {
    const f = this.file;
    if (values.length !== f.rowSize) throw new Error(`${f.where}: row ${row} has ${values.length} values, not ${f.rowSize}`);
    if (!(row >= 0 && row < f.count)) throw new Error(`${f.where}: row ${row} is outside the ${f.count} rows`);
    const bytes = bytesOf(values);
    let done = 0;
    while (done < bytes.length) done += fs.writeSync(f.fd, bytes, done, bytes.length - done, row * f.rowBytes + done);
    this.written++;
  }

  /** The rows written, read from the file. */
  rows(): FeatureRows {
    const f = this.file;
    if (this.written < f.count) throw new Error(`${f.where}: ${this.written} of ${f.count} rows written`);
    return new FileRows(f);
  }
}

/** `storage` of a source that can keep its rows on disk. */
export type RowStorage = 'auto' | 'memory' | 'disk';

/**
 * Bytes of features `auto` storage keeps in memory: an eighth of the machine's memory, which
 * leaves room for the model, its gradients and the copies a sensitivity run's workers make.
 */
export function inMemoryBudget(): number {
  return Math.floor(os.totalmem() / 8);
}

/** True when rows of `bytes` go to disk under `storage`. */
export function rowsOnDisk(storage: RowStorage, bytes: number): boolean {
  return storage === 'disk' || (storage === 'auto' && bytes > inMemoryBudget());
}

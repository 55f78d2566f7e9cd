/**
 * Reading an .nnc file as its bytes arrive (a fetch body, a Node file stream): the header
 * first, then each tensor as soon as its payload is complete. Only the header and one
 * tensor's payload (plus the chunk in hand) are held at a time, never the whole file.
 */
import { ByteReader } from './bytes';
import { CodecRegistry, codecs as defaultRegistry } from './codecs/registry';
import { decodePayload, NncHeader, NncTensorEntry, parseHeader, PREFIX, ReadLimits, readPrefix } from './container';
import { NncFormatError } from './errors';

/** Chunks of bytes: any async iterable of Uint8Array (a Node stream, an async generator) or a web ReadableStream. */
export type ByteSource = AsyncIterable<Uint8Array> | ReadableStream<Uint8Array>;

const EMPTY = new Uint8Array(0);

export interface NncStream {
  readonly header: NncHeader;
  /** Every tensor in file order, each decoded once its payload has arrived. Iterate once. */
  tensors(): AsyncGenerator<{ entry: NncTensorEntry; values: Float32Array }>;
  /** The most bytes the reader has held buffered at one time so far. */
  readonly peakBufferedBytes: number;
  /** Stops reading and releases the source (a file handle, a connection); `tensors()` does so when it ends. */
  close(): Promise<void>;
}

function chunksOf(source: ByteSource): AsyncIterator<Uint8Array> {
  if (Symbol.asyncIterator in source) return (source as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
  // Web streams are not async-iterable in every browser yet.
  const reader = (source as ReadableStream<Uint8Array>).getReader();
  return {
    next: async () => {
      const { done, value } = await reader.read();
      return done ? { done: true, value: undefined } : { done: false, value };
    },
    return: async () => {
      await reader.cancel();
      return { done: true, value: undefined };
    },
  };
}

/**
 * Pulls chunks on demand and hands out exact byte counts; knows its file offset for errors.
 * Consumed chunks are dropped by advancing an index, not by shifting the array, so a source
 * of many tiny chunks (a slow server) costs time linear in its bytes.
 */
class ChunkQueue {
  private chunks: Uint8Array[] = [];
  /** Index of the first chunk not yet consumed. */
  private head = 0;
  private buffered = 0;
  private ended = false;
  /** File offset of the first buffered byte. */
  offset = 0;
  peak = 0;

  constructor(private readonly source: AsyncIterator<Uint8Array>) {}

  private async fill(n: number, what: string): Promise<void> {
    while (this.buffered < n) {
      const next = this.ended ? { done: true as const, value: undefined } : await this.source.next();
      if (next.done) {
        this.ended = true;
        throw new NncFormatError(this.offset, `${what} (${n} bytes)`, `but the input ends after ${this.buffered}`);
      }
      if (!(next.value instanceof Uint8Array)) throw new TypeError(`an .nnc byte stream must yield Uint8Array chunks, got ${Object.prototype.toString.call(next.value)}`);
      if (next.value.length === 0) continue;
      this.chunks.push(next.value);
      this.buffered += next.value.length;
      this.peak = Math.max(this.peak, this.buffered);
    }
  }

  /** Consumes `part` bytes of the first chunk. */
  private consume(part: number): void {
    const first = this.chunks[this.head];
    if (part === first.length) {
      this.chunks[this.head++] = EMPTY;
      // Drop the consumed prefix now and then, so the array does not grow with the file.
      if (this.head > 1024 && this.head * 2 > this.chunks.length) {
        this.chunks = this.chunks.slice(this.head);
        this.head = 0;
      }
    } else this.chunks[this.head] = first.subarray(part);
    this.buffered -= part;
    this.offset += part;
  }

  /** The next `n` bytes, as one array. */
  async take(n: number, what: string): Promise<Uint8Array> {
    await this.fill(n, what);
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const first = this.chunks[this.head];
      const part = Math.min(first.length, n - filled);
      out.set(first.subarray(0, part), filled);
      filled += part;
      this.consume(part);
    }
    return out;
  }

  /** True when the source has no byte left (reads at most one more chunk). */
  async atEnd(): Promise<boolean> {
    if (this.buffered > 0) return false;
    try {
      await this.fill(1, 'more bytes');
      return false;
    } catch (err) {
      if (err instanceof NncFormatError && this.ended) return true;
      throw err;
    }
  }

  async close(): Promise<void> {
    this.chunks = [];
    this.head = 0;
    this.buffered = 0;
    if (!this.ended) await this.source.return?.();
    this.ended = true;
  }
}

/**
 * Opens an .nnc byte stream: reads and checks the prefix and header, and returns a reader
 * whose `tensors()` decodes the payloads in file order as they arrive. The header is held to
 * the same rules and `limits` as `readNnc` (payloads in order, without overlap, gaps or
 * trailing bytes). Errors are `NncFormatError`s naming the file offset.
 */
export async function openNncStream(source: ByteSource, registry: CodecRegistry = defaultRegistry, limits?: ReadLimits): Promise<NncStream> {
  const queue = new ChunkQueue(chunksOf(source));
  let header: NncHeader;
  try {
    const prefixBytes = await queue.take(PREFIX, 'the 16-byte .nnc prefix');
    const prefix = readPrefix(prefixBytes);
    const stored = await queue.take(prefix.headerLength, 'the header');
    header = parseHeader(prefix, new ByteReader(stored, PREFIX), undefined, limits);
  } catch (err) {
    await queue.close();
    throw err;
  }
  const payloadStart = queue.offset;
  let state: 'ready' | 'reading' | 'closed' = 'ready';
  return {
    header,
    get peakBufferedBytes() {
      return queue.peak;
    },
    close: async () => {
      state = 'closed';
      await queue.close();
    },
    async *tensors() {
      if (state !== 'ready') throw new Error(`this .nnc stream is ${state === 'reading' ? 'already being read' : 'closed'}: a stream is read once; open it again to read it again`);
      state = 'reading';
      try {
        // parseHeader has checked that the payloads follow one another in file order.
        for (const entry of header.tensors) {
          const at = payloadStart + entry.offset;
          const bytes = await queue.take(entry.length, `tensor "${entry.name}" payload`);
          yield { entry, values: decodePayload(entry, bytes, at, registry) };
        }
        // As the whole-file reader: nothing may follow the last payload.
        if (!(await queue.atEnd())) throw new NncFormatError(queue.offset, 'the end of the file after the last payload', 'more bytes follow');
      } finally {
        state = 'closed';
        await queue.close();
      }
    },
  };
}

/**
 * Reading an .nnc file as its bytes arrive (a fetch body, a Node file stream): the header
 * first, then each tensor as soon as its payload is complete. Only the header and one
 * tensor's payload (plus the chunk in hand) are held at a time, never the whole file.
 */
import { ByteReader } from './bytes';
import { CodecRegistry, codecs as defaultRegistry } from './codecs/registry';
import { decodePayload, NncHeader, NncTensorEntry, parseHeader, PREFIX, readPrefix } from './container';
import { NncFormatError } from './errors';

/** Chunks of bytes: any async iterable of Uint8Array (a Node stream, an async generator) or a web ReadableStream. */
export type ByteSource = AsyncIterable<Uint8Array> | ReadableStream<Uint8Array>;

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

/** Pulls chunks on demand and hands out exact byte counts; knows its file offset for errors. */
class ChunkQueue {
  private readonly chunks: Uint8Array[] = [];
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

  /** The next `n` bytes, as one array. */
  async take(n: number, what: string): Promise<Uint8Array> {
    await this.fill(n, what);
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const head = this.chunks[0];
      const part = Math.min(head.length, n - filled);
      out.set(head.subarray(0, part), filled);
      filled += part;
      if (part === head.length) this.chunks.shift();
      else this.chunks[0] = head.subarray(part);
    }
    this.buffered -= n;
    this.offset += n;
    return out;
  }

  /** Drops the next `n` bytes without keeping them. */
  async skip(n: number, what: string): Promise<void> {
    while (n > 0) {
      await this.fill(1, what);
      const head = this.chunks[0];
      const part = Math.min(head.length, n);
      if (part === head.length) this.chunks.shift();
      else this.chunks[0] = head.subarray(part);
      this.buffered -= part;
      this.offset += part;
      n -= part;
    }
  }

  async close(): Promise<void> {
    this.chunks.length = 0;
    this.buffered = 0;
    if (!this.ended) await this.source.return?.();
    this.ended = true;
  }
}

/**
 * Opens an .nnc byte stream: reads and checks the prefix and header, and returns a reader
 * whose `tensors()` decodes the payloads in file order as they arrive. Tensors must be stored
 * in payload order without overlap, as `writeNnc` writes them; a file that is not says so
 * (read it whole with `readNnc`). Errors are `NncFormatError`s naming the file offset.
 */
export async function openNncStream(source: ByteSource, registry: CodecRegistry = defaultRegistry): Promise<NncStream> {
  const queue = new ChunkQueue(chunksOf(source));
  let header: NncHeader;
  try {
    const prefixBytes = await queue.take(PREFIX, 'the 16-byte .nnc prefix');
    const prefix = readPrefix(prefixBytes);
    const stored = await queue.take(prefix.headerLength, 'the header');
    header = parseHeader(prefix, new ByteReader(stored, PREFIX), undefined);
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
        for (const entry of header.tensors) {
          const at = payloadStart + entry.offset;
          if (at < queue.offset) {
            throw new NncFormatError(at, `tensor "${entry.name}" after the previous tensor's payload (a streaming read needs file order)`, `it starts at byte ${at}, before byte ${queue.offset}; read the file whole with readNnc`);
          }
          await queue.skip(at - queue.offset, `the bytes before tensor "${entry.name}"`);
          const bytes = await queue.take(entry.length, `tensor "${entry.name}" payload`);
          yield { entry, values: decodePayload(entry, bytes, at, registry) };
        }
      } finally {
        state = 'closed';
        await queue.close();
      }
    },
  };
}

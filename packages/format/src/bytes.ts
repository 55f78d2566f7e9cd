import { NncFormatError } from './errors';

/** A growable little-endian byte buffer. */
export class ByteWriter {
  private buffer = new Uint8Array(256);
  private view = new DataView(this.buffer.buffer);
  length = 0;

  private reserve(n: number): void {
    if (this.length + n <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buffer.subarray(0, this.length));
    this.buffer = next;
    this.view = new DataView(next.buffer);
  }

  u8(v: number): this {
    this.reserve(1);
    this.buffer[this.length++] = v;
    return this;
  }

  u16(v: number): this {
    this.reserve(2);
    this.view.setUint16(this.length, v, true);
    this.length += 2;
    return this;
  }

  u32(v: number): this {
    this.reserve(4);
    this.view.setUint32(this.length, v >>> 0, true);
    this.length += 4;
    return this;
  }

  f32(v: number): this {
    this.reserve(4);
    this.view.setFloat32(this.length, v, true);
    this.length += 4;
    return this;
  }

  /** Unsigned LEB128, for integers up to 2^53. */
  varint(v: number): this {
    if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`varint must be a non-negative safe integer, got ${v}`);
    while (v >= 0x80) {
      this.u8((v % 0x80) | 0x80);
      v = Math.floor(v / 0x80);
    }
    return this.u8(v);
  }

  bytes(b: Uint8Array): this {
    this.reserve(b.length);
    this.buffer.set(b, this.length);
    this.length += b.length;
    return this;
  }

  finish(): Uint8Array {
    return this.buffer.slice(0, this.length);
  }
}

/**
 * A bounds-checked little-endian reader over `bytes`, which sit at file offset `base`: every
 * read names what it expected, and errors carry the file offset.
 */
export class ByteReader {
  private readonly view: DataView;
  pos = 0;

  constructor(
    readonly bytes: Uint8Array,
    readonly base = 0,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get offset(): number {
    return this.base + this.pos;
  }

  get remaining(): number {
    return this.bytes.length - this.pos;
  }

  /** Throws unless `n` more bytes are there. */
  need(n: number, what: string): void {
    if (n > this.remaining) throw new NncFormatError(this.offset, `${what} (${n} bytes)`, `but the input ends after ${this.remaining}`);
  }

  u8(what: string): number {
    this.need(1, what);
    return this.bytes[this.pos++];
  }

  u16(what: string): number {
    this.need(2, what);
    const v = this.view.getUint16(this.pos, true);
    this.pos += 2;
    return v;
  }

  u32(what: string): number {
    this.need(4, what);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  f32(what: string): number {
    this.need(4, what);
    const v = this.view.getFloat32(this.pos, true);
    this.pos += 4;
    return v;
  }

  /** Unsigned LEB128 no larger than `max`. */
  varint(what: string, max = Number.MAX_SAFE_INTEGER): number {
    const start = this.offset;
    let v = 0;
    let scale = 1;
    for (let i = 0; ; i++) {
      const b = this.u8(what);
      v += (b & 0x7f) * scale;
      if (!(b & 0x80)) break;
      scale *= 0x80;
      if (i >= 7) throw new NncFormatError(start, what, 'the varint is longer than 8 bytes');
    }
    if (v > max) throw new NncFormatError(start, `${what} ≤ ${max}`, `got ${v}`);
    return v;
  }

  bytesOf(n: number, what: string): Uint8Array {
    this.need(n, what);
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** A reader over the next `n` bytes (advancing this one past them). */
  sub(n: number, what: string): ByteReader {
    const base = this.offset;
    return new ByteReader(this.bytesOf(n, what), base);
  }

  expectEnd(what: string): void {
    if (this.remaining !== 0) throw new NncFormatError(this.offset, `the end of ${what}`, `found ${this.remaining} more bytes`);
  }
}

import { NncFormatError } from './errors';

/** Bits, most significant first, packed into bytes. */
export class BitWriter {
  private bytes = new Uint8Array(64);
  private length = 0;
  private acc = 0;
  private accBits = 0;

  /** Writes the low `n` bits of `value` (n ≤ 24). */
  write(value: number, n: number): void {
    this.acc = (this.acc << n) | (value & ((1 << n) - 1));
    this.accBits += n;
    while (this.accBits >= 8) {
      this.accBits -= 8;
      this.push((this.acc >>> this.accBits) & 0xff);
    }
    this.acc &= (1 << this.accBits) - 1;
  }

  private push(b: number): void {
    if (this.length === this.bytes.length) {
      const next = new Uint8Array(this.bytes.length * 2);
      next.set(this.bytes);
      this.bytes = next;
    }
    this.bytes[this.length++] = b;
  }

  /** The bytes, the last one padded with zero bits. */
  finish(): Uint8Array {
    if (this.accBits > 0) this.push((this.acc << (8 - this.accBits)) & 0xff);
    this.accBits = 0;
    this.acc = 0;
    return this.bytes.slice(0, this.length);
  }
}

/** Reads bits written by BitWriter; `base` is the file offset of `bytes[0]` for errors. */
export class BitReader {
  private pos = 0;
  private readonly total: number;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly base: number,
  ) {
    this.total = bytes.length * 8;
  }

  bit(what: string): number {
    if (this.pos >= this.total) throw new NncFormatError(this.base + this.bytes.length, `more bits of ${what}`, 'but the bit stream ended');
    const b = (this.bytes[this.pos >>> 3] >>> (7 - (this.pos & 7))) & 1;
    this.pos++;
    return b;
  }

  read(n: number, what: string): number {
    let v = 0;
    for (let i = 0; i < n; i++) v = (v << 1) | this.bit(what);
    return v >>> 0;
  }

  get byteOffset(): number {
    return this.base + (this.pos >>> 3);
  }
}

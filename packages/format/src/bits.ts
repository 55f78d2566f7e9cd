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

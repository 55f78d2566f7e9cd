/** The CER/CSER size model the encoding comparison measures piecewise-linear against, on a hand-checked matrix. */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { sparseFormatBits, asRows } = require('../../../examples/encoding/cer') as {
  sparseFormatBits: (values: ArrayLike<number>, rows: number, cols: number) => { cer: number; cser: number; csr: number };
  asRows: (values: Float32Array, shape: number[]) => { values: Float32Array; rows: number; cols: number };
};

describe('CER / CSER sizes (Wiedemann et al. 2020)', () => {
  it('counts the arrays of a 3 × 4 matrix as worked out by hand', () => {
    // Ω by frequency: 0 (6 times), 2 (4), 5 (2) → indices 0, 1, 2.
    const m = [0, 2, 0, 5, 2, 2, 0, 0, 0, 5, 2, 0];
    const { cer, cser, csr } = sparseFormatBits(m, 3, 4);
    // colI: 6 entries of 2 bits (columns 0..3). Row largest indices 2, 1, 2 → CER pointers 5
    // (+1 end) of 3 bits (colI ≤ 6), rowPtr 4 entries of 3 bits (≤ 5). Ω: 3 × 32 bits.
    expect(cer).toBe(3 * 32 + 6 * 2 + 6 * 3 + 4 * 3);
    // CSER: groups per row 2, 1, 2 = 5, ΩI 5 × 2 bits, pointers 6 × 3, rowPtr 4 × 3 bits.
    expect(cser).toBe(3 * 32 + 6 * 2 + 5 * 2 + 6 * 3 + 4 * 3);
    // CSR: 6 non-zeros × (32 + 2) bits, row pointers 4 × 3 bits.
    expect(csr).toBe(6 * 34 + 4 * 3);
  });

  it('reads a tfjs kernel [inputs, units] with one row per unit', () => {
    const { values, rows, cols } = asRows(Float32Array.of(1, 2, 3, 4, 5, 6), [3, 2]);
    expect([rows, cols]).toEqual([2, 3]);
    expect([...values]).toEqual([1, 3, 5, 2, 4, 6]);
  });
});

/**
 * Feature rows on disk read back exactly what was written, in any order, through any chain of
 * selections, whether the read was announced ahead (and read by the background thread) or not;
 * the file leaves nothing behind in its folder.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { featureArray, FeatureArray, FeatureDtype, FeatureRows, MemoryRows, readsServedAhead, RowFileWriter } from '../src/datasets/rows';
import { tmpDir } from './helpers';

function onDisk(values: FeatureArray, rowSize: number, dir?: string): FeatureRows {
  const count = values.length / rowSize;
  const writer = new RowFileWriter(values instanceof Uint8Array ? 'uint8' : 'float32', rowSize, count, { dir, what: 'test' });
  // Written out of order, as concurrent image decoding finishes.
  for (let r = count - 1; r >= 0; r--) writer.write(r, values.subarray(r * rowSize, (r + 1) * rowSize));
  return writer.rows();
}

function readAll(rows: FeatureRows, indices: number[], ahead: 'none' | 'same' | 'other'): FeatureArray {
  const out = featureArray(rows.dtype, indices.length * rows.rowSize);
  if (ahead === 'same') rows.readAhead(indices);
  if (ahead === 'other') rows.readAhead(indices.slice(1));
  rows.read(indices, out);
  return out;
}

describe('feature rows on disk', () => {
  const dir = tmpDir('nnc-rows-');

  it('read what memory reads, through selections and with or without read-ahead (property)', () => {
    const arb = fc
      .record({ dtype: fc.constantFrom<FeatureDtype>('uint8', 'float32'), rowSize: fc.integer({ min: 1, max: 40 }), count: fc.integer({ min: 1, max: 30 }) })
      .chain(({ dtype, rowSize, count }) =>
        fc.record({
          dtype: fc.constant(dtype),
          rowSize: fc.constant(rowSize),
          values: fc.array(dtype === 'uint8' ? fc.integer({ min: 0, max: 255 }) : fc.float({ noNaN: true }), { minLength: rowSize * count, maxLength: rowSize * count }),
          selection: fc.array(fc.nat(count - 1), { minLength: 1, maxLength: 2 * count }),
          reads: fc.array(fc.tuple(fc.array(fc.nat(), { minLength: 1, maxLength: 12 }), fc.constantFrom<'none' | 'same' | 'other'>('none', 'same', 'other')), { minLength: 1, maxLength: 5 }),
        }),
      );
    fc.assert(
      fc.property(arb, ({ dtype, rowSize, values, selection, reads }) => {
        const array = dtype === 'uint8' ? Uint8Array.from(values) : Float32Array.from(values);
        const memory = new MemoryRows(array, rowSize).select(selection);
        const disk = onDisk(array, rowSize).select(selection);
        expect([disk.count, disk.rowSize, disk.dtype, disk.bytesInMemory]).toEqual([memory.count, memory.rowSize, memory.dtype, 0]);
        for (const [raw, ahead] of reads) {
          const indices = raw.map((i) => i % memory.count);
          expect(Buffer.from(readAll(disk, indices, ahead).buffer)).toEqual(Buffer.from(readAll(memory, indices, 'none').buffer));
        }
      }),
      { numRuns: 60 },
    );
  });

  it('a read announced ahead is served by the background thread, and a batch generator\'s pattern reads every batch right', () => {
    const rowSize = 1000;
    const values = Uint8Array.from({ length: 200 * rowSize }, (_, i) => (i * 7 + (i >> 10)) & 255);
    const disk = onDisk(values, rowSize);
    const memory = new MemoryRows(values, rowSize);
    const order = Array.from({ length: 200 }, (_, i) => (i * 37) % 200);
    const batch = (k: number): number[] => order.slice(k * 16, (k + 1) * 16);
    // As ArrayDataset.batches does: announce the next batch, then read the current one.
    const servedBefore = readsServedAhead();
    disk.readAhead(batch(0));
    let batches = 0;
    for (let k = 0; k * 16 < order.length; k++, batches++) {
      if ((k + 1) * 16 < order.length) disk.readAhead(batch(k + 1));
      expect(Buffer.from(readAll(disk, batch(k), 'none'))).toEqual(Buffer.from(readAll(memory, batch(k), 'none')));
    }
    expect(readsServedAhead() - servedBefore).toBe(batches);
  });

  it('leaves no file in its folder, and names the rows in its errors', () => {
    const folder = path.join(dir, 'store');
    fs.mkdirSync(folder);
    const writer = new RowFileWriter('uint8', 4, 2, { dir: folder, what: 'image-folder train' });
    expect(fs.readdirSync(folder)).toEqual([]);
    writer.write(0, Uint8Array.of(1, 2, 3, 4));
    expect(() => writer.rows()).toThrow(`image-folder train rows on disk (${folder}): 1 of 2 rows written`);
    expect(() => writer.write(2, Uint8Array.of(1, 2, 3, 4))).toThrow('row 2 is outside the 2 rows');
    expect(() => writer.write(1, Uint8Array.of(1, 2, 3))).toThrow('row 1 has 3 values, not 4');
    writer.write(1, Uint8Array.of(5, 6, 7, 8));
    const rows = writer.rows();
    expect(() => rows.read([2], new Uint8Array(4))).toThrow(`image-folder train rows on disk (${folder}): row 2 is outside the 2 rows`);
    expect(Array.from(readAll(rows, [1, 0], 'same'))).toEqual([5, 6, 7, 8, 1, 2, 3, 4]);
    expect(() => new RowFileWriter('uint8', 4, 2, { dir: path.join(dir, 'nowhere'), what: 'x' })).toThrow(`no such folder for the rows of x on disk: ${path.join(dir, 'nowhere')}`);
  });
});

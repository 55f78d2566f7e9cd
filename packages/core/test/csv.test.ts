/**
 * The csv source: RFC 4180 parsing (a round-trip property), class labels and numeric targets
 * by task, a seeded stratified split, standardisation, and one located line for bad tables.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { makeTask } from '../src/entries/training';
import { DatasetRegistry } from '../src/entries/data';
import { parseCsv } from '../src/datasets/csv';
import { tmpDir } from './helpers';

const quote = (s: string): string => (/[",\n\r]/.test(s) || s === '' ? `"${s.replace(/"/g, '""')}"` : s);

describe('parseCsv', () => {
  it('property: any table written with RFC 4180 quoting parses back to the same fields', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.array(fc.array(fc.string({ unit: fc.constantFrom('a', 'b', ',', '"', '\n', ' ', '1', '\r\n') }), { minLength: 5, maxLength: 5 }), { minLength: 1, maxLength: 8 }), (width, rows) => {
        const table = rows.map((r) => r.slice(0, width));
        const text = table.map((r) => r.map(quote).join(',')).join('\r\n');
        expect(parseCsv(text).map((r) => r.fields)).toEqual(table);
      }),
    );
  });

  it('names the line of a row, skipping blank lines and counting newlines inside quotes', () => {
    const rows = parseCsv('a,b\n"x\ny",1\n\n3,4\n');
    expect(rows.map((r) => r.line)).toEqual([1, 2, 5]);
    expect(() => parseCsv('a,b\n"open,1\n')).toThrow('a quoted field opened on line 2 is never closed');
  });
});

describe('csv source', () => {
  const dir = tmpDir('nnc-csv-');
  const opts = (task: Parameters<typeof makeTask>[0] = { kind: 'classification' }) => ({ file: path.join(dir, 'c.yaml'), resolvePath: (p: string) => path.resolve(dir, p), task: makeTask(task) });
  // Sorted by class, as exported tables often are: 30 rows of each of three species.
  const species = ['setosa', 'versicolor', 'virginica'];
  const rows = species.flatMap((s, k) => Array.from({ length: 30 }, (_, i) => `${i},${k + i / 30},${10 * k - i},"${s}"`));
  fs.writeFileSync(path.join(dir, 'flowers.csv'), `id,width,length,species\n${rows.join('\n')}\n`);

  it('classification: string labels in sorted order (or the stated one), a seeded 20% split stratified by class', async () => {
    const registry = new DatasetRegistry();
    const data = await registry.load({ source: 'csv', path: 'flowers.csv', target: 'species', ignore: ['id'] }, opts());
    expect(data.classNames).toEqual(species);
    expect([data.train.size, data.test.size]).toEqual([72, 18]);
    expect(data.test.classCounts()).toEqual([6, 6, 6]);
    expect(data.train.featureShape).toEqual([2]);
    const again = await registry.load({ source: 'csv', path: 'flowers.csv', target: 'species', ignore: ['id'] }, opts());
    expect(Array.from(again.test.features)).toEqual(Array.from(data.test.features));
    const stated = await registry.load({ source: 'csv', path: 'flowers.csv', target: 'species', features: ['width'], classes: ['virginica', 'setosa', 'versicolor'] }, opts());
    expect(stated.classNames).toEqual(['virginica', 'setosa', 'versicolor']);
    expect(stated.train.featureShape).toEqual([1]);
    // The labels follow the stated order: setosa rows (width < 1) are class 1 now.
    for (let i = 0; i < stated.train.size; i++) if (stated.train.features[i] < 1) expect(stated.train.labels[i]).toBe(1);
  });

  it('regression: the target column as float targets; standardize centres the features on the training split', async () => {
    const data = await new DatasetRegistry().load({ source: 'csv', path: 'flowers.csv', target: 'length', features: ['width'], standardize: true, split: 0.25 }, opts({ kind: 'regression' }));
    expect(data.train.targetWidth).toBe(1);
    expect(data.train.task.kind).toBe('regression');
    const b = data.train.batch(0, data.train.size, [1]);
    const x = Array.from(b.x.dataSync());
    const mean = x.reduce((a, v) => a + v, 0) / x.length;
    const sd = Math.sqrt(x.reduce((a, v) => a + (v - mean) ** 2, 0) / x.length);
    expect(Math.abs(mean)).toBeLessThan(1e-5);
    expect(sd).toBeCloseTo(1, 5);
    // Targets are the table's own values, not standardised.
    const y = Array.from(b.y.dataSync());
    const raw = fs.readFileSync(path.join(dir, 'flowers.csv'), 'utf8').trim().split('\n').slice(1).map((l) => Number(l.split(',')[2]));
    for (const v of y) expect(raw).toContain(v);
    b.x.dispose();
    b.y.dispose();
  });

  it('bad tables get one line naming the file, line and column', async () => {
    const registry = new DatasetRegistry();
    const load = (name: string, text: string, extra: Record<string, unknown> = {}, task: Parameters<typeof makeTask>[0] = { kind: 'classification' }) => {
      fs.writeFileSync(path.join(dir, name), text);
      return registry.load({ source: 'csv', path: name, target: 'y', ...extra }, opts(task));
    };
    const file = (name: string) => path.join(dir, name);
    await expect(load('nan.csv', 'x,y\n1,a\nabc,b\n')).rejects.toThrow(`data: ${file('nan.csv')}:3: column "x" holds "abc", not a number`);
    await expect(load('short.csv', 'x,y\n1,a\n2\n')).rejects.toThrow(`data.path: ${file('short.csv')}:3: 1 fields, the header has 2`);
    await expect(load('nocol.csv', 'x,z\n1,a\n')).rejects.toThrow(`data.target: ${file('nocol.csv')} has no column "y" (it has x, z)`);
    await expect(load('label.csv', 'x,y\n1,a\n2,b\n3,c\n', { classes: ['a', 'b'] })).rejects.toThrow(`data.classes: ${file('label.csv')}:4: label "c" is not one of the classes (a, b)`);
    await expect(load('reg.csv', 'x,y\n1,2\n2,oops\n', {}, { kind: 'regression' })).rejects.toThrow(`data: ${file('reg.csv')}:3: column "y" holds "oops", not a number`);
    await expect(registry.load({ source: 'csv', path: 'none.csv', target: 'y' }, opts())).rejects.toThrow(`data.path: no such file: ${file('none.csv')}`);
    await expect(registry.load({ source: 'csv', path: 'flowers.csv' }, opts())).rejects.toThrow('data: missing required property "target" (source csv)');
  });
});

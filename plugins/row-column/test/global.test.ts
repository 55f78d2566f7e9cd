import fc from 'fast-check';
import { globalRowThenColumn, GlobalLayer } from '@nncompress/plugin-row-column';

const layer = (rows: number, cols: number, values: number[], fixedRows = false): GlobalLayer => ({ rows, cols, importance: Float64Array.from(values), fixedRows });

describe('global row-then-column', () => {
  it('ranks layers on one scale: the weak row of a small-valued layer goes before any entry of a large-valued one', () => {
    // A's second row is weak relative to A; B is uniform but 10x larger in absolute terms.
    const a = layer(2, 2, [1, 1, 0.1, 0.1]);
    const b = layer(2, 2, [10, 10, 10, 10]);
    const s = globalRowThenColumn([a, b], 6);
    expect(s.layers[0]).toEqual({ keptRows: [0], keptCols: [0, 1] });
    expect(s.layers[1]).toEqual({ keptRows: [0, 1], keptCols: [0, 1] });
    expect(s.keptEntries).toBe(6);
  });

  it('removes columns where a column is the weakest unit, and never a fixed row', () => {
    // Column 2 of the output layer carries almost nothing; its rows are classes.
    const out = layer(2, 3, [1, 1, 0.01, 1, 1, 0.01], true);
    const s = globalRowThenColumn([out], 4);
    expect(s.layers[0]).toEqual({ keptRows: [0, 1], keptCols: [0, 1] });
  });

  it('stays within the budget, keeps a row and a column per layer and every fixed row (property)', () => {
    const layerArb = fc.record({ rows: fc.integer({ min: 1, max: 6 }), cols: fc.integer({ min: 1, max: 6 }), fixed: fc.boolean() }).chain(({ rows, cols, fixed }) =>
      fc.array(fc.double({ min: 0, max: 5, noNaN: true }), { minLength: rows * cols, maxLength: rows * cols }).map((v) => layer(rows, cols, v, fixed)),
    );
    fc.assert(
      fc.property(fc.array(layerArb, { minLength: 1, maxLength: 4 }), fc.double({ min: 0, max: 1, noNaN: true }), (layers, f) => {
        const floor = layers.reduce((n, l) => n + (l.fixedRows ? l.rows : 1), 0);
        const total = layers.reduce((n, l) => n + l.rows * l.cols, 0);
        const budget = floor + Math.floor(f * (total - floor));
        const s = globalRowThenColumn(layers, budget);
        const kept = s.layers.reduce((n, x) => n + x.keptRows.length * x.keptCols.length, 0);
        expect(kept).toBe(s.keptEntries);
        expect(kept).toBeLessThanOrEqual(budget);
        s.layers.forEach((x, l) => {
          expect(x.keptRows.length).toBeGreaterThanOrEqual(1);
          expect(x.keptCols.length).toBeGreaterThanOrEqual(1);
          if (layers[l].fixedRows) expect(x.keptRows.length).toBe(layers[l].rows);
        });
      }),
      { seed: 11, numRuns: 300 },
    );
  });

  it('names an impossible budget', () => {
    expect(() => globalRowThenColumn([layer(2, 2, [1, 1, 1, 1]), layer(1, 1, [1])], 1)).toThrow('budget 1 cannot keep one entry in each of 2 layers');
    expect(() => globalRowThenColumn([layer(2, 2, [1, 1, 1, 1])], 5)).toThrow('budget 5 is larger than the 4 entries of all layers');
  });
});

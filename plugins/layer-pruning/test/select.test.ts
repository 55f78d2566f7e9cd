import type { RemovableUnit } from '@nncompress/core/graph';
import { selectUnits } from '../src';

const unit = (id: string, layers: string[], paramsSaved = 10): RemovableUnit => ({ id, kind: 'block', layers, input: 'x', output: layers[layers.length - 1], shapePreserving: true, params: paramsSaved, paramsSaved });

describe('selectUnits', () => {
  const units = [unit('add', ['a', 'a_bn', 'add']), unit('a', ['a', 'a_bn']), unit('b', ['b']), unit('c', ['c'], 50), unit('d', ['d'], 5)];

  it('takes the lowest scores first and skips units that overlap one already taken', () => {
    const scores = new Map([['add', 0.1], ['a', 0.05], ['b', 0.3], ['c', 0.2], ['d', 0.9]]);
    // a (0.05) first; add (0.1) shares layer a with it, so c (0.2) comes next, then b.
    expect(selectUnits(units, scores, 3)).toEqual(['a', 'c', 'b']);
  });

  it('breaks ties by parameters saved, then by model order', () => {
    const scores = new Map([['b', 0], ['c', 0], ['d', 0]]);
    expect(selectUnits(units, scores, 3)).toEqual(['c', 'b', 'd']);
  });

  it('ignores unscored and non-finite units, and says what is available when too few remain', () => {
    const scores = new Map([['b', 0.2], ['c', Number.NaN], ['add', 0.1], ['a', 0.4]]);
    expect(selectUnits(units, scores, 2)).toEqual(['add', 'b']);
    expect(() => selectUnits(units, scores, 3)).toThrow('cannot remove 3 layer units: only 2 non-overlapping removable units that save parameters (add, b, a)');
  });
});

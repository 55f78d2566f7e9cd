import fc from 'fast-check';
import type { ChannelGroup } from '@nncompress/core';
import { selectChannels } from '../src';

const group = (id: number, size: number, producer = `p${id}`): ChannelGroup => ({ id, size, producers: [producer], members: [] });
const f = (xs: number[]): Float32Array => Float32Array.from(xs);
const base = { scope: 'global' as const, normalize: 'none' as const, layerRatios: {}, minChannels: 1, original: new Map<string, number>() };

describe('selectChannels (hand-checked)', () => {
  it('global without normalisation removes the lowest scores anywhere', () => {
    const r = selectChannels([group(0, 4), group(1, 4)], new Map([[0, f([5, 1, 4, 2])], [1, f([0.1, 9, 0.2, 8])]]), { ...base, ratio: 0.5 });
    expect(Object.fromEntries(r)).toEqual({ 0: [1, 3], 1: [0, 2] });
  });

  it('mean normalisation lets groups of different scale compete on relative importance', () => {
    // ⌈0.33·6⌉ = 2 channels go. Divided by their means (0.2 and 30), group 1's 10 scores 0.33 and
    // group 0's 0.1 scores 0.5: the two weakest are one from each group. Raw, group 0 loses both.
    const r = selectChannels([group(0, 3), group(1, 3)], new Map([[0, f([0.1, 0.2, 0.3])], [1, f([10, 20, 60])]]), { ...base, normalize: 'mean', ratio: 0.33 });
    expect(Object.fromEntries(r)).toEqual({ 0: [0], 1: [0] });
    const raw = selectChannels([group(0, 3), group(1, 3)], new Map([[0, f([0.1, 0.2, 0.3])], [1, f([10, 20, 60])]]), { ...base, ratio: 0.33 });
    expect(Object.fromEntries(raw)).toEqual({ 0: [0, 1] });
  });

  it('layer scope takes the same fraction of each group, or its layerRatios entry', () => {
    const r = selectChannels([group(0, 4, 'conv1'), group(1, 10, 'conv2')], new Map([[0, f([4, 3, 2, 1])], [1, f([9, 8, 7, 6, 5, 4, 3, 2, 1, 0])]]), { ...base, scope: 'layer', ratio: 0.5, layerRatios: { conv2: 0.3 } });
    expect(Object.fromEntries(r)).toEqual({ 0: [2, 3], 1: [7, 8, 9] });
  });

  it('never takes a group below minChannels, even if the budget goes unmet', () => {
    // Budget ⌈0.5·6⌉ = 3, but each 3-wide group may lose only one channel.
    const r = selectChannels([group(0, 3), group(1, 3)], new Map([[0, f([0, 0, 0])], [1, f([5, 6, 7])]]), { ...base, ratio: 0.5, minChannels: 2 });
    expect(Object.fromEntries(r)).toEqual({ 0: [0], 1: [0] });
  });

  it('ratios are cumulative against the original sizes', () => {
    // The group was 10 wide and is 8 now: 50% means 3 more go, not 4.
    const r = selectChannels([group(0, 8)], new Map([[0, f([8, 7, 6, 5, 4, 3, 2, 1])]]), { ...base, ratio: 0.5, original: new Map([['p0', 10]]) });
    expect(r.get(0)).toEqual([5, 6, 7]);
  });
});

describe('selectChannels (properties)', () => {
  it('global: removes exactly the budget unless minChannels stops it, and indices are valid and unique', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.float({ min: 0, max: 10, noNaN: true }), { minLength: 1, maxLength: 20 }), { minLength: 1, maxLength: 6 }),
        fc.double({ min: 0, max: 0.95, noNaN: true }),
        fc.constantFrom<'mean' | 'max' | 'none'>('mean', 'max', 'none'),
        (lists, ratio, normalize) => {
          const groups = lists.map((l, i) => group(i, l.length));
          const scores = new Map(lists.map((l, i) => [i, Float32Array.from(l)] as const));
          const r = selectChannels(groups, scores, { ...base, normalize, ratio });
          const total = lists.reduce((n, l) => n + l.length, 0);
          const removable = lists.reduce((n, l) => n + l.length - 1, 0);
          const removed = [...r.values()].reduce((n, x) => n + x.length, 0);
          expect(removed).toBe(Math.min(Math.max(0, Math.ceil(ratio * total - 1e-9)), removable));
          for (const [id, list] of r) {
            expect(new Set(list).size).toBe(list.length);
            for (const c of list) expect(c).toBeLessThan(lists[id].length);
            expect(list.length).toBeLessThanOrEqual(lists[id].length - 1);
          }
        },
      ),
    );
  });
});

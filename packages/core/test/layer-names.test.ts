import { matchLayerNames } from '../src/entries/graph';

const names = ['Conv1', 'expanded_conv_project', 'block_1_project', 'block_12_project', 'block_1_expand', 'a.b'];

describe('matchLayerNames', () => {
  it('matches exact names and * wildcards, and nothing else', () => {
    expect([...matchLayerNames(['Conv1'], names, 'protect')]).toEqual(['Conv1']);
    expect([...matchLayerNames(['block_*_project'], names, 'protect')].sort()).toEqual(['block_12_project', 'block_1_project']);
    expect([...matchLayerNames(['*_project', 'Conv1'], names, 'protect')].sort()).toEqual(['Conv1', 'block_12_project', 'block_1_project', 'expanded_conv_project']);
    expect([...matchLayerNames(['block_1*'], names, 'protect')].sort()).toEqual(['block_12_project', 'block_1_expand', 'block_1_project']);
    // Regular-expression characters in a pattern are literal.
    expect([...matchLayerNames(['a.*'], names, 'protect')]).toEqual(['a.b']);
    expect(() => matchLayerNames(['a*b.'], names, 'protect')).toThrow('protect: no layer name matches "a*b."');
    expect(matchLayerNames([], names, 'protect').size).toBe(0);
  });

  it('names the option and the pattern when nothing matches', () => {
    expect(() => matchLayerNames(['conv9'], names, 'protect')).toThrow('protect: the model has no layer named "conv9"');
    expect(() => matchLayerNames(['block_*_squeeze'], names, 'keep')).toThrow('keep: no layer name matches "block_*_squeeze"');
  });
});

/**
 * OptionsOf derives a plugin's options type from its schema. The checks are made by the
 * compiler (`npm test` type-checks the tests first): each `@ts-expect-error` line must be an
 * error, and each assignment must compile; the runtime part checks that the defaults the
 * type promises are what validation fills in.
 */
import { OptionsOf } from '../src';
import { validateAgainst } from '../src/entries/internal';

const schema = {
  type: 'object',
  additionalProperties: false,
  required: ['path'],
  properties: {
    path: { type: 'string' },
    mode: { enum: ['fast', 'exact'], default: 'fast' },
    rounds: { type: 'integer', minimum: 1, default: 4 },
    layers: { type: 'array', items: { type: 'string' }, default: [] },
    perLayer: { type: 'object', additionalProperties: { type: 'number' } },
    size: { anyOf: [{ type: 'integer' }, { type: 'array', items: { type: 'integer' } }] },
    nested: { type: 'object', properties: { on: { type: 'boolean', default: true }, note: { type: 'string' } } },
  },
} as const;

type Options = OptionsOf<typeof schema>;

describe('OptionsOf', () => {
  it('types required and defaulted options as present, the rest as optional, enums as unions', () => {
    const full: Options = { path: 'a', mode: 'exact', rounds: 2, layers: ['x'], perLayer: { x: 0.5 }, size: [1, 2], nested: { on: false, note: 'n' } };
    const least: Options = { path: 'a', mode: 'fast', rounds: 1, layers: [] };
    // @ts-expect-error a required option is missing
    const noPath: Options = { mode: 'fast', rounds: 1, layers: [] };
    // @ts-expect-error an option with a default is always present after validation
    const noMode: Options = { path: 'a', rounds: 1, layers: [] };
    // @ts-expect-error not one of the enum's values
    const badMode: Options = { path: 'a', mode: 'slow', rounds: 1, layers: [] };
    // @ts-expect-error a number option holds a number
    const badRounds: Options = { path: 'a', mode: 'fast', rounds: '2', layers: [] };
    expect([full, least, noPath, noMode, badMode, badRounds].length).toBe(6);
    // What validation fills in is what the type says is present.
    const given: Record<string, unknown> = { path: 'a' };
    expect(validateAgainst(schema, given)).toBeUndefined();
    const filled = given as Options;
    expect([filled.mode, filled.rounds, filled.layers]).toEqual(['fast', 4, []]);
  });
});

/**
 * Configs and plugins that throw odd things, answer with odd things or are built to exhaust
 * the parser: each is one `nncompress: error:` line naming the file or the plugin, exit 1,
 * nothing written; never an "internal error".
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LENET300, nncompress } from './helpers';

let dir: string;
const model = (): string => `model: ${LENET300}\ndata: { source: mnist, train: 100, test: 100 }\n`;

/** An alias bomb: nine levels, each nine references to the one below (9^9 strings once expanded). */
function aliasBomb(): string {
  let s = 'a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n';
  for (let i = 1; i < 10; i++) s += `a${i}: &a${i} [${Array(9).fill(`*a${i - 1}`).join(',')}]\n`;
  return s;
}

const cases: [string, string, Record<string, string>, RegExp][] = [
  ['a plugin module that throws a string', 'c1.yaml', { 'p.js': "module.exports = {}; throw 'a string';" }, /c1\.yaml: plugins\.p\.use: plugin "\.\/p\.js" failed to load: a string$/],
  ['apply that throws null', 'c2.yaml', { 'p.js': "module.exports = { id: 'n', apply() { throw null; } };" }, /^nncompress: error: plugin p \(n\) failed to apply: threw null$/],
  ['select that answers a number', 'c3.yaml', { 'p.js': "module.exports = { id: 'w', apply(h) { h.select.tapPromise({ name: 'W', targets: ['sparsity'] }, async () => 42); } };" }, /c3\.yaml: stages\[0\] \(s\): p answered "select" with 42, not a plan/],
  ['a plugin emitting a file over the model folder', 'c4.yaml', { 'p.js': "module.exports = { id: 'e', apply(h, o, ctx) { h.afterRun.tap('E', () => ctx.emitFile('model', 'x')); } };" }, /plugin p \(e\): emitFile\("model"\): that name is taken in the output folder$/],
  ['a plugin error of several lines', 'c5.yaml', { 'p.js': "module.exports = { id: 'm', apply(h) { h.beforeRun.tap('M', () => { throw new Error('first\\nsecond\\nthird'); }); } };" }, /plugin p \(m\) failed in hook "beforeRun": first$/],
];

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nnc-hostile-'));
});

function expectOneLine(args: string[], pattern: RegExp, out: string): void {
  const r = nncompress(args, dir);
  expect(r.code).toBe(1);
  const lines = r.stderr.split('\n').filter((l) => l.startsWith('nncompress:'));
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^nncompress: error: /);
  expect(lines[0]).toMatch(pattern);
  // The error is the last thing said: no continuation lines under it.
  expect(r.stderr.trimEnd().split('\n').pop()).toBe(lines[0]);
  expect(fs.existsSync(out)).toBe(false);
}

describe('hostile configs and plugins get one line naming the file or plugin', () => {
  it.each(cases)('%s', (_what, config, files, pattern) => {
    for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
    const stage = config === 'c3.yaml' ? 'stages: [{ name: s, target: { sparsity: 0.5 } }]' : 'stages: [{ name: s }]';
    fs.writeFileSync(path.join(dir, config), `${model()}plugins:\n  p: { use: ./p.js }\n${stage}\n`);
    expectOneLine(['run', config, '--out', `out-${config}`], pattern, path.join(dir, `out-${config}`));
  });

  it('a .js config that throws, a .ts config with a syntax error, a YAML alias bomb', () => {
    fs.writeFileSync(path.join(dir, 'throws.js'), "throw new Error('config boom');");
    expectOneLine(['run', 'throws.js', '--out', 'o1'], /throws\.js: the config module failed to load: config boom$/, path.join(dir, 'o1'));
    fs.writeFileSync(path.join(dir, 'broken.ts'), `export default { model: '${LENET300}', data: { source: 'mnist' }, stages: [{ name: 's' }]\n`);
    expectOneLine(['run', 'broken.ts', '--out', 'o2'], /broken\.ts: the config module failed to load: .*broken\.ts:2: '}' expected\.$/, path.join(dir, 'o2'));
    fs.writeFileSync(path.join(dir, 'bomb.yaml'), `${aliasBomb()}${model()}stages: [{ name: s }]\n`);
    expectOneLine(['run', 'bomb.yaml', '--out', 'o3'], /bomb\.yaml: invalid YAML: Excessive alias count/, path.join(dir, 'o3'));
  });

  it('plugin options nested 20,000 deep, and encode of a manifest with a negative dimension', () => {
    const deep = `${'{"a":'.repeat(20000)}1${'}'.repeat(20000)}`;
    fs.writeFileSync(path.join(dir, 'deep.json'), `{"model":"${LENET300}","data":{"source":"mnist"},"plugins":{"p":{"use":"@nncompress/plugin-magnitude","options":${deep}}},"stages":[{"name":"s"}]}`);
    expectOneLine(['run', 'deep.json', '--out', 'o4'], /deep\.json: plugins\.p\.options(\.a)+…: nested more than 64 levels deep; no config needs that$/, path.join(dir, 'o4'));
    const json = JSON.parse(fs.readFileSync(LENET300, 'utf8'));
    json.weightsManifest[0].weights[1].shape = [-300];
    json.weightsManifest[0].paths = ['weights.bin'];
    fs.mkdirSync(path.join(dir, 'neg'));
    fs.writeFileSync(path.join(dir, 'neg', 'model.json'), JSON.stringify(json));
    fs.copyFileSync(path.join(path.dirname(LENET300), 'weights.bin'), path.join(dir, 'neg', 'weights.bin'));
    expectOneLine(['encode', 'neg/model.json', '-o', 'neg.nnc'], /neg\/model\.json: weight 1 \("fc1\/bias"\) has shape \[-300\], not non-negative integers below 2\^53$/, path.join(dir, 'neg.nnc'));
    // A shape whose size overflows (it printed "at byte NaN"): named like any bad shape.
    json.weightsManifest[0].weights[1].shape = [2 ** 53, 2 ** 53];
    fs.writeFileSync(path.join(dir, 'neg', 'model.json'), JSON.stringify(json));
    expectOneLine(['encode', 'neg/model.json', '-o', 'big.nnc'], /weight 1 \("fc1\/bias"\) has shape \[9007199254740992,9007199254740992\], not non-negative integers below 2\^53$/, path.join(dir, 'big.nnc'));
  });

  it('every command takes --verbose (the hint on an internal error says to use it)', () => {
    for (const args of [['inspect', LENET300], ['plugins'], ['encode', LENET300, '-o', path.join(dir, 'v.nnc')]]) {
      const r = nncompress([...args, '--verbose'], dir);
      expect([args[0], r.stderr.match(/unknown option/)?.[0] ?? '']).toEqual([args[0], '']);
      expect(r.code).toBe(0);
    }
  });
});

/**
 * Only plugins a user names, or their project depends on, are loaded (loading runs their
 * code): a package planted in a parent folder's node_modules must not run.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LENET300, nncompress } from './helpers';

let root: string;
let project: string;
let marker: string;
let nnc: string;

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'nnc-planted-'));
  marker = path.join(root, 'ran.txt');
  // A package in a parent folder's node_modules, named like a plugin; it leaves a mark when loaded,
  // and brings a codec whose id clashes with a built-in one.
  const planted = path.join(root, 'node_modules', 'nncompress-plugin-planted');
  fs.mkdirSync(planted, { recursive: true });
  fs.writeFileSync(path.join(planted, 'package.json'), JSON.stringify({ name: 'nncompress-plugin-planted', main: 'index.js' }));
  fs.writeFileSync(
    path.join(planted, 'index.js'),
    `require('fs').appendFileSync(${JSON.stringify(marker)}, 'ran\\n');
module.exports = { id: 'planted', apply() {}, codecs: [{ id: 'float32', lossless: true, decode: () => new Float32Array(0) }] };`,
  );
  project = path.join(root, 'work', 'project');
  fs.mkdirSync(project, { recursive: true });
  fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'my-project', private: true }));
  nnc = path.join(project, 'model.nnc');
  // float32 on purpose: the planted plugin clashes with that codec's id.
  expect(nncompress(['encode', LENET300, '-o', nnc, '--codec', 'float32']).code).toBe(0);
});

describe('plugin loading', () => {
  it('inspect, decode and encode load no package merely found in a parent node_modules', () => {
    expect(nncompress(['inspect', nnc], project).code).toBe(0);
    expect(nncompress(['decode', nnc, '-o', path.join(project, 'decoded')], project).code).toBe(0);
    expect(nncompress(['encode', LENET300, '-o', path.join(project, 'again.nnc')], project).code).toBe(0);
    expect(nncompress(['plugins'], project).stdout).not.toMatch(/planted/);
    expect(fs.existsSync(marker)).toBe(false);
  });

  it('loads a plugin named with --plugin; a codec id it clashes with keeps the built-in, with a warning', () => {
    const r = nncompress(['inspect', nnc, '--plugin', 'nncompress-plugin-planted'], project);
    expect(fs.readFileSync(marker, 'utf8')).toBe('ran\n');
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('warning: nncompress-plugin-planted: a different codec is already registered as "float32"; its codec is ignored');
    expect(r.stdout).toMatch(/^fc1\/kernel\s+\[784,300\]\s+float32\s+940,800/m);
    // The built-in float32 decoder still reads the file, bit for bit.
    const out = path.join(project, 'decoded-with-plugin');
    expect(nncompress(['decode', nnc, '-o', out, '--plugin', 'nncompress-plugin-planted'], project).code).toBe(0);
    expect(fs.readFileSync(path.join(out, 'weights.bin')).equals(fs.readFileSync(path.join(path.dirname(LENET300), 'weights.bin')))).toBe(true);
    const missing = nncompress(['inspect', nnc, '--plugin', './no-such-plugin.js'], project);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^nncompress: error: --plugin: cannot load plugin "\.\/no-such-plugin\.js"/);
    // A plugin module may throw anything; the error still names it.
    fs.writeFileSync(path.join(project, 'throws.js'), "throw 'not an Error';");
    const throws = nncompress(['inspect', nnc, '--plugin', './throws.js'], project);
    expect(throws.code).toBe(1);
    expect(throws.stderr.trim()).toBe('nncompress: error: --plugin: cannot load plugin "./throws.js" (not an Error)');
  });
});

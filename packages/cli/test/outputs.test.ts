/**
 * Outputs never overwrite inputs, whatever path leads to them, and nothing temporary is left
 * behind: not after an error, not after Ctrl-C.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BIN, LENET300, nncompress } from './helpers';

let dir: string;
let model: string;
const snapshot = (folder: string): Record<string, string> => Object.fromEntries(fs.readdirSync(folder).map((f) => [f, fs.readFileSync(path.join(folder, f)).toString('base64')]));

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nnc-outputs-'));
  model = path.join(dir, 'm');
  fs.mkdirSync(model);
  for (const f of fs.readdirSync(path.dirname(LENET300))) fs.copyFileSync(path.join(path.dirname(LENET300), f), path.join(model, f));
  fs.symlinkSync(model, path.join(dir, 'link'));
});

describe('outputs never overwrite inputs', () => {
  it('encode refuses -o onto the model\'s own shard, and onto model.json through a linked folder', () => {
    const before = snapshot(model);
    const shard = nncompress(['encode', path.join(model, 'model.json'), '-o', path.join(model, 'weights.bin')]);
    expect(shard.code).toBe(1);
    expect(shard.stderr.trim()).toBe(`nncompress: error: ${path.join(model, 'weights.bin')}: the output would overwrite the input ${path.join(model, 'weights.bin')}`);
    const linked = nncompress(['encode', path.join(model, 'model.json'), '-o', path.join(dir, 'link', 'model.json')]);
    expect(linked.code).toBe(1);
    expect(linked.stderr).toMatch(/the output would overwrite the input .*m\/model\.json$/m);
    expect(snapshot(model)).toEqual(before);
  });

  it('run refuses --out through a link to the folder holding its input model', () => {
    const config = path.join(dir, 'c.yaml');
    fs.writeFileSync(config, `model: ./m/model.json\ndata: { source: mnist, train: 100, test: 100 }\nstages: [{ name: tune }]\n`);
    const before = snapshot(model);
    const r = nncompress(['run', config, '--out', path.join(dir, 'link')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--out .*link: would overwrite the input .*m\/model\.json; choose another output folder$/m);
    expect(snapshot(model)).toEqual(before);
    expect(nncompress(['run', config, '--out', '']).stderr).toMatch(/^nncompress: error: --out: must name a folder, got an empty path$/m);
  });

  it('decode refuses an empty -o and -o that is a link, leaving no temporary folder', () => {
    const nnc = path.join(dir, 'x.nnc');
    expect(nncompress(['encode', path.join(model, 'model.json'), '-o', nnc]).code).toBe(0);
    expect(nncompress(['decode', nnc, '-o', '']).stderr.trim()).toBe('nncompress: error: -o: must name a file or folder, got an empty path');
    fs.mkdirSync(path.join(dir, 'empty'));
    fs.symlinkSync(path.join(dir, 'empty'), path.join(dir, 'to-empty'));
    const r = nncompress(['decode', nnc, '-o', path.join(dir, 'to-empty')]);
    expect(r.stderr.trim()).toBe(`nncompress: error: ${path.join(dir, 'to-empty')}: the output folder is a link; give the folder's own path`);
    expect(fs.readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('Ctrl-C during decode ends the process by SIGINT (the shell sees 130) and removes the half-written folder', async () => {
    const nnc = path.join(dir, 'y.nnc');
    expect(nncompress(['encode', path.join(model, 'model.json'), '-o', nnc]).code).toBe(0);
    // A pipe as the input: decode reads the header and a first tensor, then waits for the rest.
    const fifo = path.join(dir, 'slow.nnc');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const out = path.join(dir, 'interrupted');
    const child = spawn(process.execPath, [BIN, 'decode', fifo, '-o', out], { env: { ...process.env, CI: 'true' } });
    const writer = fs.createWriteStream(fifo);
    // Once decode is killed, the rest of what is still queued for the pipe has no reader (EPIPE): expected.
    writer.on('error', () => {});
    const bytes = fs.readFileSync(nnc);
    writer.write(bytes.subarray(0, bytes.length - 1000));
    const tmpAppears = async (): Promise<boolean> => {
      for (let i = 0; i < 200; i++) {
        if (fs.readdirSync(dir).some((f) => f.startsWith('interrupted.tmp-'))) return true;
        await new Promise((r) => setTimeout(r, 50));
      }
      return false;
    };
    expect(await tmpAppears()).toBe(true);
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    child.kill('SIGINT');
    expect(await exited).toBe('SIGINT');
    writer.destroy();
    expect(fs.readdirSync(dir).filter((f) => f.startsWith('interrupted'))).toEqual([]);
  });

  it('Ctrl-C during run stops it at once; what it left beside --out goes with the next run there', async () => {
    const config = path.join(dir, 'long.yaml');
    fs.writeFileSync(config, `model: ./m/model.json\ndata: { source: mnist, train: 4000, test: 200 }\nplugins:\n  tune: { use: '@nncompress/plugin-finetune', options: { epochs: 20 } }\nstages: [{ name: tune }]\n`);
    const out = path.join(dir, 'long-out');
    const child = spawn(process.execPath, [BIN, 'run', config, '--out', out], { env: { ...process.env, CI: 'true' } });
    let tmpSeen = false;
    for (let i = 0; i < 400 && !tmpSeen; i++) {
      tmpSeen = fs.readdirSync(dir).some((f) => f.startsWith('long-out.tmp-'));
      if (!tmpSeen) await new Promise((r) => setTimeout(r, 50));
    }
    expect(tmpSeen).toBe(true);
    // Training blocks the event loop: Ctrl-C keeps its default action and stops the run at once.
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    child.kill('SIGINT');
    expect(await exited).toBe('SIGINT');
    expect(fs.readdirSync(dir).filter((f) => f.startsWith('long-out.tmp-'))).toHaveLength(1);
    fs.writeFileSync(config, `model: ./m/model.json\ndata: { source: mnist, train: 100, test: 100 }\nstages: [{ name: tune }]\n`);
    expect(nncompress(['run', config, '--out', out]).code).toBe(0);
    expect(fs.readdirSync(dir).filter((f) => f.startsWith('long-out'))).toEqual(['long-out']);
  });

  it('encode writes nothing when its file would not read back: 130,000 tensors make a header past the reader\'s limit', () => {
    const many = path.join(dir, 'many');
    fs.mkdirSync(many);
    const n = 130_000;
    const weights = Array.from({ length: n }, (_, i) => ({ name: `w${i}`, shape: [1], dtype: 'float32' }));
    fs.writeFileSync(path.join(many, 'manifest.json'), JSON.stringify([{ paths: ['weights.bin'], weights }]));
    fs.writeFileSync(path.join(many, 'weights.bin'), Buffer.alloc(4 * n));
    const out = path.join(dir, 'many.nnc');
    const r = nncompress(['encode', path.join(many, 'manifest.json'), '-o', out]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toMatch(/^nncompress: error: .*many\/manifest\.json: the encoded file would not read back: at byte \d+: expected .*\d+/);
    expect(fs.existsSync(out)).toBe(false);
    expect(fs.readdirSync(dir).filter((f) => f.startsWith('many.nnc'))).toEqual([]);
  });

  it('a topology nested thousands deep (tfjs\'s builder would overflow its stack) is one located error from encode, inspect and run, leaving nothing', () => {
    const deep = path.join(dir, 'deep');
    fs.mkdirSync(deep);
    const nested = `${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}`;
    const layer = `{"class_name":"Dense","config":{"units":1,"batch_input_shape":[null,1],"name":"d","x":${nested}}}`;
    const manifest = '[{"paths":["weights.bin"],"weights":[{"name":"d/kernel","shape":[1,1],"dtype":"float32"},{"name":"d/bias","shape":[1],"dtype":"float32"}]}]';
    fs.writeFileSync(path.join(deep, 'model.json'), `{"format":"layers-model","modelTopology":{"class_name":"Sequential","config":{"name":"s","layers":[${layer}]}},"weightsManifest":${manifest}}`);
    fs.writeFileSync(path.join(deep, 'weights.bin'), Buffer.alloc(8));
    const config = path.join(dir, 'deep.yaml');
    fs.writeFileSync(config, `model: ./deep/model.json\ndata: { source: mnist, train: 100, test: 100 }\nstages: [{ name: tune }]\n`);
    const runs = [
      nncompress(['encode', path.join(deep, 'model.json'), '-o', path.join(dir, 'deep.nnc')]),
      nncompress(['inspect', path.join(deep, 'model.json')]),
      nncompress(['run', config, '--out', path.join(dir, 'deep-out')]),
    ];
    for (const r of runs) {
      expect(r.code).toBe(1);
      expect(r.stderr.trim().split('\n').pop()).toMatch(/^nncompress: error: .*deep\/model\.json: modelTopology\.config\.layers\[0\]\.config\.x\.a\.a.*: nested more than 100 levels deep; no model needs that$/);
    }
    expect(fs.readdirSync(dir).filter((f) => f.startsWith('deep.nnc') || f.startsWith('deep-out'))).toEqual([]);
  });
});

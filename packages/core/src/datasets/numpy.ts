/**
 * The `npy` source: arrays exported from NumPy, as `.npy` files in a folder or one `.npz`
 * archive (what `numpy.savez` and Keras's `mnist.npz` write). `x`/`y` name the training
 * arrays and `testX`/`testY` the test arrays (defaults: Keras's `x_train`, `y_train`,
 * `x_test`, `y_test`); without test arrays, `split` takes a seeded test fraction. uint8
 * features stay uint8 in memory (scaled by `range` per batch); other dtypes become float32.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { Rng } from '../util/rng';
import { ArrayDataset, labelArray } from './dataset';
import { pixelDecoding, PixelValueOptions, pixelValueSchema } from './pixel-values';
import { DatasetSource } from './source';

/** A parsed .npy array: its values (uint8, or converted to float64 for every other dtype), shape and dtype. */
export interface NpyArray {
  readonly dtype: string;
  readonly shape: readonly number[];
  readonly values: Uint8Array | Float64Array;
}

const DTYPES: Record<string, { bytes: number; read: (view: DataView, at: number) => number }> = {
  b1: { bytes: 1, read: (v, at) => v.getUint8(at) },
  u1: { bytes: 1, read: (v, at) => v.getUint8(at) },
  i1: { bytes: 1, read: (v, at) => v.getInt8(at) },
  u2: { bytes: 2, read: (v, at) => v.getUint16(at, true) },
  i2: { bytes: 2, read: (v, at) => v.getInt16(at, true) },
  u4: { bytes: 4, read: (v, at) => v.getUint32(at, true) },
  i4: { bytes: 4, read: (v, at) => v.getInt32(at, true) },
  u8: { bytes: 8, read: (v, at) => Number(v.getBigUint64(at, true)) },
  i8: { bytes: 8, read: (v, at) => Number(v.getBigInt64(at, true)) },
  f2: { bytes: 2, read: (v, at) => half(v.getUint16(at, true)) },
  f4: { bytes: 4, read: (v, at) => v.getFloat32(at, true) },
  f8: { bytes: 8, read: (v, at) => v.getFloat64(at, true) },
};

function half(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

/** Parses one .npy file (format versions 1–3, little-endian or byte-sized C-order arrays); errors name `where`. */
export function parseNpy(bytes: Uint8Array, where: string): NpyArray {
  const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];
  if (bytes.length < 10 || magic.some((b, i) => bytes[i] !== b)) throw new Error(`${where}: not a .npy file (it does not start with \\x93NUMPY)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const major = bytes[6];
  if (major < 1 || major > 3) throw new Error(`${where}: .npy format version ${major} is not one of 1, 2, 3`);
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = major === 1 ? 10 : 12;
  if (start + headerLength > bytes.length) throw new Error(`${where}: its header runs past the end of the file`);
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(start, start + headerLength));
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) throw new Error(`${where}: its header is not a NumPy array header: ${header.trim()}`);
  if (fortran === 'True') throw new Error(`${where}: the array is in Fortran order; save it C-ordered (numpy.ascontiguousarray) and export again`);
  const shape = shapeText.split(',').map((s) => s.trim()).filter((s) => s !== '').map(Number);
  if (shape.some((d) => !Number.isSafeInteger(d) || d < 0)) throw new Error(`${where}: shape (${shapeText}) is not a list of sizes`);
  const m = /^([<>|=])([biuf])(\d+)$/.exec(descr);
  const dtype = m ? `${m[2]}${m[3]}` : descr;
  const spec = DTYPES[dtype];
  if (!m || !spec) throw new Error(`${where}: dtype ${descr} is not supported (bool, int, uint and float arrays are)`);
  if (m[1] === '>' && spec.bytes > 1) throw new Error(`${where}: dtype ${descr} is big-endian; convert it with array.astype('<${dtype}')`);
  const count = shape.reduce((a, b) => a * b, 1);
  const data = start + headerLength;
  if (bytes.length - data !== count * spec.bytes) throw new Error(`${where}: shape (${shape.join(', ')}) of ${descr} needs ${count * spec.bytes} bytes of data, the file holds ${bytes.length - data}`);
  if (dtype === 'u1' || dtype === 'b1') return { dtype, shape, values: bytes.slice(data, data + count) };
  const values = new Float64Array(count);
  for (let i = 0; i < count; i++) values[i] = spec.read(view, data + i * spec.bytes);
  return { dtype, shape, values };
}

/** The named members of a .npz archive (a zip of .npy files, stored or deflated), without the .npy suffix. */
export function readNpz(bytes: Uint8Array, where: string): Map<string, () => Uint8Array> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let end = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 65535); i--) {
    if (view.getUint32(i, true) === 0x06054b50) {
      end = i;
      break;
    }
  }
  if (end < 0) throw new Error(`${where}: not a .npz file (no zip directory at its end)`);
  const entries = view.getUint16(end + 10, true);
  let at = view.getUint32(end + 16, true);
  if (at === 0xffffffff || entries === 0xffff) throw new Error(`${where}: a zip64 archive (over 4 GB) is not supported; save the arrays as .npy files in a folder`);
  const members = new Map<string, () => Uint8Array>();
  for (let e = 0; e < entries; e++) {
    if (at + 46 > bytes.length || view.getUint32(at, true) !== 0x02014b50) throw new Error(`${where}: its zip directory is damaged at byte ${at}`);
    const method = view.getUint16(at + 10, true);
    const compressed = view.getUint32(at + 20, true);
    const size = view.getUint32(at + 24, true);
    const nameLength = view.getUint16(at + 28, true);
    const extra = view.getUint16(at + 30, true);
    const comment = view.getUint16(at + 32, true);
    const local = view.getUint32(at + 42, true);
    const name = new TextDecoder().decode(bytes.subarray(at + 46, at + 46 + nameLength));
    at += 46 + nameLength + extra + comment;
    members.set(name.replace(/\.npy$/, ''), () => {
      if (local + 30 > bytes.length || view.getUint32(local, true) !== 0x04034b50) throw new Error(`${where}: member ${name} is damaged`);
      const dataAt = local + 30 + view.getUint16(local + 26, true) + view.getUint16(local + 28, true);
      const raw = bytes.subarray(dataAt, dataAt + compressed);
      if (method === 0) return raw;
      if (method !== 8) throw new Error(`${where}: member ${name} uses zip compression method ${method}; numpy.savez and savez_compressed write 0 or 8`);
      const out = zlib.inflateRawSync(raw);
      if (out.length !== size) throw new Error(`${where}: member ${name} inflates to ${out.length} bytes, its directory says ${size}`);
      return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
    });
  }
  return members;
}

export interface NpyOptions extends PixelValueOptions {
  /** A .npz archive, or a folder of .npy files named after the arrays. */
  readonly path: string;
  /** Where the test arrays are, when not in `path`. */
  readonly testPath?: string;
  readonly x?: string;
  readonly y?: string;
  readonly testX?: string;
  readonly testY?: string;
  /** Test fraction when there are no test arrays. Default 0.2. */
  readonly split?: number;
  /** Number of classes; default the largest label + 1. */
  readonly classes?: number;
}

/** The arrays a path holds, by name: the members of a .npz, or the .npy files of a folder. */
function arraysAt(file: string, option: string): { has(name: string): boolean; get(name: string): NpyArray; names: string[] } {
  if (!fs.existsSync(file)) throw new Error(`data.${option}: no such file or folder: ${file}`);
  if (fs.statSync(file).isDirectory()) {
    const names = fs.readdirSync(file).filter((f) => f.endsWith('.npy')).map((f) => f.slice(0, -4));
    return { names, has: (n) => names.includes(n), get: (n) => parseNpy(new Uint8Array(fs.readFileSync(path.join(file, `${n}.npy`))), `data.${option}: ${path.join(file, `${n}.npy`)}`) };
  }
  const members = readNpz(new Uint8Array(fs.readFileSync(file)), `data.${option}: ${file}`);
  return { names: [...members.keys()], has: (n) => members.has(n), get: (n) => parseNpy(members.get(n)!(), `data.${option}: ${file}: ${n}`) };
}

export const npySource: DatasetSource<NpyOptions> = {
  id: 'npy',
  description: 'NumPy arrays: a .npz archive or a folder of .npy files (x_train, y_train, x_test, y_test by default, as Keras writes).',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['path'],
    properties: {
      path: { type: 'string', minLength: 1, description: 'A .npz file, or a folder of .npy files (relative to the config file).' },
      testPath: { type: 'string', minLength: 1, description: 'A second .npz or folder with the test arrays.' },
      x: { type: 'string', minLength: 1, default: 'x_train', description: 'Name of the training features.' },
      y: { type: 'string', minLength: 1, default: 'y_train', description: 'Name of the training labels or targets.' },
      testX: { type: 'string', minLength: 1, default: 'x_test', description: 'Name of the test features.' },
      testY: { type: 'string', minLength: 1, default: 'y_test', description: 'Name of the test labels or targets.' },
      split: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1, description: 'Test fraction when there are no test arrays (default 0.2), seeded by data.seed and stratified by class.' },
      classes: { type: 'integer', minimum: 2, description: 'Number of classes (default: the largest label + 1).' },
      ...pixelValueSchema,
    },
  },
  load(options, ctx) {
    const names = { x: options.x ?? 'x_train', y: options.y ?? 'y_train', testX: options.testX ?? 'x_test', testY: options.testY ?? 'y_test' };
    const main = arraysAt(ctx.resolvePath(options.path), 'path');
    const second = options.testPath ? arraysAt(ctx.resolvePath(options.testPath), 'testPath') : main;
    for (const n of [names.x, names.y]) if (!main.has(n)) throw new Error(`data.path: ${options.path} has no array "${n}" (it has ${main.names.join(', ') || 'none'})`);
    const haveTest = second.has(names.testX) && second.has(names.testY);
    if (options.testPath && !haveTest) throw new Error(`data.testPath: ${options.testPath} needs arrays "${names.testX}" and "${names.testY}" (it has ${second.names.join(', ') || 'none'})`);
    const parts = [{ x: main.get(names.x), y: main.get(names.y), name: names.x }];
    if (haveTest) parts.push({ x: second.get(names.testX), y: second.get(names.testY), name: names.testX });
    const featureShape = (a: NpyArray): number[] => (a.shape.length === 3 ? [...a.shape.slice(1), 1] : a.shape.slice(1));
    const shape = featureShape(parts[0].x);
    const byClass = ctx.task === 'classification' || ctx.task === 'binary';
    for (const p of parts) {
      if (p.x.shape.length < 2) throw new Error(`data: array "${p.name}" has shape (${p.x.shape.join(', ')}); features need one row per example`);
      if (featureShape(p.x).join() !== shape.join()) throw new Error(`data: "${names.x}" rows are (${shape.join(', ')}) but "${p.name}" rows are (${featureShape(p.x).join(', ')})`);
      if (p.y.shape[0] !== p.x.shape[0]) throw new Error(`data: "${p.name}" has ${p.x.shape[0]} rows but its labels ${p.y.shape[0]}`);
    }
    // Class ids: integer labels, or the argmax of one-hot rows.
    const labelsOf = (y: NpyArray, name: string): number[] => {
      const n = y.shape[0];
      const width = y.shape.slice(1).reduce((a, b) => a * b, 1);
      return Array.from({ length: n }, (_, i) => {
        if (width === 1) {
          const v = y.values[i];
          if (!Number.isInteger(v) || v < 0) throw new Error(`data: labels "${name}" row ${i} is ${v}, not a class id`);
          return v;
        }
        let best = 0;
        for (let k = 1; k < width; k++) if (y.values[i * width + k] > y.values[i * width + best]) best = k;
        return best;
      });
    };
    const labelSets = byClass ? parts.map((p) => labelsOf(p.y, p.name === names.x ? names.y : names.testY)) : undefined;
    const classes = byClass ? (options.classes ?? Math.max(...labelSets!.flat()) + 1) : 1;
    const channels = shape[shape.length - 1];
    const uint8 = parts[0].x.dtype === 'u1';
    const decoding = uint8 ? pixelDecoding(options, channels) : { mean: options.mean, std: options.std };
    const dataset = (p: (typeof parts)[number], i: number): ArrayDataset => {
      const n = p.x.shape[0];
      const features = p.x.values instanceof Uint8Array && uint8 ? p.x.values : Float32Array.from(p.x.values);
      const labels = labelArray(n, classes);
      if (labelSets) {
        labelSets[i].forEach((l, j) => {
          if (l >= classes) throw new Error(`data.classes: row ${j} of the labels is class ${l}, outside the ${classes} classes`);
          labels[j] = l;
        });
      }
      const targets = byClass ? undefined : Float32Array.from(p.y.values);
      return new ArrayDataset(`npy-${p.name}`, features, labels, shape, classes, { ...decoding, targets });
    };
    const train = dataset(parts[0], 0);
    if (parts.length === 2) return { train, test: dataset(parts[1], 1) };
    // No test arrays: a seeded fraction of each class (one group for targets) is the test split.
    const [trainPart, testPart] = train.splitByClass(options.split ?? 0.2, new Rng(ctx.seed).fork('npy-split'), ['npy-train', 'npy-test']);
    return { train: trainPart, test: testPart };
  },
};

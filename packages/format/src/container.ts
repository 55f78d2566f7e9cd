/**
 * The .nnc container. Layout (little-endian):
 *
 *   0   4  magic "NNCF"
 *   4   2  format version (1)
 *   6   2  flags: how the header is stored: 0 plain, 1 Huffman-coded, 2 LZ-coded (lz.ts)
 *   8   4  header length H (stored bytes)
 *   12  4  CRC-32 of the stored header bytes
 *   16  H  header: UTF-8 JSON (see NncHeader), [varint JSON length][Huffman-coded JSON], or
 *          the JSON LZ-coded; the writer stores whichever is smallest
 *   16+H   tensor payloads, each at its header offset (from 16+H) with its own CRC-32
 *
 * The header carries the model topology (as in model.json) and a table of tensors: name,
 * shape, codec id and parameters, offset, length, checksum and the measured max error. A
 * reader parses the header once and decodes tensors one at a time, on demand.
 */
import { ByteReader, ByteWriter } from './bytes';
import type { CodecParams, JsonValue } from './codecs/codec';
import { CodecRegistry, codecs as defaultRegistry } from './codecs/registry';
import { crc32 } from './crc32';
import { NncFormatError } from './errors';
import { readHuffman, writeHuffman } from './huffman';
import { readLz, writeLz } from './lz';

export const MAGIC = 'NNCF';
export const FORMAT_VERSION = 1;
/** Bytes before the stored header: magic, version, flags, header length, header checksum. */
export const PREFIX = 16;
const HEADER_PLAIN = 0;
const HEADER_HUFFMAN = 1;
const HEADER_LZ = 2;
/** Most entries one tensor may declare (2^28 float32 = 1 GiB): guards allocation on crafted input. */
export const MAX_TENSOR_SIZE = 1 << 28;

/**
 * What a reader accepts from an untrusted file, checked before anything is allocated: a few
 * hundred crafted bytes must not expand into gigabytes (a run of zeros costs a sparse payload
 * almost nothing, an LZ header can expand 250x). The defaults admit any model up to 268M
 * float32 parameters (VGG-16 is 138M) with a topology of up to 16 MiB of JSON.
 */
export interface ReadLimits {
  /** Largest total of decoded weights, in bytes (4 per value); default 1 GiB. */
  readonly maxDecodedBytes?: number;
  /** Largest header JSON after decoding, in bytes; default 16 MiB. */
  readonly maxHeaderBytes?: number;
  /** Most tensors in one file; default 100,000. */
  readonly maxTensors?: number;
  /** Deepest nesting of the header JSON; default 200 (a Keras topology nests about 10 deep). */
  readonly maxJsonDepth?: number;
}

export const DEFAULT_READ_LIMITS: Required<ReadLimits> = Object.freeze({ maxDecodedBytes: 2 ** 30, maxHeaderBytes: 2 ** 24, maxTensors: 100_000, maxJsonDepth: 200 });

/** The defaults, overridden by each limit given (an undefined one keeps its default). */
function limitsOf(limits: ReadLimits | undefined): Required<ReadLimits> {
  const given = Object.entries(limits ?? {}).filter(([, v]) => v !== undefined);
  return { ...DEFAULT_READ_LIMITS, ...Object.fromEntries(given) };
}

/** Deepest nesting of arrays and objects in JSON text, strings skipped (checked before JSON.parse, which recurses). */
function jsonDepth(json: Uint8Array, stopAbove: number): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < json.length; i++) {
    const c = json[i];
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped byte
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      deepest = Math.max(deepest, ++depth);
      if (deepest > stopAbove) return deepest;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return deepest;
}

/** The model part of model.json (everything but the weights manifest). */
export interface NncModel {
  readonly modelTopology: JsonValue;
  readonly format?: string;
  readonly generatedBy?: string;
  readonly convertedBy?: string | null;
  readonly userDefinedMetadata?: JsonValue;
}

export interface NncTensorEntry {
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: 'float32';
  readonly codec: string;
  readonly params: CodecParams;
  /** From the start of the payload area. */
  readonly offset: number;
  readonly length: number;
  readonly crc32: number;
  /** Largest |decoded − original| measured when encoding (0: bit for bit). */
  readonly maxError: number;
}

export interface NncHeader {
  readonly model: NncModel | null;
  readonly tensors: readonly NncTensorEntry[];
  readonly metadata?: JsonValue;
}

export interface TensorToWrite {
  readonly name: string;
  readonly shape: readonly number[];
  readonly codec: string;
  readonly params: CodecParams;
  readonly bytes: Uint8Array;
  readonly maxError: number;
}

const utf8 = new TextEncoder();
const utf8Strict = new TextDecoder('utf-8', { fatal: true });

/** How `writeNnc` stores the header: the smallest of the three (default), or one of them (a plain header is readable with `strings`). */
export type HeaderCoding = 'smallest' | 'plain' | 'huffman' | 'lz';

/** Writes a container: the header (plain, Huffman- or LZ-coded, by default whichever is smallest) and the payloads in order. */
export function writeNnc(model: NncModel | null, tensors: readonly TensorToWrite[], metadata?: JsonValue, options: { readonly header?: HeaderCoding } = {}): Uint8Array {
  let offset = 0;
  const entries: NncTensorEntry[] = tensors.map((t) => {
    const entry = { name: t.name, shape: [...t.shape], dtype: 'float32' as const, codec: t.codec, params: t.params, offset, length: t.bytes.length, crc32: crc32(t.bytes), maxError: t.maxError };
    offset += t.bytes.length;
    return entry;
  });
  const header: NncHeader = metadata === undefined ? { model, tensors: entries } : { model, tensors: entries, metadata };
  const json = utf8.encode(JSON.stringify(header));
  const coding = options.header ?? 'smallest';
  const stores: { flags: number; bytes: Uint8Array }[] = [];
  if (coding === 'smallest' || coding === 'plain') stores.push({ flags: HEADER_PLAIN, bytes: json });
  if (coding === 'smallest' || coding === 'huffman') {
    const w = new ByteWriter().varint(json.length);
    writeHuffman(w, json, 256);
    stores.push({ flags: HEADER_HUFFMAN, bytes: w.finish() });
  }
  if (coding === 'smallest' || coding === 'lz') {
    const w = new ByteWriter();
    writeLz(w, json);
    stores.push({ flags: HEADER_LZ, bytes: w.finish() });
  }
  if (stores.length === 0) throw new Error(`writeNnc: header coding "${coding}" is not one of smallest, plain, huffman, lz`);
  const { flags, bytes: stored } = stores.reduce((a, b) => (b.bytes.length < a.bytes.length ? b : a));
  const w = new ByteWriter();
  for (const ch of MAGIC) w.u8(ch.charCodeAt(0));
  w.u16(FORMAT_VERSION).u16(flags).u32(stored.length).u32(crc32(stored)).bytes(stored);
  for (const t of tensors) w.bytes(t.bytes);
  return w.finish();
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Checks one header entry's fields; `at` is the header's offset, for errors. */
function checkEntry(raw: unknown, i: number, payloadLength: number | undefined, at: number): NncTensorEntry {
  const where = `header tensors[${i}]`;
  if (!isObject(raw)) throw new NncFormatError(at, `${where} as an object`);
  const { name, shape, dtype, codec, params, offset, length, crc32: sum, maxError } = raw;
  if (typeof name !== 'string') throw new NncFormatError(at, `${where}.name as a string`);
  const w = `${where} ("${name}")`;
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw new NncFormatError(at, `${w}.shape as non-negative integers`, `got ${JSON.stringify(shape)}`);
  const size = shape.reduce((a: number, b: number) => a * b, 1);
  if (size > MAX_TENSOR_SIZE) throw new NncFormatError(at, `${w}: at most ${MAX_TENSOR_SIZE} entries`, `its shape has ${size}`);
  if (dtype !== 'float32') throw new NncFormatError(at, `${w}.dtype "float32"`, `got ${JSON.stringify(dtype)}`);
  if (typeof codec !== 'string') throw new NncFormatError(at, `${w}.codec as a string`);
  if (!isObject(params)) throw new NncFormatError(at, `${w}.params as an object`);
  for (const [k, v] of [['offset', offset], ['length', length], ['crc32', sum]] as const) {
    if (!Number.isSafeInteger(v) || (v as number) < 0) throw new NncFormatError(at, `${w}.${k} as a non-negative integer`, `got ${JSON.stringify(v)}`);
  }
  if (payloadLength !== undefined && (offset as number) + (length as number) > payloadLength) {
    throw new NncFormatError(at, `${w}: payload bytes ${offset}..${(offset as number) + (length as number)} within the ${payloadLength} payload bytes`, 'the file is too short');
  }
  if (typeof maxError !== 'number' || !(maxError >= 0)) throw new NncFormatError(at, `${w}.maxError as a non-negative number`, `got ${JSON.stringify(maxError)}`);
  return { name, shape: shape as number[], dtype, codec, params: params as CodecParams, offset: offset as number, length: length as number, crc32: sum as number, maxError };
}

/** The 16-byte prefix: the stored header's length and checksum, after magic, version and flags. */
export interface Prefix {
  readonly headerCoding: number;
  readonly headerLength: number;
  readonly headerCrc32: number;
}

export function readPrefix(bytes: Uint8Array): Prefix {
  const r = new ByteReader(bytes);
  r.need(PREFIX, 'the 16-byte .nnc prefix');
  const magic = String.fromCharCode(...r.bytesOf(4, 'magic'));
  if (magic !== MAGIC) throw new NncFormatError(0, `magic "${MAGIC}" (an .nnc file)`, `got ${JSON.stringify(magic)}`);
  const version = r.u16('format version');
  if (version !== FORMAT_VERSION) throw new NncFormatError(4, `format version ${FORMAT_VERSION}`, `got ${version} (written by a newer nncompress?)`);
  const flags = r.u16('flags');
  if (flags > HEADER_LZ) throw new NncFormatError(6, 'flags 0, 1 or 2 (plain, Huffman- or LZ-coded header)', `got ${flags}`);
  return { headerCoding: flags, headerLength: r.u32('header length'), headerCrc32: r.u32('header checksum') };
}

/**
 * Parses the stored header (the bytes after the prefix). `payloadLength` is how many payload
 * bytes follow, when known: entries reaching past them are refused up front; a stream does
 * not know it and finds a short file when it gets there.
 */
export function parseHeader(prefix: Prefix, stored: ByteReader, payloadLength: number | undefined, limits?: ReadLimits): NncHeader {
  const limit = limitsOf(limits);
  const actual = crc32(stored.bytes);
  if (actual !== prefix.headerCrc32) throw new NncFormatError(PREFIX, `header checksum ${hex(prefix.headerCrc32)}`, `the header's bytes sum to ${hex(actual)} (corrupt or truncated file)`);
  let json: Uint8Array = stored.bytes;
  if (prefix.headerCoding === HEADER_HUFFMAN) {
    const n = stored.varint('header JSON length', Math.min(limit.maxHeaderBytes, 64 * stored.bytes.length + 64));
    json = Uint8Array.from(readHuffman(stored, n, 256, 'Huffman-coded header'));
    stored.expectEnd('the header');
  } else if (prefix.headerCoding === HEADER_LZ) {
    json = readLz(stored, limit.maxHeaderBytes, 'LZ-coded header');
    stored.expectEnd('the header');
  } else if (json.length > limit.maxHeaderBytes) {
    throw new NncFormatError(PREFIX, `a header of at most ${limit.maxHeaderBytes} bytes (ReadLimits.maxHeaderBytes)`, `it has ${json.length}`);
  }
  const depth = jsonDepth(json, limit.maxJsonDepth);
  if (depth > limit.maxJsonDepth) throw new NncFormatError(PREFIX, `header JSON nested at most ${limit.maxJsonDepth} deep (ReadLimits.maxJsonDepth)`, `it nests deeper than ${depth - 1}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(utf8Strict.decode(json));
  } catch (err) {
    throw new NncFormatError(PREFIX, 'the header as UTF-8 JSON', (err as Error).message);
  }
  if (!isObject(parsed) || !Array.isArray(parsed.tensors)) throw new NncFormatError(PREFIX, 'a header object with a tensors array');
  if (parsed.tensors.length > limit.maxTensors) throw new NncFormatError(PREFIX, `at most ${limit.maxTensors} tensors (ReadLimits.maxTensors)`, `the header lists ${parsed.tensors.length}`);
  const model = parsed.model;
  if (model !== null && !(isObject(model) && 'modelTopology' in model)) throw new NncFormatError(PREFIX, 'header.model as null or an object with modelTopology');
  const tensors = parsed.tensors.map((t, i) => checkEntry(t, i, payloadLength, PREFIX));
  const names = new Set<string>();
  let decodedBytes = 0;
  let payloadEnd = 0;
  for (const t of tensors) {
    if (names.has(t.name)) throw new NncFormatError(PREFIX, 'unique tensor names', `"${t.name}" appears twice`);
    names.add(t.name);
    // Payloads tile the payload area in order: no overlap (one payload decoded many times over), no gap.
    if (t.offset !== payloadEnd) throw new NncFormatError(PREFIX, `tensor "${t.name}" payload at offset ${payloadEnd}, right after the previous one (payloads are stored in order, without overlap or gaps)`, `it is at ${t.offset}`);
    payloadEnd += t.length;
    decodedBytes += 4 * t.shape.reduce((a, b) => a * b, 1);
    if (decodedBytes > limit.maxDecodedBytes) {
      throw new NncFormatError(PREFIX, `at most ${limit.maxDecodedBytes} bytes of decoded weights (ReadLimits.maxDecodedBytes; raise it for a larger model)`, `the tensors up to "${t.name}" already take ${decodedBytes}`);
    }
  }
  if (payloadLength !== undefined && payloadEnd !== payloadLength) {
    throw new NncFormatError(PREFIX + stored.bytes.length + payloadEnd, 'the end of the file after the last payload', `${payloadLength - payloadEnd} more bytes follow`);
  }
  return { model: model as NncModel | null, tensors, metadata: parsed.metadata as JsonValue | undefined };
}

export function decodePayload(e: NncTensorEntry, bytes: Uint8Array, at: number, registry: CodecRegistry): Float32Array {
  const sum = crc32(bytes);
  if (sum !== e.crc32) throw new NncFormatError(at, `tensor "${e.name}" with checksum ${hex(e.crc32)}`, `its bytes sum to ${hex(sum)}`);
  const codec = registry.get(e.codec);
  if (!codec) throw new NncFormatError(at, `tensor "${e.name}" in a known codec (${registry.ids().join(', ')})`, `got "${e.codec}"; register its codec first`);
  const count = e.shape.reduce((a, b) => a * b, 1);
  const r = new ByteReader(bytes, at);
  try {
    const values = codec.decode(r, e.params, count, registry);
    r.expectEnd(`tensor "${e.name}"`);
    return values;
  } catch (err) {
    if (err instanceof NncFormatError) throw new NncFormatError(err.offset, `${err.expected} in tensor "${e.name}" (codec ${e.codec})`, err.detail);
    // A codec that fails otherwise on bad bytes still gets a located, one-line error.
    throw new NncFormatError(at, `tensor "${e.name}" decodable by codec ${e.codec}`, (err as Error).message);
  }
}

/** A parsed container held in memory. Tensors are decoded when asked for, one at a time. */
export class NncFile {
  readonly header: NncHeader;
  private readonly payload: number;

  constructor(
    readonly bytes: Uint8Array,
    private readonly registry: CodecRegistry = defaultRegistry,
    limits?: ReadLimits,
  ) {
    const prefix = readPrefix(bytes);
    const r = new ByteReader(bytes);
    r.pos = PREFIX;
    const stored = r.sub(prefix.headerLength, 'the header');
    this.payload = PREFIX + prefix.headerLength;
    this.header = parseHeader(prefix, stored, bytes.length - this.payload, limits);
  }

  get names(): string[] {
    return this.header.tensors.map((t) => t.name);
  }

  entry(name: string): NncTensorEntry {
    const e = this.header.tensors.find((t) => t.name === name);
    if (!e) throw new Error(`no tensor "${name}" in this .nnc file`);
    return e;
  }

  /** Decodes one tensor, after checking its checksum. */
  decode(nameOrEntry: string | NncTensorEntry): Float32Array {
    const e = typeof nameOrEntry === 'string' ? this.entry(nameOrEntry) : nameOrEntry;
    const start = this.payload + e.offset;
    return decodePayload(e, this.bytes.subarray(start, start + e.length), start, this.registry);
  }

  /** Every tensor in file order, decoded one at a time. */
  *tensors(): Generator<{ entry: NncTensorEntry; values: Float32Array }> {
    for (const entry of this.header.tensors) yield { entry, values: this.decode(entry) };
  }
}

const hex = (n: number): string => `0x${n.toString(16).padStart(8, '0')}`;

/** Parses an .nnc file's bytes (header only; tensors decode on demand). */
export function readNnc(bytes: Uint8Array, registry: CodecRegistry = defaultRegistry, limits?: ReadLimits): NncFile {
  return new NncFile(bytes, registry, limits);
}

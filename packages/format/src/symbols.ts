/**
 * A stream of integer symbols in whichever entropy coder makes it smaller: canonical Huffman
 * (a whole number of bits per symbol, a small table) or static rANS (fractional bits, a
 * larger table). Codecs record which one in their own layout.
 */
import { ByteReader, ByteWriter } from './bytes';
import { NncFormatError } from './errors';
import { readHuffman, writeHuffman } from './huffman';
import { readRans, writeRans } from './rans';

export type SymbolCoding = 'huffman' | 'rans';
export const SYMBOL_CODINGS: readonly SymbolCoding[] = ['huffman', 'rans'];

/** The symbols coded both ways; the smaller (Huffman on a tie, or when rANS cannot hold the alphabet). */
export function encodeSymbols(symbols: ArrayLike<number>, alphabet: number): { readonly coding: SymbolCoding; readonly bytes: Uint8Array } {
  const huffman = new ByteWriter();
  writeHuffman(huffman, symbols, alphabet);
  const rans = new ByteWriter();
  if (writeRans(rans, symbols, alphabet) && rans.length < huffman.length) return { coding: 'rans', bytes: rans.finish() };
  return { coding: 'huffman', bytes: huffman.finish() };
}

/** Reads `count` symbols; with `map`, each comes out as its entry (in one pass under rANS). */
export function readSymbols(r: ByteReader, count: number, maxAlphabet: number, what: string, coding: SymbolCoding, map?: Uint32Array): Uint32Array {
  if (coding === 'rans') return readRans(r, count, maxAlphabet, what, map);
  const symbols = readHuffman(r, count, maxAlphabet, what);
  if (map) for (let i = 0; i < count; i++) symbols[i] = map[symbols[i]];
  return symbols;
}

/** A coding named by a tag byte: 0 Huffman, 1 rANS. */
export function readCodingTag(r: ByteReader, what: string): SymbolCoding {
  const at = r.offset;
  const tag = r.u8(`${what}: entropy coder (0 Huffman, 1 rANS)`);
  if (tag > 1) throw new NncFormatError(at, `${what}: entropy coder 0 (Huffman) or 1 (rANS)`, `got ${tag}`);
  return SYMBOL_CODINGS[tag];
}

export function codingTag(coding: SymbolCoding): number {
  return SYMBOL_CODINGS.indexOf(coding);
}

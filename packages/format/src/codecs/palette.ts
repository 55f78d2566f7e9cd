/**
 * A tensor as a palette: its distinct float32 bit patterns in ascending order, and each
 * value's index among them — the layout the huffman codec's palette and the codebook codec
 * share. Undefined when there are more than `max` distinct values (the caller's limit).
 */
export function paletteOf(bits: Uint32Array, max: number): { readonly entries: Uint32Array; readonly indices: Uint32Array } | undefined {
  const entries = Uint32Array.from(new Set(bits)).sort();
  if (entries.length > max) return undefined;
  const index = new Map<number, number>();
  entries.forEach((b, i) => index.set(b, i));
  return { entries, indices: Uint32Array.from(bits, (b) => index.get(b) as number) };
}

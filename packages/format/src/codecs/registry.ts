import type { CodecLookup, TensorCodec } from './codec';
import { codebookCodec } from './codebook';
import { float16Codec, float32Codec } from './float';
import { huffmanCodec } from './huffman';
import { pwlCodec } from './pwl';
import { sparseCodec } from './sparse';
import { uint8Codec } from './uint8';

/** The codecs every reader knows: a file written with them decodes with this package alone. */
export const builtinCodecs: readonly TensorCodec[] = [float32Codec, float16Codec, uint8Codec, huffmanCodec, sparseCodec, pwlCodec, codebookCodec];

/** Codecs by id. Plugins register theirs; readers look codecs up by the id in the header. */
export class CodecRegistry implements CodecLookup {
  private readonly byId = new Map<string, TensorCodec>();

  constructor(codecs: readonly TensorCodec[] = builtinCodecs) {
    for (const c of codecs) this.register(c);
  }

  /**
   * Adds a codec. Registering the same object twice is a no-op, and a codec with the same
   * decoder may replace a decode-only one (an encoder package completing a built-in
   * decoder); any other codec under a taken id is an error.
   */
  register(codec: TensorCodec): void {
    const existing = this.byId.get(codec.id);
    if (existing && existing !== codec && !(existing.decode === codec.decode && !existing.encode)) {
      throw new Error(`a different codec is already registered as "${codec.id}"`);
    }
    this.byId.set(codec.id, codec);
  }

  get(id: string): TensorCodec | undefined {
    return this.byId.get(id);
  }

  ids(): string[] {
    return [...this.byId.keys()];
  }
}

/** The registry readers and writers use unless given another. */
export const codecs = new CodecRegistry();

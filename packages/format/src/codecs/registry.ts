import type { CodecLookup, TensorCodec } from './codec';
import { float16Codec, float32Codec } from './float';
import { paletteCodec } from './palette';
import { sparseCodec } from './sparse';
import { uint8Codec } from './uint8';

/** The codecs every reader knows: a file written with them decodes with this package alone. */
export const builtinCodecs: readonly TensorCodec[] = [float32Codec, float16Codec, uint8Codec, paletteCodec, sparseCodec];

/** Codecs by id. Plugins register theirs; readers look codecs up by the id in the header. */
export class CodecRegistry implements CodecLookup {
  private readonly byId = new Map<string, TensorCodec>();

  constructor(codecs: readonly TensorCodec[] = builtinCodecs) {
    for (const c of codecs) this.register(c);
  }

  /** Adds a codec. Registering the same object twice is a no-op; another codec under a taken id is an error. */
  register(codec: TensorCodec): void {
    const existing = this.byId.get(codec.id);
    if (existing && existing !== codec) throw new Error(`a different codec is already registered as "${codec.id}"`);
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

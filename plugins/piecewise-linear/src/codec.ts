import { CodecParams, CodecRegistry, pwlCodec, TensorCodec } from '@nncompress/format';
import { encodePwl, PwlEncodeOptions } from './encode';

/** format's `pwl` decoder completed with this package's encoder. */
export const pwlEncoderCodec: TensorCodec = {
  ...pwlCodec,
  encode: (values: Float32Array, options: CodecParams) => encodePwl(values, options as PwlEncodeOptions),
};

/** Codecs this package provides (the CLI's `encode --codec` picks them up). */
export const codecs: readonly TensorCodec[] = [pwlEncoderCodec];

/** A registry with the built-in codecs and the pwl encoder. */
export function pwlRegistry(): CodecRegistry {
  const registry = new CodecRegistry();
  registry.register(pwlEncoderCodec);
  return registry;
}

import { CodecParams, CodecRegistry, pwlCodec, TensorCodec } from '@nncompress/format';
import { encodePwl, pwlDefaults, PwlEncodeOptions } from './encode';

/**
 * format's `pwl` decoder completed with this package's encoder. Options left out take
 * `pwlDefaults`, the same values the plugin's schema defaults to, so `nncompress encode
 * --codec pwl` and a pipeline's encode stage write the same bytes for the same options.
 */
export const pwlEncoderCodec: TensorCodec = {
  ...pwlCodec,
  encode: (values: Float32Array, options: CodecParams, _codecs, context) => encodePwl(values, { ...pwlDefaults, ...(options as PwlEncodeOptions) }, context),
  alsoTry: ['float16'],
  errorBound: true,
};

/** Codecs this package provides (the CLI's `encode --codec` picks them up). */
export const codecs: readonly TensorCodec[] = [pwlEncoderCodec];

/** A registry with the built-in codecs and the pwl encoder. */
export function pwlRegistry(): CodecRegistry {
  const registry = new CodecRegistry();
  registry.register(pwlEncoderCodec);
  return registry;
}

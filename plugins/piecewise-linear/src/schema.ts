import type { JsonSchema, OptionsOf } from '@nncompress/core';
import { pwlDefaults } from './encode';

export const piecewiseLinearOptionsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    codec: { enum: ['pwl', 'uint8', 'float16', 'float32', 'huffman'], default: 'pwl', description: 'Codec for every weight tensor: pwl (piecewise-linear), or a baseline — uint8 (tfjs-converter affine), float16, float32, huffman (lossless: a palette, byte planes or the raw bits, whichever is smallest).' },
    p: { type: 'number', minimum: 0, maximum: 1, default: pwlDefaults.p, description: 'pwl: largest deviation of a segment from the sorted values, as a fraction of the tensor range.' },
    pm: { type: 'integer', minimum: 1, default: pwlDefaults.pm, description: 'pwl: segments shorter than this many values merge with a neighbour.' },
    pd: { type: 'number', exclusiveMinimum: 0, maximum: 1, default: pwlDefaults.pd, description: 'pwl: code-point step along a segment, as a fraction of its length (1/pd + 1 code points per segment).' },
    parallel: { type: 'number', minimum: 0, default: pwlDefaults.parallel, description: 'pwl: segments whose slopes differ by at most this fraction share one slope (0: off).' },
    perChannel: { type: 'boolean', default: false, description: "pwl: one scale per output channel (its largest abs(w)), the fit made over the scaled values: each filter coded at its own range, and the bound kept for the whole tensor (compact networks such as MobileNetV2 have filters whose ranges differ a hundredfold)." },
    maxError: { type: 'number', exclusiveMinimum: 0, description: 'pwl error-bound mode: the largest abs(decoded − original) of any weight. Overrides pd.' },
    relativeError: { type: 'number', exclusiveMinimum: 0, maximum: 1, description: 'pwl error-bound mode per tensor: the bound is this fraction of the tensor’s largest abs(w). Overrides pd.' },
    bitsPerWeight: { type: 'number', exclusiveMinimum: 0, maximum: 32, description: 'pwl size-target mode: each tensor gets the smallest error bound whose encoding fits this many bits per entry.' },
    sparse: { enum: ['auto', 'never', 'always'], default: 'auto', description: 'Pruned zeros stored apart (bitmap or zero runs) around the codec: auto keeps whichever encoding is smaller.' },
    fileName: { type: 'string', pattern: '^[^/\\\\]+\\.nnc$', default: 'model.nnc', description: 'Name of the container in the output folder.' },
  },
} as const satisfies JsonSchema;

/** The options as `apply` receives them: validated, defaults filled in (derived from the schema, so each option is described once). */
export type PiecewiseLinearOptions = OptionsOf<typeof piecewiseLinearOptionsSchema>;
export type EncodeCodec = PiecewiseLinearOptions['codec'];

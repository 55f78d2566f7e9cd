export { PiecewiseLinearPlugin as default, PiecewiseLinearPlugin } from './plugin';
export { encodePwl, encodePwlToSize, pwlDefaults } from './encode';
export type { PwlEncodeOptions } from './encode';
export { fitSegments, mergeShort, shareSlopes, chordSegment } from './fit';
export type { FitSegment } from './fit';
export { codecs, pwlEncoderCodec, pwlRegistry } from './codec';
export { piecewiseLinearOptionsSchema } from './schema';
export type { PiecewiseLinearOptions, EncodeCodec } from './schema';

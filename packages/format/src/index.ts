/**
 * @nncompress/format: the .nnc container (writer, reader, tensor codecs registry) and a
 * tf.io IOHandler. Browser-safe: no Node-only imports (Node's fs is reached at run time only
 * when a path is given in Node).
 */
export { NncFormatError, NncEncodeError } from './errors';
export { crc32 } from './crc32';
export { ByteReader, ByteWriter } from './bytes';
export { BitWriter } from './bits';
export { huffmanLengths, writeHuffman, readHuffman, huffmanSize, MAX_CODE_LENGTH } from './huffman';
export { writeRans, readRans, ransFrequencies, AdaptiveBits, RansBitEncoder, RansBitDecoder, RANS_SCALE_BITS, PROB_BITS } from './rans';
export { encodeSymbols, readSymbols } from './symbols';
export type { SymbolCoding } from './symbols';
export { writeContextMask, readContextMask, maskModelBits } from './mask';
export type { TensorCodec, CodecParams, CodecLookup, EncodedValues, EncodeContext, JsonValue } from './codecs/codec';
export { numberParam, stringParam, requireFinite, outputChannels } from './codecs/codec';
export { float32Codec, float16Codec, toHalf, fromHalf, HALF_MAX } from './codecs/float';
export { uint8Codec, affineRange } from './codecs/uint8';
export { huffmanCodec, PALETTE_MAX } from './codecs/huffman';
export { sparseCodec, maskColumns, zeroRunSymbols } from './codecs/sparse';
export { codebookCodec, CODEBOOK_MAX } from './codecs/codebook';
export { pwlCodec, pwlValue, PWL_MAX_SYMBOLS } from './codecs/pwl';
export type { PwlSegment } from './codecs/pwl';
export { CodecRegistry, codecs, builtinCodecs } from './codecs/registry';
export { AUTO_CODEC, encodeTensor, encodeWeights, errorBound, largestAbs, maxAbsError, smallestBoundWithin, weightEncodingProblem } from './tensor';
export type { EncodedTensor, EncodeChoice, WeightEncoding } from './tensor';
export { writeNnc, readNnc, NncFile, MAGIC, FORMAT_VERSION, MAX_TENSOR_SIZE, DEFAULT_READ_LIMITS } from './container';
export type { HeaderCoding, NncHeader, NncModel, NncTensorEntry, TensorToWrite, ReadLimits } from './container';
export { openNncStream } from './stream';
export type { ByteSource, NncStream } from './stream';
export { nncompressIO, encodeArtifacts, fileToArtifacts, streamToArtifacts, weightValues } from './io';
export type { IOHandlerLike, ModelArtifactsLike, WeightSpec, WeightQuantization, WeightDtype } from './io';

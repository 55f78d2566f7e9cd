import fc from 'fast-check';
import { DEFAULT_READ_LIMITS, encodeTensor, NncFormatError, openNncStream, readNnc, writeNnc } from '../src';

/** A sparse tensor of `n` zeros: a payload of a few bytes that decodes to 4·n bytes. */
const zeros = (n: number): ReturnType<typeof encodeTensor> => encodeTensor(new Float32Array(n), { codec: 'float32', sparse: 'always' });

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

describe('read limits: a small file cannot expand without bound', () => {
  it('a run of zeros decodes within the limit, and is refused past it before anything is allocated', async () => {
    const n = 1 << 20;
    const z = zeros(n);
    const file = writeNnc(null, [{ name: 'z', shape: [n], ...z }]);
    expect(file.length).toBeLessThan(1024); // 4 MiB of weights from under 1 KB
    expect(readNnc(file).decode('z').every((v) => v === 0)).toBe(true);
    const tooBig = /^at byte 16: expected at most 4194303 bytes of decoded weights \(ReadLimits\.maxDecodedBytes; raise it for a larger model\), the tensors up to "z" already take 4194304$/;
    expect(() => readNnc(file, undefined, { maxDecodedBytes: 4 * n - 1 })).toThrow(tooBig);
    await expect(openNncStream(once(file), undefined, { maxDecodedBytes: 4 * n - 1 })).rejects.toThrow(tooBig);
  });

  it('refuses a ~1 KB file declaring 64 GiB of weights when the header is read (the default limit is 1 GiB)', () => {
    const payload = zeros(4);
    const tensors = Array.from({ length: 64 }, (_, i) => ({ name: `t${i}`, shape: [2 ** 28], ...payload }));
    const bomb = writeNnc(null, tensors);
    expect(bomb.length).toBeLessThan(2000);
    expect(DEFAULT_READ_LIMITS.maxDecodedBytes).toBe(2 ** 30);
    // The header check throws from readNnc itself: no tensor was decoded, nothing was allocated for one.
    expect(() => readNnc(bomb)).toThrow(/^at byte 16: expected at most 1073741824 bytes of decoded weights .*the tensors up to "t1" already take 2147483648$/);
  });

  it('bounds the decoded header, its JSON nesting and its tensor count', () => {
    const big = writeNnc(null, [], { note: 'x'.repeat(5000) }, { header: 'lz' });
    expect(big.length).toBeLessThan(400);
    expect(() => readNnc(big, undefined, { maxHeaderBytes: 1000 })).toThrow(/^at byte \d+: expected LZ-coded header: decoded length ≤ 1000, got 50\d\d$/);
    expect(() => readNnc(writeNnc(null, [], { note: 'x'.repeat(5000) }, { header: 'plain' }), undefined, { maxHeaderBytes: 1000 })).toThrow(/^at byte 16: expected a header of at most 1000 bytes \(ReadLimits\.maxHeaderBytes\), it has 50\d\d$/);
    let deep: unknown = 1;
    for (let i = 0; i < 300; i++) deep = [deep];
    expect(() => readNnc(writeNnc(null, [], deep as never))).toThrow(/^at byte 16: expected header JSON nested at most 200 deep \(ReadLimits\.maxJsonDepth\), it nests deeper than 200$/);
    const three = writeNnc(null, ['a', 'b', 'c'].map((name) => ({ name, shape: [1], ...encodeTensor(Float32Array.of(1)) })));
    expect(() => readNnc(three, undefined, { maxTensors: 2 })).toThrow('at byte 16: expected at most 2 tensors (ReadLimits.maxTensors), the header lists 3');
    expect(readNnc(three).names).toEqual(['a', 'b', 'c']);
  });

  it('random declared sizes: within the limit the header reads, past it the error comes from the header check', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 2 ** 26 }), { minLength: 1, maxLength: 8 }), fc.integer({ min: 1, max: 2 ** 29 }), (sizes, limit) => {
        const payload = zeros(1);
        const file = writeNnc(null, sizes.map((n, i) => ({ name: `t${i}`, shape: [n], ...payload })));
        const total = 4 * sizes.reduce((a, b) => a + b, 0);
        let thrown: unknown;
        try {
          readNnc(file, undefined, { maxDecodedBytes: limit });
        } catch (err) {
          thrown = err;
        }
        if (total <= limit) expect(thrown).toBeUndefined();
        else {
          expect(thrown).toBeInstanceOf(NncFormatError);
          expect((thrown as Error).message).toMatch(/ReadLimits\.maxDecodedBytes/);
        }
      }),
      { numRuns: 300 },
    );
  });
});

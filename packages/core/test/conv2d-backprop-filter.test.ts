import fc from 'fast-check';
import { chooseBackend, tf } from '../src';

/**
 * The wasm backend's Conv2DBackpropFilter (ours) against the cpu backend's (tfjs's), through
 * tf.grads of a conv2d — the path training takes.
 */
function convGrads(x: Float32Array, xShape: number[], w: Float32Array, wShape: number[], r: Float32Array, stride: number, pad: 'same' | 'valid'): [Float32Array, Float32Array] {
  return tf.tidy(() => {
    const f = (a: tf.Tensor, b: tf.Tensor): tf.Tensor => {
      const y = tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, stride, pad);
      return tf.sum(tf.mul(y, tf.tensor(r.subarray(0, y.size), y.shape)));
    };
    const [dx, dw] = tf.grads(f)([tf.tensor(x, xShape), tf.tensor(w, wShape)]);
    return [dx.dataSync() as Float32Array, dw.dataSync() as Float32Array];
  });
}

function maxRelativeError(a: Float32Array, ref: Float32Array): number {
  let scale = 1e-6;
  for (const v of ref) scale = Math.max(scale, Math.abs(v));
  let err = 0;
  for (let i = 0; i < a.length; i++) err = Math.max(err, Math.abs(a[i] - ref[i]));
  return err / scale;
}

describe('Conv2DBackpropFilter on wasm', () => {
  beforeAll(async () => {
    const info = await chooseBackend('wasm');
    expect(info.name).toBe('wasm');
  });

  afterAll(async () => {
    await tf.setBackend('wasm');
  });

  it('matches the cpu backend for random shapes, strides 1 and 2, same and valid padding', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          n: fc.integer({ min: 1, max: 3 }),
          h: fc.integer({ min: 5, max: 12 }),
          w: fc.integer({ min: 5, max: 12 }),
          cin: fc.integer({ min: 1, max: 4 }),
          cout: fc.integer({ min: 1, max: 5 }),
          k: fc.integer({ min: 1, max: 5 }),
          stride: fc.constantFrom(1, 2),
          pad: fc.constantFrom<'same' | 'valid'>('same', 'valid'),
          seed: fc.integer({ min: 0, max: 1 << 30 }),
        }),
        async ({ n, h, w, cin, cout, k, stride, pad, seed }) => {
          const xShape = [n, h, w, cin];
          const wShape = [k, k, cin, cout];
          const x = tf.randomNormal(xShape, 0, 1, 'float32', seed).dataSync() as Float32Array;
          const wt = tf.randomNormal(wShape, 0, 1, 'float32', seed + 1).dataSync() as Float32Array;
          const r = tf.randomNormal([n * h * w * cout], 0, 1, 'float32', seed + 2).dataSync() as Float32Array;
          await tf.setBackend('wasm');
          const [dxWasm, dwWasm] = convGrads(x, xShape, wt, wShape, r, stride, pad);
          await tf.setBackend('cpu');
          const [dxCpu, dwCpu] = convGrads(x, xShape, wt, wShape, r, stride, pad);
          await tf.setBackend('wasm');
          expect(dwWasm.length).toBe(dwCpu.length);
          expect(maxRelativeError(dwWasm, dwCpu)).toBeLessThanOrEqual(1e-4);
          expect(maxRelativeError(dxWasm, dxCpu)).toBeLessThanOrEqual(1e-4);
        },
      ),
      { numRuns: 40, seed: 4242 },
    );
  });

  it('trains a Conv2D layer without activation (the fused path that bypasses the gradient registry)', async () => {
    await tf.setBackend('wasm');
    const model = tf.sequential({
      layers: [tf.layers.conv2d({ inputShape: [6, 6, 2], filters: 3, kernelSize: 3, strides: 2, padding: 'same' }), tf.layers.flatten(), tf.layers.dense({ units: 1 })],
    });
    const x = tf.randomNormal([4, 6, 6, 2], 0, 1, 'float32', 3);
    const { grads } = tf.variableGrads(() => tf.sum(tf.square(model.apply(x) as tf.Tensor)) as tf.Scalar);
    const kernelGrad = grads[(model.layers[0].weights[0].read() as tf.Variable).name];
    expect(kernelGrad.shape).toEqual([3, 3, 2, 3]);
    expect(tf.sum(tf.abs(kernelGrad)).dataSync()[0]).toBeGreaterThan(0);
  });
});

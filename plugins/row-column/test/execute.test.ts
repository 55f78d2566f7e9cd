import { chooseBackend, Rng, tf } from '@nncompress/core';
import { gemmMask, gemmViews, packGemmLayer } from '@nncompress/plugin-row-column';

beforeAll(async () => {
  await chooseBackend('wasm');
});

/** A random non-empty, ascending subset of 0..n−1. */
function subset(rng: Rng, n: number, p: number): number[] {
  const out = Array.from({ length: n }, (_, k) => k).filter(() => rng.next() < p);
  return out.length > 0 ? out : [rng.int(n)];
}

describe('packed GEMM execution (im2col over kept columns only)', () => {
  const cases: { name: string; padding: 'same' | 'valid'; strides: number; kernel: number }[] = [
    { name: '3×3 valid, stride 1', padding: 'valid', strides: 1, kernel: 3 },
    { name: '3×3 same, stride 2', padding: 'same', strides: 2, kernel: 3 },
    { name: '5×5 same, stride 1', padding: 'same', strides: 1, kernel: 5 },
    { name: '2×2 valid, stride 2', padding: 'valid', strides: 2, kernel: 2 },
  ];
  it.each(cases)('Conv2D $name: equals the masked layer on the kept rows', ({ padding, strides, kernel }) => {
    const rng = new Rng(kernel * 10 + strides);
    for (let trial = 0; trial < 4; trial++) {
      const input = tf.input({ shape: [9, 11, 5] });
      const conv = tf.layers.conv2d({ name: `conv_${trial}`, filters: 7, kernelSize: kernel, strides, padding, biasInitializer: 'randomNormal', kernelInitializer: tf.initializers.randomNormal({ seed: trial }) });
      const model = tf.model({ inputs: input, outputs: conv.apply(input) as tf.SymbolicTensor });
      const [view] = gemmViews(model);
      const keptRows = subset(rng, view.rows, 0.6);
      const keptCols = subset(rng, view.cols, 0.4);
      const packed = packGemmLayer(model, view, keptRows, keptCols);
      expect(packed.macs).toBe(keptRows.length * keptCols.length * (model.outputs[0].shape[1] as number) * (model.outputs[0].shape[2] as number));
      const x = tf.randomNormal([3, 9, 11, 5], 0, 1, 'float32', trial);
      const [k, b] = conv.getWeights();
      const mask = tf.tensor(gemmMask(view, keptRows, keptCols), k.shape, 'bool');
      const expected = tf.tidy(() => tf.gather(tf.add(tf.conv2d(x as tf.Tensor4D, tf.where(mask, k, tf.zerosLike(k)) as tf.Tensor4D, strides, padding), b), keptRows, 3));
      const got = packed.apply(x);
      expect(got.shape).toEqual(expected.shape);
      expect(tf.max(tf.abs(tf.sub(got, expected))).dataSync()[0]).toBeLessThan(1e-4);
      packed.dispose();
      tf.dispose([x, mask, expected, got]);
      model.dispose();
    }
  });

  it('Dense (also behind a Flatten): equals the masked layer on the kept rows', () => {
    const rng = new Rng(3);
    const model = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [4, 4, 3] }), tf.layers.dense({ name: 'fc', units: 9, biasInitializer: 'randomNormal' })] });
    const [view] = gemmViews(model);
    const keptRows = subset(rng, 9, 0.5);
    const keptCols = subset(rng, 48, 0.3);
    const packed = packGemmLayer(model, view, keptRows, keptCols);
    const x = tf.randomNormal([5, 4, 4, 3], 0, 1, 'float32', 1);
    const [k, b] = model.getLayer('fc').getWeights();
    const mask = tf.tensor(gemmMask(view, keptRows, keptCols), k.shape, 'bool');
    const expected = tf.tidy(() => tf.gather(tf.add(tf.matMul(tf.reshape(x, [5, 48]) as tf.Tensor2D, tf.where(mask, k, tf.zerosLike(k)) as tf.Tensor2D), b), keptRows, 1));
    const got = packed.apply(x);
    expect(got.shape).toEqual([5, keptRows.length]);
    expect(tf.max(tf.abs(tf.sub(got, expected))).dataSync()[0]).toBeLessThan(1e-4);
    expect(packed.macs).toBe(keptRows.length * keptCols.length);
    packed.dispose();
  });
});

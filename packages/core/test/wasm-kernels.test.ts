import fc from 'fast-check';
import { chooseBackend, tf } from '../src';
import { withoutInputGradients } from '../src/backend/conv2d-backprop-input';
import { inputConvolutionKernels, weightGradients } from '../src/training/weight-gradients';

/**
 * The kernels core supplies to the wasm backend (Conv2DBackpropFilter, the depthwise backprop
 * pair, Conv2DBackpropInput as a forward convolution, products with transposed operands)
 * against the cpu backend's, through tf.grads — the path training takes.
 */
type Conv = (x: tf.Tensor4D, w: tf.Tensor4D, stride: number, pad: 'same' | 'valid') => tf.Tensor;
const conv: Conv = (x, w, stride, pad) => tf.conv2d(x, w, stride, pad);
const depthwise: Conv = (x, w, stride, pad) => tf.depthwiseConv2d(x, w, stride, pad);

function convGrads(op: Conv, x: Float32Array, xShape: number[], w: Float32Array, wShape: number[], r: Float32Array, stride: number, pad: 'same' | 'valid'): [Float32Array, Float32Array] {
  return tf.tidy(() => {
    const f = (a: tf.Tensor, b: tf.Tensor): tf.Tensor => {
      const y = op(a as tf.Tensor4D, b as tf.Tensor4D, stride, pad);
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

/**
 * Gradients of `op` on wasm and on cpu for the same random x, w and output weights r: both
 * the input and the filter gradient must agree to 1e-4 relative to the largest value.
 */
async function expectWasmMatchesCpu(op: Conv, xShape: number[], wShape: number[], stride: number, pad: 'same' | 'valid', seed: number): Promise<void> {
  const x = tf.randomNormal(xShape, 0, 1, 'float32', seed).dataSync() as Float32Array;
  const wt = tf.randomNormal(wShape, 0, 1, 'float32', seed + 1).dataSync() as Float32Array;
  const r = tf.randomNormal([xShape[0] * xShape[1] * xShape[2] * wShape[2] * wShape[3]], 0, 1, 'float32', seed + 2).dataSync() as Float32Array;
  await tf.setBackend('wasm');
  const [dxWasm, dwWasm] = convGrads(op, x, xShape, wt, wShape, r, stride, pad);
  await tf.setBackend('cpu');
  const [dxCpu, dwCpu] = convGrads(op, x, xShape, wt, wShape, r, stride, pad);
  await tf.setBackend('wasm');
  expect(dwWasm.length).toBe(dwCpu.length);
  expect(dxWasm.length).toBe(dxCpu.length);
  expect(maxRelativeError(dwWasm, dwCpu)).toBeLessThanOrEqual(1e-4);
  expect(maxRelativeError(dxWasm, dxCpu)).toBeLessThanOrEqual(1e-4);
}

describe('wasm gradient kernels', () => {
  beforeAll(async () => {
    const info = await chooseBackend('wasm');
    expect(info.name).toBe('wasm');
  });

  afterAll(async () => {
    await tf.setBackend('wasm');
  });

  it('Conv2DBackpropFilter matches the cpu backend for random shapes, strides 1 and 2, same and valid padding', async () => {
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
        ({ n, h, w, cin, cout, k, stride, pad, seed }) => expectWasmMatchesCpu(conv, [n, h, w, cin], [k, k, cin, cout], stride, pad, seed),
      ),
      { numRuns: 40, seed: 4242 },
    );
  });

  it('depthwise backprop (filter and input) matches the cpu backend, multipliers 1 and 2', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          n: fc.integer({ min: 1, max: 3 }),
          h: fc.integer({ min: 4, max: 12 }),
          w: fc.integer({ min: 4, max: 12 }),
          c: fc.integer({ min: 1, max: 6 }),
          m: fc.constantFrom(1, 2),
          k: fc.integer({ min: 1, max: 5 }),
          stride: fc.constantFrom(1, 2),
          pad: fc.constantFrom<'same' | 'valid'>('same', 'valid'),
          seed: fc.integer({ min: 0, max: 1 << 30 }),
        }).filter(({ h, w, k, pad }) => pad === 'same' || (h >= k && w >= k)),
        ({ n, h, w, c, m, k, stride, pad, seed }) => expectWasmMatchesCpu(depthwise, [n, h, w, c], [k, k, c, m], stride, pad, seed),
      ),
      { numRuns: 60, seed: 777 },
    );
  });

  it('matrix products with transposed operands (plain and fused with bias and ReLU) match the cpu backend, and their gradients too', async () => {
    const product = (a: Float32Array, aShape: number[], b: Float32Array, bShape: number[], bias: Float32Array, ta: boolean, tb: boolean, fused: boolean): Float32Array[] =>
      tf.tidy(() => {
        const f = (x: tf.Tensor, y: tf.Tensor): tf.Tensor => {
          const out = fused ? tf.fused.matMul({ a: x as tf.Tensor2D, b: y as tf.Tensor2D, transposeA: ta, transposeB: tb, bias: tf.tensor1d(bias), activation: 'relu' }) : tf.matMul(x, y, ta, tb);
          return tf.sum(tf.mul(out, tf.range(0, out.size).reshape(out.shape).div(out.size)));
        };
        const x = tf.tensor(a, aShape);
        const y = tf.tensor(b, bShape);
        const [dx, dy] = tf.grads(f)([x, y]);
        const value = fused ? tf.fused.matMul({ a: x as tf.Tensor2D, b: y as tf.Tensor2D, transposeA: ta, transposeB: tb, bias: tf.tensor1d(bias), activation: 'relu' }) : tf.matMul(x, y, ta, tb);
        return [value.dataSync() as Float32Array, dx.dataSync() as Float32Array, dy.dataSync() as Float32Array];
      });
    await fc.assert(
      fc.asyncProperty(
        fc.record({ m: fc.integer({ min: 1, max: 9 }), k: fc.integer({ min: 1, max: 9 }), n: fc.integer({ min: 1, max: 9 }), ta: fc.boolean(), tb: fc.boolean(), fused: fc.boolean(), seed: fc.integer({ min: 0, max: 1 << 30 }) }),
        async ({ m, k, n, ta, tb, fused, seed }) => {
          const aShape = ta ? [k, m] : [m, k];
          const bShape = tb ? [n, k] : [k, n];
          const a = tf.randomNormal(aShape, 0, 1, 'float32', seed).dataSync() as Float32Array;
          const b = tf.randomNormal(bShape, 0, 1, 'float32', seed + 1).dataSync() as Float32Array;
          const bias = tf.randomNormal([n], 0, 1, 'float32', seed + 2).dataSync() as Float32Array;
          await tf.setBackend('wasm');
          const onWasm = product(a, aShape, b, bShape, bias, ta, tb, fused);
          await tf.setBackend('cpu');
          const onCpu = product(a, aShape, b, bShape, bias, ta, tb, fused);
          await tf.setBackend('wasm');
          onWasm.forEach((values, i) => expect(maxRelativeError(values, onCpu[i])).toBeLessThanOrEqual(1e-5));
        },
      ),
      { numRuns: 60, seed: 99 },
    );
  });

  it('max pooling gradients equal the cpu backend exactly, including all-negative windows and ties', async () => {
    // Integers in [-3, 2] give all-negative windows and many ties, the cases the wasm backend's own kernel gets wrong.
    const poolGrad = (x: Float32Array, shape: number[], size: number, stride: number, pad: 'same' | 'valid', r: Float32Array): Float32Array =>
      tf.tidy(() => {
        const f = (a: tf.Tensor): tf.Tensor => {
          const y = tf.maxPool(a as tf.Tensor4D, size, stride, pad);
          return tf.sum(tf.mul(y, tf.tensor(r.subarray(0, y.size), y.shape)));
        };
        return tf.grad(f)(tf.tensor(x, shape)).dataSync() as Float32Array;
      });
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          n: fc.integer({ min: 1, max: 3 }),
          h: fc.integer({ min: 3, max: 10 }),
          w: fc.integer({ min: 3, max: 10 }),
          c: fc.integer({ min: 1, max: 4 }),
          size: fc.integer({ min: 1, max: 3 }),
          stride: fc.integer({ min: 1, max: 3 }),
          pad: fc.constantFrom<'same' | 'valid'>('same', 'valid'),
          seed: fc.integer({ min: 0, max: 1 << 30 }),
        }),
        async ({ n, h, w, c, size, stride, pad, seed }) => {
          const shape = [n, h, w, c];
          const x = tf.tidy(() => tf.floor(tf.randomUniform(shape, -3, 3, 'float32', seed)).dataSync() as Float32Array);
          const r = tf.tidy(() => tf.randomNormal([n * h * w * c], 0, 1, 'float32', seed + 1).dataSync() as Float32Array);
          await tf.setBackend('wasm');
          const onWasm = poolGrad(x, shape, size, stride, pad, r);
          await tf.setBackend('cpu');
          const onCpu = poolGrad(x, shape, size, stride, pad, r);
          await tf.setBackend('wasm');
          expect(Array.from(onWasm)).toEqual(Array.from(onCpu));
        },
      ),
      { numRuns: 80, seed: 2026 },
    );
    // The hand-checkable case: the window [-2, -1, -1, -2] sends its gradient to the first -1.
    const dx = tf.tidy(() => tf.grad((a: tf.Tensor) => tf.sum(tf.maxPool(a as tf.Tensor4D, 2, 2, 'valid')))(tf.tensor4d([-2, -1, -1, -2], [1, 2, 2, 1])).dataSync());
    expect(Array.from(dx)).toEqual([0, 1, 0, 0]);
  });

  it('Tile equals the cpu backend bit for bit, for every rank up to 4, float32 and int32', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 4 }).chain((rank) =>
          fc.record({
            shape: fc.array(fc.integer({ min: 1, max: 5 }), { minLength: rank, maxLength: rank }),
            reps: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: rank, maxLength: rank }),
            dtype: fc.constantFrom<'float32' | 'int32'>('float32', 'int32'),
            seed: fc.integer({ min: 0, max: 1 << 30 }),
          }),
        ),
        async ({ shape, reps, dtype, seed }) => {
          const values = tf.tidy(() => tf.randomUniform(shape, -100, 100, dtype, seed).dataSync());
          const tiled = (): number[] => tf.tidy(() => Array.from(tf.tile(tf.tensor(values, shape, dtype), reps).dataSync()));
          await tf.setBackend('wasm');
          const onWasm = tiled();
          await tf.setBackend('cpu');
          const onCpu = tiled();
          await tf.setBackend('wasm');
          expect(onWasm).toEqual(onCpu);
        },
      ),
      { numRuns: 100, seed: 31 },
    );
  });

  it('composed kernels leave no tensors or wasm buffers behind', async () => {
    await tf.setBackend('wasm');
    const x = tf.randomNormal([2, 9, 9, 4], 0, 1, 'float32', 1);
    const w = tf.randomNormal([3, 3, 4, 2], 0, 1, 'float32', 2);
    const wc = tf.randomNormal([3, 3, 4, 5], 0, 1, 'float32', 3);
    const step = (): void =>
      tf.tidy(() => {
        const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same'))))([x, w]);
        const [, dwc] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same'))))([x, wc]);
        // Stride 1: the input gradient as a forward convolution; and products with transposed operands.
        const [dx1, dw1] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same'))))([x, wc]);
        const flat = tf.reshape(x, [2, 324]);
        const [dm] = tf.grads((a: tf.Tensor) => tf.sum(tf.matMul(a, flat, true, false)))([flat]);
        void [dx.dataSync(), dw.dataSync(), dwc.dataSync(), dx1.dataSync(), dw1.dataSync(), dm.dataSync()];
      });
    step();
    const before = tf.memory();
    for (let i = 0; i < 3; i++) step();
    const after = tf.memory();
    expect(after.numTensors).toBe(before.numTensors);
    expect(after.numBytes).toBe(before.numBytes);
    expect(after.numDataBuffers).toBe(before.numDataBuffers);
    tf.dispose([x, w, wc]);
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

describe('work no weight gradient needs is skipped, bit for bit', () => {
  it('Identity on wasm shares its input: a clone outlives its disposed source with the same values, and nothing leaks', async () => {
    await chooseBackend('wasm');
    const before = tf.memory();
    const x = tf.randomNormal([3, 5], 0, 1, 'float32', 7);
    const values = Array.from(x.dataSync());
    const y = tf.clone(x);
    expect(y.dataId).toBe(x.dataId);
    x.dispose();
    expect(Array.from(y.dataSync())).toEqual(values);
    y.dispose();
    const after = tf.memory();
    expect(after.numTensors).toBe(before.numTensors);
    expect(after.numBytes).toBe(before.numBytes);
    expect(after.numDataBuffers).toBe(before.numDataBuffers);
  });

  /** A convolution reading the input, one reading a convolution, one inside a nested model. */
  const build = (): tf.LayersModel => {
    const inner = tf.sequential({ layers: [tf.layers.conv2d({ inputShape: [6, 6, 4], filters: 2, kernelSize: 3, padding: 'same', kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) })] });
    const input = tf.input({ shape: [8, 8, 2] });
    const first = tf.layers.conv2d({ name: 'reads_input', filters: 4, kernelSize: 3, kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }).apply(input) as tf.SymbolicTensor;
    const second = tf.layers.conv2d({ name: 'reads_conv', filters: 4, kernelSize: 1, kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }).apply(first) as tf.SymbolicTensor;
    const nested = inner.apply(second) as tf.SymbolicTensor;
    const out = tf.layers.dense({ units: 3, kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }) }).apply(tf.layers.flatten().apply(nested)) as tf.SymbolicTensor;
    return tf.model({ inputs: input, outputs: out });
  };

  it('finds exactly the convolutions that read the model input', async () => {
    await chooseBackend('wasm');
    const model = build();
    const kernels = inputConvolutionKernels(model);
    expect(kernels.map((k) => k.shape)).toEqual([[3, 3, 2, 4]]);
    expect(kernels[0]).toBe(model.getLayer('reads_input').weights[0].read());
    model.dispose();
  });

  it('gives the same weight gradients, bit for bit, while the skipped input gradient is zeros', async () => {
    await chooseBackend('wasm');
    const model = build();
    const x = tf.randomNormal([5, 8, 8, 2], 0, 1, 'float32', 9);
    const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const loss = (): tf.Scalar => tf.sum(tf.square(model.apply(x) as tf.Tensor)) as tf.Scalar;
    const gradients = (g: tf.NamedTensorMap): number[][] => variables.map((v) => Array.from(g[v.name].dataSync()));
    const all = tf.tidy(() => gradients(tf.variableGrads(loss, variables).grads));
    // Which input gradients the training path computed, and whether each was all zeros.
    const engine = tf.engine();
    const runKernel = engine.runKernel.bind(engine);
    const inputGradients: { shape: number[]; zero: boolean }[] = [];
    const spy = jest.spyOn(engine, 'runKernel').mockImplementation((name, inputs, attrs) => {
      const out = runKernel(name, inputs, attrs);
      if (name === 'Conv2DBackpropInput') inputGradients.push({ shape: (out as tf.Tensor).shape, zero: (out as tf.Tensor).dataSync().every((v) => v === 0) });
      return out;
    });
    const skipped = tf.tidy(() => gradients(weightGradients(loss, variables, inputConvolutionKernels(model)).grads));
    spy.mockRestore();
    expect(skipped).toEqual(all);
    expect(inputGradients).toContainEqual({ shape: [5, 8, 8, 2], zero: true });
    expect(inputGradients.filter((g) => g.zero)).toHaveLength(1);
    // The kernel itself: zeros for a marked filter, the real gradient otherwise.
    const filter = variables[0];
    const dy = tf.randomNormal([5, 6, 6, 4], 0, 1, 'float32', 10);
    const inputGradient = (): number => tf.tidy(() => tf.sum(tf.abs(tf.engine().runKernel('Conv2DBackpropInput', { dy, filter }, { strides: 1, pad: 'valid', dataFormat: 'NHWC', inputShape: [5, 8, 8, 2] }) as tf.Tensor)).dataSync()[0]);
    expect(inputGradient()).toBeGreaterThan(0);
    expect(withoutInputGradients([filter], inputGradient)).toBe(0);
    expect(inputGradient()).toBeGreaterThan(0);
    tf.dispose([x, dy]);
    model.dispose();
  });
});

describe('a MobileNet-style block trains on wasm', () => {
  it('gives kernel gradients matching cpu for DepthwiseConv2D + BatchNorm + ReLU6 + pointwise Conv2D', async () => {
    const build = (): tf.LayersModel =>
      tf.sequential({
        layers: [
          tf.layers.depthwiseConv2d({ inputShape: [10, 10, 3], kernelSize: 3, strides: 2, padding: 'same', useBias: false, depthwiseInitializer: tf.initializers.glorotUniform({ seed: 1 }) }),
          tf.layers.batchNormalization(),
          tf.layers.reLU({ maxValue: 6 }),
          tf.layers.conv2d({ filters: 4, kernelSize: 1, kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
          tf.layers.flatten(),
          tf.layers.dense({ units: 2, kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }),
        ],
      });
    const grads = async (backend: string): Promise<Float32Array[]> => {
      await tf.setBackend(backend);
      const model = build();
      const x = tf.randomNormal([3, 10, 10, 3], 0, 1, 'float32', 5);
      const { grads: g } = tf.variableGrads(() => tf.sum(tf.square(model.apply(x, { training: true }) as tf.Tensor)) as tf.Scalar, model.trainableWeights.map((w) => w.read() as tf.Variable));
      const out = model.trainableWeights.map((w) => g[(w.read() as tf.Variable).name].dataSync() as Float32Array);
      model.dispose();
      return out;
    };
    const wasm = await grads('wasm');
    const cpu = await grads('cpu');
    await tf.setBackend('wasm');
    expect(wasm).toHaveLength(cpu.length);
    wasm.forEach((g, i) => expect(maxRelativeError(g, cpu[i])).toBeLessThanOrEqual(1e-4));
  });
});

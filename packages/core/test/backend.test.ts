import { chooseBackend } from '../src';

// A tfjs-node whose package is present but whose native part is missing throws on require.
jest.mock(
  '@tensorflow/tfjs-node',
  () => {
    throw new Error('libtensorflow.so.2: cannot open shared object file');
  },
  { virtual: true },
);

describe('chooseBackend', () => {
  it('falls back from a broken tfjs-node to wasm and says why', async () => {
    const info = await chooseBackend('auto');
    expect(info.name).toBe('wasm');
    expect(info.notes.join('\n')).toMatch(/tfjs-node unavailable \(.*libtensorflow\.so\.2: cannot open shared object file\)/);
  });

  it('rejects a backend that cannot start, naming it', async () => {
    await expect(chooseBackend('tensorflow')).rejects.toThrow(/no usable TensorFlow\.js backend \(tfjs-node unavailable/);
  });
});

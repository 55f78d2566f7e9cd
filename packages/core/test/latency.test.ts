import { tf } from '../src';
import { compareLatency } from '../src/entries/model';

/** A tiny dense model whose predict calls are logged under `label`. */
function logged(label: string, log: string[]): tf.LayersModel {
  const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [4], units: 2 })] });
  const predict = model.predict.bind(model);
  model.predict = (x, args) => {
    log.push(`${label}${(x as tf.Tensor).shape[0]}`);
    return predict(x, args);
  };
  return model;
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('compareLatency', () => {
  it('times the two models in alternating blocks, batch 1 then batch 32, and reports positive medians', () => {
    const log: string[] = [];
    const result = compareLatency(logged('a', log), logged('b', log), 3, 2);
    const block = (label: string, batch: number, n: number): string[] => Array.from({ length: n }, () => `${label}${batch}`);
    const expected = [
      // Warm-up (3 calls at batch 1, 1 at batch 32) plus one timed call each, then 3 rounds of 2 + 2.
      ...block('a', 1, 4), ...block('b', 1, 4),
      ...[0, 1, 2].flatMap(() => [...block('a', 1, 2), ...block('b', 1, 2)]),
      ...block('a', 32, 2), ...block('b', 32, 2),
      ...[0, 1, 2].flatMap(() => [...block('a', 32, 2), ...block('b', 32, 2)]),
    ];
    expect(log).toEqual(expected);
    for (const latency of [result.before, result.after]) {
      expect(latency.batch1).toBeGreaterThan(0);
      expect(latency.batch32).toBeGreaterThan(0);
      expect(Number.isFinite(latency.batch1 + latency.batch32)).toBe(true);
    }
  });

  it('refuses rounds or block sizes that are not positive integers', () => {
    const log: string[] = [];
    expect(() => compareLatency(logged('a', log), logged('b', log), 0)).toThrow('compareLatency: rounds and callsPerBlock must be positive integers (got 0, 5)');
    expect(() => compareLatency(logged('a', log), logged('b', log), 3, 1.5)).toThrow('compareLatency: rounds and callsPerBlock must be positive integers (got 3, 1.5)');
    expect(log).toEqual([]);
  });
});

/**
 * A dataset source from outside core, in one file: the `mnist` package's digits restricted to
 * the classes a config names, relabelled 0..k−1 in the order given. "3 against 8" becomes a
 * two-class problem (`task: { kind: binary }` with a sigmoid model, or classification with a
 * two-way softmax) without writing any files. The plugin declares it in `datasetSources`, so
 * `data: { source: digit-pairs, digits: [3, 8] }` works in `run`, `sensitivity` and the bench.
 */
import { ArrayDataset, defineDatasetSource } from '@nncompress/core';
import { labelArray, loadMnist } from '@nncompress/core/data';

export interface DigitPairsOptions {
  readonly digits: readonly number[];
}

/** The examples of `data` whose digit is in `digits`, relabelled by their position in it. */
function keepDigits(data: ArrayDataset, digits: readonly number[], name: string): ArrayDataset {
  const kept: number[] = [];
  for (let i = 0; i < data.size; i++) if (digits.includes(data.labels[i])) kept.push(i);
  const subset = data.subset(kept);
  const labels = labelArray(kept.length, digits.length);
  kept.forEach((src, i) => (labels[i] = digits.indexOf(data.labels[src])));
  return new ArrayDataset(name, subset.rows, labels, data.featureShape, digits.length, subset.decoding);
}

export const digitPairsSource = defineDatasetSource<DigitPairsOptions>({
  id: 'digit-pairs',
  description: "The mnist package's digits of the classes named in `digits` only, relabelled 0..k−1 in that order.",
  order: 'fixed-random',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['digits'],
    properties: {
      digits: { type: 'array', items: { type: 'integer', minimum: 0, maximum: 9 }, minItems: 2, uniqueItems: true, description: 'The digits kept, in the order of their new labels.' },
    },
  },
  load(options) {
    const all = loadMnist();
    return {
      train: keepDigits(all.train, options.digits, 'digit-pairs-train'),
      test: keepDigits(all.test, options.digits, 'digit-pairs-test'),
      classNames: options.digits.map(String),
    };
  },
});

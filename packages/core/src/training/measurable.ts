/**
 * Whether core can measure a model on its data under the run's task (see task.ts): a
 * classification model must end in a softmax over the data's classes, a binary or multilabel
 * one in sigmoids (one per label), a regression one in as many outputs as the data have
 * targets. Anything else would be scored with the wrong loss and a meaningless metric — a
 * regression once ran to the end reporting "accuracy 100% → 100%" while fine-tuning ruined
 * it — so it is refused before anything runs, with the task to set in the config.
 */
import type * as tf from '@tensorflow/tfjs';
import type { ArrayDataset } from '../datasets/dataset';
import { layerKinds, LayerKindRegistry } from '../graph/layer-kinds';
import { CLASSIFICATION, Task } from './task';

/** What core measures, said wherever a model is refused. */
export const MEASURABLE_TASKS = 'nncompress measures models with one output: classification (a softmax over the classes), binary and multilabel (sigmoids), and regression; say which in the config (task: { kind })';

/** The activation the model's output passes through last, by tfjs name, if known. */
function outputActivation(layer: tf.layers.Layer, kinds: LayerKindRegistry): string | undefined {
  const name = layer.getClassName();
  if (name === 'Softmax') return 'softmax';
  return kinds.get(name)?.activation?.(layer);
}

/**
 * Why core cannot measure `model` on `data` (a dataset carrying its task, or a class count for
 * classification), or undefined when it can. The reason is one clause, for an error line.
 */
export function unmeasurableReason(model: tf.LayersModel, data: ArrayDataset | number, kinds: LayerKindRegistry = layerKinds): string | undefined {
  const task: Task = typeof data === 'number' ? CLASSIFICATION : data.task;
  if (model.outputs.length !== 1) return `the model has ${model.outputs.length} outputs`;
  const layer = model.outputs[0].sourceLayer as tf.layers.Layer;
  const activation = outputActivation(layer, kinds);
  const shape = model.outputs[0].shape;
  if (shape.length !== 2) return `its output has shape [${shape.map((d) => d ?? '?').join(', ')}], not one vector per example`;
  const width = shape[1];
  const ends = `its output layer ${layer.name} (${layer.getClassName()}) ends in ${activation === undefined ? 'an unknown activation' : `activation ${activation}`}`;
  switch (task.kind) {
    case 'classification': {
      const classes = typeof data === 'number' ? data : data.numClasses;
      if (activation !== 'softmax') return `${ends}, not the softmax a classification task needs`;
      const whose = typeof data === 'number' ? 'the data' : `the data (${data.name})`;
      if (width !== classes) return `it outputs ${width} class probabilities but ${whose} have ${classes} classes; to fit the model to these classes, give it a new output layer (the filter-pruning plugin does with head: auto)`;
      return undefined;
    }
    case 'binary':
    case 'multilabel': {
      if (activation !== 'sigmoid') return `${ends}, not the sigmoid a ${task.kind} task needs`;
      const labels = typeof data === 'number' || task.kind === 'binary' ? 1 : data.targetWidth;
      if (width !== labels) return `it outputs ${width} value${width === 1 ? '' : 's'} but a ${task.kind} task on these data needs ${labels}`;
      return undefined;
    }
    case 'regression': {
      const targets = typeof data === 'number' ? 1 : data.targetWidth;
      if (activation === 'softmax') return `${ends}: a softmax sums to 1, which regression targets do not`;
      if (width !== targets) return `it outputs ${width} value${width === 1 ? '' : 's'} but the data have ${targets} target${targets === 1 ? '' : 's'} per example`;
      return undefined;
    }
  }
}

/** The first weight entry that is NaN or infinite, if any: such a model computes nothing a metric can follow. */
export function nonFiniteWeight(model: tf.LayersModel): { readonly weight: string; readonly index: number; readonly value: number } | undefined {
  for (const w of model.weights) {
    const values = w.read().dataSync();
    for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) return { weight: w.name, index: i, value: values[i] };
  }
  return undefined;
}

/**
 * Why the data cannot feed `model`, or undefined when they can: the per-example feature size
 * must equal the model input's (batches are reshaped to the input shape, so [784] feeds
 * [28, 28, 1]). One clause naming both shapes, for an error line.
 */
export function dataMismatchReason(model: tf.LayersModel, featureShape: readonly number[]): string | undefined {
  if (model.inputs.length !== 1) return `the model has ${model.inputs.length} inputs; a data source feeds one`;
  const input = model.inputs[0].shape.slice(1);
  if (input.some((d) => d === null)) return `the model's input [${input.map((d) => d ?? '?').join(', ')}] has a dimension that is not fixed`;
  const size = (s: readonly (number | null)[]): number => s.reduce<number>((a, b) => a * (b ?? 1), 1);
  if (size(input) === size(featureShape)) return undefined;
  const n = (x: number): string => x.toLocaleString('en-US');
  return `the features are [${featureShape.join(', ')}] (${n(size(featureShape))} values per example) but the model's input is [${input.join(', ')}] (${n(size(input))}); give the source options that produce the model's input shape (an image size, say) or use a model with that input`;
}

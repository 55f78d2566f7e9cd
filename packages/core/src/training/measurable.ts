/**
 * What core can measure today: classification by a single softmax output over the data's
 * classes (categorical cross-entropy for training, accuracy for every decision). A model
 * trained for anything else (a regression with mean squared error, sigmoid outputs for
 * several labels, logits) would be scored with the wrong loss and a meaningless accuracy —
 * a regression once ran to the end reporting "accuracy 100% → 100%" while fine-tuning
 * ruined it — so it is refused before anything runs.
 */
import type * as tf from '@tensorflow/tfjs';
import { layerKinds, LayerKindRegistry } from '../graph/layer-kinds';

/** What core measures, said wherever a model is refused. */
export const MEASURABLE_TASKS = "nncompress measures classification models whose one output is a softmax over the data's classes (categorical cross-entropy, accuracy); regression and other tasks are not supported yet";

/** Loss names (Keras and tfjs spellings) that are the categorical cross-entropy core uses. */
const CROSS_ENTROPY = new Set(['categorical_crossentropy', 'categoricalCrossentropy', 'sparse_categorical_crossentropy', 'sparseCategoricalCrossentropy']);

/** The losses a model declares in its training config (tfjs compiles a loaded model with it), by name. */
function declaredLosses(model: tf.LayersModel): string[] {
  const loss = (model as unknown as { loss?: unknown }).loss;
  const all = typeof loss === 'string' ? [loss] : Array.isArray(loss) ? loss : loss && typeof loss === 'object' ? Object.values(loss) : [];
  return all.filter((l): l is string => typeof l === 'string');
}

/** The activation the model's output passes through last, by tfjs name, if known. */
function outputActivation(layer: tf.layers.Layer, kinds: LayerKindRegistry): string | undefined {
  if (layer.getClassName() === 'Softmax') return 'softmax';
  return kinds.get(layer.getClassName())?.activation?.(layer);
}

/**
 * Why core cannot measure `model` on data with `classes` classes, or undefined when it can.
 * The reason is one clause, for an error line.
 */
export function unmeasurableReason(model: tf.LayersModel, classes: number, kinds: LayerKindRegistry = layerKinds): string | undefined {
  if (model.outputs.length !== 1) return `the model has ${model.outputs.length} outputs`;
  const other = declaredLosses(model).find((l) => !CROSS_ENTROPY.has(l));
  if (other) return `its training config's loss is ${other}`;
  const layer = model.outputs[0].sourceLayer as tf.layers.Layer;
  const activation = outputActivation(layer, kinds);
  if (activation !== 'softmax') return `its output layer ${layer.name} (${layer.getClassName()}) ends in ${activation === undefined ? 'no softmax' : `activation ${activation}`}`;
  const shape = model.outputs[0].shape;
  if (shape.length !== 2) return `its output has shape [${shape.map((d) => d ?? '?').join(', ')}], not one vector of class probabilities per example`;
  const width = shape[1];
  if (width !== classes) return `it outputs ${width} class probabilities but the data have ${classes} classes`;
  return undefined;
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

/**
 * What a model is trained to do, and so how it is scored: the loss fine-tuning minimises and
 * the metric every decision follows (early stopping, sensitivity, the stage table, the
 * report). A task travels with its data (`ArrayDataset.task`), so every evaluation and
 * training step of a run scores the same way. Classification is the default; a config's
 * `task` or the Keras `training_config` saved in model.json says otherwise.
 */
import * as tf from '@tensorflow/tfjs';

export type TaskKind = 'classification' | 'binary' | 'multilabel' | 'regression';
export type LossName = 'categoricalCrossentropy' | 'binaryCrossentropy' | 'meanSquaredError' | 'meanAbsoluteError' | 'huber';
export type MetricName = 'accuracy' | 'binaryAccuracy' | 'meanAbsoluteError' | 'meanSquaredError' | 'rootMeanSquaredError';

/** A config's `task`: the kind, and optionally which loss and metric of those the kind allows. */
export interface TaskConfig {
  readonly kind: TaskKind;
  readonly loss?: LossName;
  readonly metric?: MetricName;
}

/** How targets are built from a dataset: one-hot class ids, the class id as one 0/1 value, or the dataset's float targets. */
export type TargetForm = 'one-hot' | 'binary-label' | 'targets';

export interface Task {
  readonly kind: TaskKind;
  readonly loss: LossName;
  readonly metric: MetricName;
  /** True when a larger metric is better (accuracy), false when smaller is (errors). */
  readonly higherIsBetter: boolean;
  readonly targets: TargetForm;
  /** Mean loss of a batch. */
  lossOf(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Scalar;
  /** The metric summed over a batch's examples; `finish` turns the sum over a dataset into the metric. */
  metricSum(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Scalar;
  finish(sum: number, examples: number): number;
}

/** Which losses and metrics each kind allows; the first of each is the default. */
export const TASK_CHOICES: Readonly<Record<TaskKind, { readonly losses: readonly LossName[]; readonly metrics: readonly MetricName[]; readonly targets: TargetForm }>> = {
  classification: { losses: ['categoricalCrossentropy'], metrics: ['accuracy'], targets: 'one-hot' },
  binary: { losses: ['binaryCrossentropy'], metrics: ['binaryAccuracy'], targets: 'binary-label' },
  multilabel: { losses: ['binaryCrossentropy'], metrics: ['binaryAccuracy'], targets: 'targets' },
  regression: { losses: ['meanSquaredError', 'meanAbsoluteError', 'huber'], metrics: ['meanAbsoluteError', 'meanSquaredError', 'rootMeanSquaredError'], targets: 'targets' },
};

const EPS = 1e-7;

const LOSSES: Record<LossName, (y: tf.Tensor, p: tf.Tensor) => tf.Scalar> = {
  // Models end in softmax: probabilities, clipped so log never sees 0.
  categoricalCrossentropy: (y, p) => tf.neg(tf.mean(tf.sum(tf.mul(y, tf.log(tf.clipByValue(p, EPS, 1))), -1))) as tf.Scalar,
  // Sigmoid outputs: the mean over labels and examples.
  binaryCrossentropy: (y, p) => {
    const q = tf.clipByValue(p, EPS, 1 - EPS);
    return tf.neg(tf.mean(tf.add(tf.mul(y, tf.log(q)), tf.mul(tf.sub(1, y), tf.log(tf.sub(1, q)))))) as tf.Scalar;
  },
  meanSquaredError: (y, p) => tf.mean(tf.square(tf.sub(p, y))) as tf.Scalar,
  meanAbsoluteError: (y, p) => tf.mean(tf.abs(tf.sub(p, y))) as tf.Scalar,
  // Huber with delta 1, as Keras's default.
  huber: (y, p) => {
    const e = tf.abs(tf.sub(p, y));
    const quadratic = tf.minimum(e, 1);
    return tf.mean(tf.add(tf.mul(0.5, tf.square(quadratic)), tf.sub(e, quadratic))) as tf.Scalar;
  },
};

/** Per-example metric values summed; a regression's are averaged over its outputs first. */
const METRICS: Record<MetricName, { sum: (y: tf.Tensor, p: tf.Tensor) => tf.Scalar; finish: (sum: number, n: number) => number; higherIsBetter: boolean }> = {
  accuracy: { sum: (y, p) => tf.sum(tf.cast(tf.equal(tf.argMax(p, -1), tf.argMax(y, -1)), 'float32')) as tf.Scalar, finish: (s, n) => s / n, higherIsBetter: true },
  // The share of labels right at a 0.5 threshold, averaged per example (one label for binary).
  binaryAccuracy: { sum: (y, p) => tf.sum(tf.mean(tf.cast(tf.equal(tf.greater(p, 0.5), tf.greater(y, 0.5)), 'float32'), -1)) as tf.Scalar, finish: (s, n) => s / n, higherIsBetter: true },
  meanAbsoluteError: { sum: (y, p) => tf.sum(tf.mean(tf.abs(tf.sub(p, y)), -1)) as tf.Scalar, finish: (s, n) => s / n, higherIsBetter: false },
  meanSquaredError: { sum: (y, p) => tf.sum(tf.mean(tf.square(tf.sub(p, y)), -1)) as tf.Scalar, finish: (s, n) => s / n, higherIsBetter: false },
  rootMeanSquaredError: { sum: (y, p) => tf.sum(tf.mean(tf.square(tf.sub(p, y)), -1)) as tf.Scalar, finish: (s, n) => Math.sqrt(s / n), higherIsBetter: false },
};

/** The task a config names, with the kind's default loss and metric filled in; a loss or metric the kind does not allow is an error. */
export function makeTask(config: TaskConfig): Task {
  const choices = TASK_CHOICES[config.kind];
  if (!choices) throw new Error(`task.kind: unknown task "${String(config.kind)}" (known: ${Object.keys(TASK_CHOICES).join(', ')})`);
  const loss = config.loss ?? choices.losses[0];
  const metric = config.metric ?? choices.metrics[0];
  if (!choices.losses.includes(loss)) throw new Error(`task.loss: a ${config.kind} task takes ${choices.losses.join(' or ')}, not ${loss}`);
  if (!choices.metrics.includes(metric)) throw new Error(`task.metric: a ${config.kind} task takes ${choices.metrics.join(', ')}, not ${metric}`);
  const m = METRICS[metric];
  return {
    kind: config.kind,
    loss,
    metric,
    higherIsBetter: m.higherIsBetter,
    targets: choices.targets,
    lossOf: LOSSES[loss],
    metricSum: m.sum,
    finish: m.finish,
  };
}

/**
 * The config that rebuilds `task` in another thread (`makeTask` of it gives the same loss),
 * or undefined for a task whose loss is not core's own.
 */
export function rebuildableTask(task: Task): TaskConfig | undefined {
  const choices = TASK_CHOICES[task.kind];
  return choices && LOSSES[task.loss] === task.lossOf ? { kind: task.kind, loss: task.loss, metric: task.metric } : undefined;
}

/** Single-output classification over the data's classes: categorical cross-entropy and accuracy. */
export const CLASSIFICATION: Task = makeTask({ kind: 'classification' });

/** Keras and tfjs spellings of the losses, as a training_config names them. */
const LOSS_NAMES: Record<string, LossName> = {
  categorical_crossentropy: 'categoricalCrossentropy',
  categoricalCrossentropy: 'categoricalCrossentropy',
  sparse_categorical_crossentropy: 'categoricalCrossentropy',
  sparseCategoricalCrossentropy: 'categoricalCrossentropy',
  binary_crossentropy: 'binaryCrossentropy',
  binaryCrossentropy: 'binaryCrossentropy',
  mean_squared_error: 'meanSquaredError',
  meanSquaredError: 'meanSquaredError',
  mse: 'meanSquaredError',
  MSE: 'meanSquaredError',
  mean_absolute_error: 'meanAbsoluteError',
  meanAbsoluteError: 'meanAbsoluteError',
  mae: 'meanAbsoluteError',
  MAE: 'meanAbsoluteError',
  huber: 'huber',
  huber_loss: 'huber',
  huberLoss: 'huber',
};

const METRIC_NAMES: Record<string, MetricName> = {
  mae: 'meanAbsoluteError',
  mean_absolute_error: 'meanAbsoluteError',
  meanAbsoluteError: 'meanAbsoluteError',
  mse: 'meanSquaredError',
  mean_squared_error: 'meanSquaredError',
  meanSquaredError: 'meanSquaredError',
  rmse: 'rootMeanSquaredError',
  root_mean_squared_error: 'rootMeanSquaredError',
  RootMeanSquaredError: 'rootMeanSquaredError',
};

/**
 * The task a model's saved training config implies (tfjs compiles a loaded model with it), or
 * undefined when it has none. A loss nncompress does not know is returned as `unknown` so
 * the caller can refuse the model by name rather than score it with the wrong loss.
 */
export function taskFromTrainingConfig(model: tf.LayersModel): TaskConfig | { readonly unknownLoss: string } | undefined {
  const compiled = model as unknown as { loss?: unknown; metricsNames?: unknown };
  const raw = compiled.loss;
  const losses = typeof raw === 'string' ? [raw] : Array.isArray(raw) ? raw : raw && typeof raw === 'object' ? Object.values(raw) : [];
  const name = losses.find((l): l is string => typeof l === 'string');
  if (name === undefined) return undefined;
  const loss = LOSS_NAMES[name];
  if (!loss) return { unknownLoss: name };
  const width = model.outputs[0]?.shape[model.outputs[0].shape.length - 1] ?? 1;
  const kind: TaskKind = loss === 'categoricalCrossentropy' ? 'classification' : loss === 'binaryCrossentropy' ? (width === 1 ? 'binary' : 'multilabel') : 'regression';
  const names = Array.isArray(compiled.metricsNames) ? compiled.metricsNames.filter((m): m is string => typeof m === 'string') : [];
  const metric = names.map((m) => METRIC_NAMES[m]).find((m) => m !== undefined && TASK_CHOICES[kind].metrics.includes(m));
  return { kind, loss, ...(metric ? { metric } : {}) };
}

/** Short names for tables and logs. */
const METRIC_LABELS: Record<MetricName, string> = { accuracy: 'accuracy', binaryAccuracy: 'accuracy', meanAbsoluteError: 'MAE', meanSquaredError: 'MSE', rootMeanSquaredError: 'RMSE' };

export function metricLabel(name: MetricName): string {
  return METRIC_LABELS[name];
}

/** A metric's value as tables print it: accuracies as percentages, errors with four significant digits. */
export function formatMetric(m: { readonly name: MetricName; readonly value: number }): string {
  if (m.name === 'accuracy' || m.name === 'binaryAccuracy') return `${(100 * m.value).toFixed(2)}%`;
  return Number.isFinite(m.value) ? m.value.toPrecision(4) : String(m.value);
}

export interface ResolvedTask {
  readonly task: Task;
  /** Where the task came from: the config's `task`, the model's saved training config, or the default. */
  readonly from: 'config' | 'training config' | 'default';
  /** Said in the log when the config's task differs from the model's training config. */
  readonly warning?: string;
}

/**
 * The run's task: the config's `task` when given, else the one the model's training config
 * implies, else classification. A training-config loss nncompress does not know is refused
 * (it would be scored with the wrong loss) unless the config says the task.
 */
export function resolveTask(configured: TaskConfig | undefined, model: tf.LayersModel): ResolvedTask {
  const saved = taskFromTrainingConfig(model);
  if (configured) {
    const task = makeTask(configured);
    const savedKind = saved && 'kind' in saved ? saved.kind : undefined;
    const warning = saved && 'unknownLoss' in saved ? `the model's training config names loss ${saved.unknownLoss}; the config's task (${task.kind}, ${task.loss}) is used` : savedKind && savedKind !== task.kind ? `the model's training config implies a ${savedKind} task; the config's task (${task.kind}) is used` : undefined;
    return { task, from: 'config', ...(warning ? { warning } : {}) };
  }
  if (saved && 'unknownLoss' in saved) throw new Error(`model: its training config's loss is ${saved.unknownLoss}, which nncompress does not know; say the task in the config (task: { kind: classification | binary | multilabel | regression, loss, metric })`);
  if (saved) return { task: makeTask(saved), from: 'training config' };
  return { task: CLASSIFICATION, from: 'default' };
}

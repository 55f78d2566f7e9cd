import type { JsonSchema, OptimizerName } from '@nncompress/core';

export interface FinetuneOptions {
  epochs: number;
  batchSize: number;
  learningRate: number;
  optimizer: OptimizerName;
  learningRateDecay: number;
  /** Fraction of the training data held out for validation (0 = none). */
  validationSplit: number;
  /** Stop after this many epochs without validation improvement (0 = off; needs validationSplit > 0). */
  patience: number;
  /** `every-round`: fine-tune after each pruning round; `last-round`: only after a stage's last round. */
  when: 'every-round' | 'last-round';
  /**
   * `update`: BatchNorm trains on batch statistics; `freeze`: it keeps its moving statistics
   * (transfer learning); `recalibrate`: re-estimate the statistics on the training data first
   * (after structured pruning they describe channels that are gone), then train as `freeze`.
   */
  batchNorm: 'update' | 'freeze' | 'recalibrate';
  /** Train only these layers (e.g. a new head first); all when empty. */
  layers: string[];
  /** Weight of knowledge distillation from the model as it was before the stage pruned it (0 = off). */
  distill: number;
  /** Softening temperature of the distillation targets. */
  temperature: number;
}

export const finetuneOptionsSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    epochs: { type: 'integer', minimum: 0, maximum: 10000, default: 1, description: 'Epochs over the training data per fine-tune.' },
    batchSize: { type: 'integer', minimum: 1, maximum: 65536, default: 64, description: 'Mini-batch size.' },
    learningRate: { type: 'number', exclusiveMinimum: 0, maximum: 10, default: 0.0005, description: 'Initial learning rate.' },
    optimizer: { enum: ['adam', 'sgd', 'momentum', 'rmsprop'], default: 'adam', description: 'Optimizer (momentum = SGD with momentum 0.9).' },
    learningRateDecay: { type: 'number', exclusiveMinimum: 0, maximum: 1, default: 1, description: 'Learning rate multiplier applied after each epoch.' },
    validationSplit: { type: 'number', minimum: 0, maximum: 0.5, default: 0, description: 'Fraction of the training data held out for validation.' },
    patience: { type: 'integer', minimum: 0, default: 0, description: 'Early stopping: epochs without validation improvement before stopping (0 = off). The best weights are restored.' },
    when: { enum: ['every-round', 'last-round'], default: 'every-round', description: 'Fine-tune after every pruning round, or only after the last round of a stage.' },
    layers: { type: 'array', items: { type: 'string' }, default: [], description: 'Train only these layers, e.g. a new classification head before the whole network; empty: all layers.' },
    distill: { type: 'number', minimum: 0, maximum: 1, default: 0, description: "Knowledge distillation: share of the loss spent matching the predictions of the model as it was before this stage pruned it (the teacher); 0 = labels only. Needs a stage with a pruning target. On small transfer sets the teacher's soft targets carry much more than the labels." },
    temperature: { type: 'number', exclusiveMinimum: 0, maximum: 100, default: 4, description: 'Softening temperature for distillation (both distributions; the soft loss is scaled by its square).' },
    batchNorm: { enum: ['update', 'freeze', 'recalibrate'], default: 'update', description: 'update: BatchNorm normalises with batch statistics and updates its moving averages; freeze: layers run in inference mode, so BatchNorm keeps its pretrained statistics (scale and shift still train) — better for small transfer datasets; recalibrate: first re-estimate the statistics on up to 16 training batches (structured pruning leaves them describing removed channels), then train as freeze. With epochs 0 it only recalibrates.' },
  },
};

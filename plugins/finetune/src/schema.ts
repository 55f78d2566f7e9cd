import type { JsonSchema, OptionsOf } from '@nncompress/core';

export const finetuneOptionsSchema = {
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
    distill: { type: 'number', minimum: 0, maximum: 1, default: 0, description: "Knowledge distillation: share of the loss spent matching the teacher's predictions (see `teacher`); 0 = labels only. On small transfer sets the teacher's soft targets carry much more than the labels." },
    teacher: { enum: ['stage', 'input'], default: 'stage', description: "The model distillation learns from. stage: the model as this stage found it, before any plugin of the stage pruned or shared it; input: the model the run started from, kept for the whole run. Fine-tuning a model that has not changed since its teacher was taken is an error (it would learn from itself)." },
    temperature: { type: 'number', exclusiveMinimum: 0, maximum: 100, default: 4, description: 'Softening temperature for distillation (both distributions; the soft loss is scaled by its square).' },
    batchNorm: { enum: ['update', 'freeze', 'recalibrate'], default: 'update', description: 'update: BatchNorm normalises with batch statistics and updates its moving averages; freeze: layers run in inference mode, so BatchNorm keeps its pretrained statistics (scale and shift still train) — better for small transfer datasets; recalibrate: first re-estimate the statistics on up to 16 training batches (structured pruning leaves them describing removed channels), then train as freeze. With epochs 0 it only recalibrates.' },
  },
} as const satisfies JsonSchema;

/** The options as `apply` receives them: validated, defaults filled in (derived from the schema, so each option is described once). */
export type FinetuneOptions = OptionsOf<typeof finetuneOptionsSchema>;

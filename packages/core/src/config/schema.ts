/** JSON Schema of a pipeline config; plugin options are checked against each plugin's own schema. */
import { builtinTargetKinds } from '../pipeline/targets';

/** `stages[i].target`: one property per target kind core knows. */
const targetProperties = Object.fromEntries(builtinTargetKinds.map((k) => [k.key, k.schema]));

export const pipelineConfigSchema = {
  $id: 'nncompress/pipeline',
  type: 'object',
  additionalProperties: false,
  required: ['model', 'data', 'stages'],
  properties: {
    $schema: { type: 'string', description: 'Editor hint; ignored.' },
    model: {
      description: 'Path to the input model.json (relative to the config file), or { module, export } for a model shipped as a JS module in a package.',
      anyOf: [
        { type: 'string', minLength: 1 },
        { type: 'object', additionalProperties: false, required: ['module'], properties: { module: { type: 'string', minLength: 1 }, export: { type: 'string', minLength: 1 } } },
      ],
    },
    seed: { type: 'integer', minimum: 0, maximum: 2147483647, default: 42, description: 'Seed for every random choice.' },
    backend: { enum: ['auto', 'tensorflow', 'wasm', 'cpu'], default: 'auto', description: 'TensorFlow.js backend.' },
    data: {
      type: 'object',
      required: ['source'],
      description: 'Dataset for evaluation and fine-tuning: a source and its options (checked against the source\'s own schema).',
      properties: {
        source: { type: 'string', minLength: 1, description: 'Dataset source: mnist, mnist-rgb, idx, csv, npy, image-folder, module, or one a configured plugin declares.' },
        train: { type: 'integer', minimum: 1, description: 'Max training examples: a class-stratified subset (a prefix of the fixed order for mnist and mnist-rgb).' },
        test: { type: 'integer', minimum: 1, description: 'Max test examples, chosen as train is.' },
        seed: { type: 'integer', minimum: 0, maximum: 2147483647, description: 'Seed of the data\'s order, subsets and splits (default 1); independent of the run seed, so every run sees the same test examples.' },
      },
    },
    task: {
      type: 'object',
      additionalProperties: false,
      required: ['kind'],
      description: "What the model does, and so the loss fine-tuning minimises and the metric every decision follows. Default: what the model.json's Keras training_config implies, else classification.",
      properties: {
        kind: { enum: ['classification', 'binary', 'multilabel', 'regression'], description: 'classification: one softmax over the classes; binary: one sigmoid; multilabel: one sigmoid per label; regression: float targets.' },
        loss: { enum: ['categoricalCrossentropy', 'binaryCrossentropy', 'meanSquaredError', 'meanAbsoluteError', 'huber'], description: 'Default per kind: categoricalCrossentropy, binaryCrossentropy, binaryCrossentropy, meanSquaredError.' },
        metric: { enum: ['accuracy', 'binaryAccuracy', 'meanAbsoluteError', 'meanSquaredError', 'rootMeanSquaredError'], description: 'Default per kind: accuracy, binaryAccuracy, binaryAccuracy, meanAbsoluteError.' },
      },
    },
    latency: {
      type: 'object',
      additionalProperties: false,
      description: 'Measure baseline and final inference latency at batch 1 and 32, at the end of the run, timing a kept copy of the baseline and the final model in alternation.',
      properties: { repeats: { type: 'integer', minimum: 1, maximum: 1000, default: 5, description: 'Rounds per batch size; each round times 5 calls of the baseline, then 5 of the final model; the median of the round medians is reported.' } },
    },
    plugins: {
      type: 'object',
      description: 'Named plugin instances.',
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        required: ['use'],
        properties: {
          use: { type: 'string', minLength: 1, description: 'Package name or relative path.' },
          options: { type: 'object', description: "Options checked against the plugin's schema." },
        },
      },
    },
    stages: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name'],
        properties: {
          name: { type: 'string', minLength: 1 },
          use: { type: 'array', items: { type: 'string' }, description: 'Active plugin instances (default: all).' },
          target: {
            type: 'object',
            additionalProperties: false,
            description: 'Target kind → the value the stage ends on.',
            properties: targetProperties,
          },
          schedule: {
            type: 'object',
            additionalProperties: false,
            required: ['kind'],
            properties: {
              kind: { enum: ['one-shot', 'iterative', 'gradual'] },
              rounds: { type: 'integer', minimum: 1, maximum: 1000 },
              initial: { type: 'number', minimum: 0, exclusiveMaximum: 1 },
            },
          },
        },
      },
    },
  },
};

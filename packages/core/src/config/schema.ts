/** JSON Schema of a pipeline config; plugin options are checked against each plugin's own schema. */
import { encodeConfigSchema } from '../encode/stage';
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
      description: 'The input tfjs LayersModel: a model.json path (relative to the config file), or { module, export } for a model a package ships as a JS module, as nsfwjs does (the export holds modelJson() and weightBundles; default: the module\'s only such export).',
      anyOf: [
        { type: 'string', minLength: 1 },
        { type: 'object', additionalProperties: false, required: ['module'], properties: { module: { type: 'string', minLength: 1, description: 'The package module, resolved from the config file.' }, export: { type: 'string', minLength: 1, description: 'The export that holds the model.' } } },
      ],
    },
    seed: { type: 'integer', minimum: 0, maximum: 2147483647, default: 42, description: 'Seeds every random choice of the run (training order, Taylor batches; the data have their own data.seed); --seed overrides.' },
    backend: { enum: ['auto', 'tensorflow', 'wasm', 'cpu'], default: 'auto', description: 'auto tries tfjs-node, then wasm, then cpu; NNCOMPRESS_BACKEND overrides auto.' },
    workers: {
      description: "Threads that share each fine-tuning batch and each evaluation (data-parallel; the wasm backend uses one core per thread): a number, or auto for one per core. The same seed gives the same model for the same count; another count sums gradients in another order. Evaluations are the same on any count. --workers overrides.",
      anyOf: [{ type: 'integer', minimum: 1, maximum: 256 }, { enum: ['auto'] }],
      default: 1,
    },
    data: {
      type: 'object',
      required: ['source'],
      description: 'The data for evaluation and fine-tuning: a source, the keys below, and the source\'s own options (data.<option>, checked against the source\'s schema; see data.md).',
      properties: {
        source: { type: 'string', minLength: 1, description: 'Dataset source: mnist, mnist-rgb, idx, csv, npy, image-folder, module, or one a configured plugin declares (data.md).' },
        train: { type: 'integer', minimum: 1, description: 'Max training examples: a class-stratified subset (a prefix of the fixed order for mnist and mnist-rgb).' },
        test: { type: 'integer', minimum: 1, description: 'Max test examples, chosen as train is.' },
        seed: { type: 'integer', minimum: 0, maximum: 2147483647, description: 'Seed of the data\'s order, subsets and splits (default 1); independent of seed, so every run measures on the same examples.' },
        holdOut: { type: 'integer', minimum: 1, description: 'Measure on this many training examples, held out from fine-tuning, instead of the test split: for choosing settings (a search, a sweep) without looking at the test examples.' },
      },
    },
    goal: {
      type: 'object',
      additionalProperties: false,
      description: 'Search per-layer budgets (and the codec error bound) with measured trials instead of setting them by hand: minimize a resource within metricDrop, or maximize the metric under one limit; nncompress run then runs the config with the best (docs/goal.md).',
      properties: {
        minimize: { enum: ['bytes', 'flops', 'latency'], description: 'What to make small: bytes of the encoded file (the encode section), FLOPs of one inference, or batch-1 latency measured on the backend (the latency section); needs metricDrop.' },
        metricDrop: { type: 'number', minimum: 0, description: "With minimize: largest loss of the task's metric against the unpruned model, in the metric's units (0.005: half a point of accuracy)." },
        maximize: { enum: ['metric'], description: "The best metric under one limit: maxBytes, maxFlops or maxLatencyMs." },
        maxBytes: { type: 'integer', minimum: 1, description: 'With maximize: the encoded file must be at most this many bytes.' },
        maxFlops: { type: 'integer', minimum: 1, description: 'With maximize: one inference must take at most this many FLOPs.' },
        maxLatencyMs: { type: 'number', exclusiveMinimum: 0, description: 'With maximize: batch-1 latency on the backend must be at most this many milliseconds.' },
        stage: { type: 'string', minLength: 1, description: 'The stage whose per-layer budgets are searched (default: the first stage with a sparsity target for bytes, a filterRatio target for flops and latency).' },
        steps: { type: 'integer', minimum: 1, maximum: 100, default: 8, description: 'Rounds of proposals at most.' },
        stepShare: { type: 'number', exclusiveMinimum: 0, maximum: 0.9, default: 0.2, description: "Each round asks each layer to give this share: of the model's remaining weights (sparsity), or of its own remaining channels (filterRatio)." },
        holdOut: { type: 'integer', minimum: 1, description: "Measure trials on this many training examples held out from fine-tuning instead of the test split (for a model that was not trained on them; default: the test split, as the final run)." },
        trial: { type: 'object', description: 'Key paths (sweep syntax) set in trials only, to make them cheaper, e.g. plugins.polish.options.epochs: 1.' },
        processes: { anyOf: [{ type: 'integer', minimum: 1, maximum: 256 }, { enum: ['auto'] }], default: 'auto', description: 'Trials run at once, one process each.' },
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
      description: 'When present, baseline and final latency (batch 1 and 32) are measured at the end of the run: a kept copy of the baseline and the final model are timed in alternation, so machine drift over the run does not enter the speed-up.',
      properties: { repeats: { type: 'integer', minimum: 1, maximum: 1000, default: 5, description: 'Rounds per batch size; each round times 5 calls of each model; the median of the round medians is reported.' } },
    },
    encode: encodeConfigSchema,
    plugins: {
      type: 'object',
      description: 'Plugin instances, by the name stages and logs use.',
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        required: ['use'],
        properties: {
          use: { type: 'string', minLength: 1, description: 'Package name, or a path relative to the config (a file, or a folder with a package.json).' },
          options: { type: 'object', description: "Checked against the plugin's own JSON Schema (default: {})." },
        },
      },
    },
    stages: {
      type: 'array',
      minItems: 1,
      description: 'The stages, run in order; each is rounds of score → select → prune → finetune toward its target.',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name'],
        properties: {
          name: { type: 'string', minLength: 1, description: 'Shown in logs and the report.' },
          use: { type: 'array', items: { type: 'string' }, description: 'Plugin instances active in this stage\'s rounds (default: all).' },
          target: {
            type: 'object',
            // A configured plugin may declare more kinds: their keys are checked once plugins are loaded.
            additionalProperties: { type: 'number' },
            description: "Target kind → the value the stage ends on; a stage with no target only fine-tunes. Each kind is served by the one active instance whose select declares it; core's kinds are below, a plugin adds more through its targetKinds.",
            properties: targetProperties,
          },
          layerTargets: {
            type: 'object',
            additionalProperties: {
              type: 'object',
              additionalProperties: { type: 'number', minimum: 0, exclusiveMaximum: 1 },
              description: 'Layer name → the value that layer ends on.',
            },
            description: "Per-layer values of fraction targets, kind → layer → value (e.g. sparsity: { conv1: 0.6, fc1: 0.98 }, or filterRatio by the layer producing a channel group); layers not named are left whole, and the kind's model-wide value stays in target. Only for a selector that declares it takes them (the magnitude and filter-pruning plugins do).",
          },
          schedule: {
            type: 'object',
            description: 'How the stage reaches its target over rounds (default: one-shot).',
            additionalProperties: false,
            required: ['kind'],
            properties: {
              kind: { enum: ['one-shot', 'iterative', 'gradual'], description: 'How the target is approached (see Schedules).' },
              rounds: { type: 'integer', minimum: 1, maximum: 1000, description: 'Rounds of score → select → prune → finetune (default 4; 1 for one-shot).' },
              initial: { type: 'number', minimum: 0, exclusiveMaximum: 1, description: 'The value of the target the gradual schedule starts from (default 0).' },
            },
          },
        },
      },
    },
  },
};

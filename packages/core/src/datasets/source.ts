/**
 * The dataset source contract. A source turns the options of a config's `data` section into
 * train and test splits; core checks the options against the source's schema first (errors
 * name `data.<option>`), then checks what the source returned, puts each split in a seeded
 * order and applies the `train`/`test` limits. Core's own sources are `mnist`, `mnist-rgb`
 * and the file-based ones; a plugin contributes more by listing them in `datasetSources`.
 */
import type { JsonSchema } from '../plugins/plugin';
import type { TaskKind } from '../training/task';
import type { Logger } from '../util/logger';
import type { ArrayDataset } from './dataset';

export interface DataSplits {
  readonly train: ArrayDataset;
  readonly test: ArrayDataset;
  /** Class names by id (an image folder's sub-folder names, a CSV's label values), when the source has them. */
  readonly classNames?: readonly string[];
  /** Set when `test` is this many training examples held out from `train` (data.holdOut), not the source's test split. */
  readonly heldOut?: number;
}

export interface DatasetLoadContext {
  /** The config file, for messages. */
  readonly file: string;
  /** A path from the options, resolved from the config file's folder (as every path in a config is). */
  resolvePath(relative: string): string;
  readonly logger: Logger;
  /** `data.seed`: the seed of a source's own random choices (a split fraction, say). */
  readonly seed: number;
  /**
   * `data.train` / `data.test`. Core applies them to what `load` returns; a `fixed-random`
   * source may take the prefix itself to save work (resizing 8,000 digits to 224×224 when 500
   * are used, say).
   */
  readonly limits: { readonly train?: number; readonly test?: number };
  /**
   * The run's task kind: a source whose files can be read either way (a CSV column of
   * numbers) gives class labels for classification and binary, float targets for regression
   * and multilabel.
   */
  readonly task: TaskKind;
  /** The model's per-example input shape, when known: an image source resizes to it by default. */
  readonly inputShape?: readonly number[];
  /** Reports progress of long loading (decoding thousands of images): a bar on a terminal, plain lines in CI. */
  progress(done: number, total: number, what: string): void;
}

/** A source of datasets that `data.source` names: its id, the schema of its options, and `load`, which returns the train and test splits. */
export interface DatasetSource<O = Record<string, unknown>> {
  /** The name a config's `data.source` uses. */
  readonly id: string;
  /** One sentence for `nncompress plugins` and the docs. */
  readonly description: string;
  /**
   * JSON Schema of the source's options: every key of `data` except `source`, `train`, `test`
   * and `seed`, which core handles. Use `additionalProperties: false` so a misspelt option
   * is an error rather than ignored.
   */
  readonly optionsSchema: JsonSchema;
  /**
   * `any` (default): core shuffles each split with `data.seed` and a limit takes a
   * class-stratified subset, so a source that lists its examples class by class still gives
   * every class. `seeded`: the source has already put each split in an order drawn from
   * `ctx.seed` (an image folder shuffles its file list before decoding, so no split is copied
   * again); limits are stratified as for `any`. `fixed-random`: the splits come in a fixed
   * random order that no seed changes (the `mnist` package's digits), and limits take a
   * prefix of it.
   */
  readonly order?: 'fixed-random' | 'seeded' | 'any';
  load(options: O, ctx: DatasetLoadContext): Promise<DataSplits> | DataSplits;
}

/** Identity helper that types a dataset source and its options. */
export function defineDatasetSource<O>(source: DatasetSource<O>): DatasetSource<O> {
  return source;
}

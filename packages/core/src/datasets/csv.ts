/**
 * The `csv` source: a table with a header row, feature columns and one or more target columns
 * by name. For classification and binary tasks the target column holds class labels (class
 * ids, or strings mapped to ids in a stated or sorted order); for regression and multilabel
 * tasks the target columns hold numbers. Without `testPath`, `split` takes a seeded test
 * fraction (stratified by class for classification).
 */
import * as fs from 'node:fs';
import { Rng } from '../util/rng';
import { ArrayDataset, labelArray } from './dataset';
import { DatasetSource } from './source';

export interface CsvOptions {
  readonly path: string;
  readonly testPath?: string;
  /** Test fraction when there is no testPath. Default 0.2. */
  readonly split?: number;
  /** The target column, or columns (regression with several outputs, multilabel). */
  readonly target: string | readonly string[];
  /** Feature columns; default every column that is not a target or ignored. */
  readonly features?: readonly string[];
  readonly ignore?: readonly string[];
  /** Class labels in id order (classification); default the labels' sorted order, or their values when all are integers. */
  readonly classes?: readonly string[];
  readonly delimiter?: string;
  /** Standardise each feature with the training split's mean and standard deviation. */
  readonly standardize?: boolean;
}

/** Rows of fields, RFC 4180: quoted fields may hold the delimiter, quotes ("") and newlines. Each row keeps its 1-based line number. */
export function parseCsv(text: string, delimiter = ','): { line: number; fields: string[] }[] {
  const rows: { line: number; fields: string[] }[] = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  // A line with nothing on it is skipped; one holding "" is a row with one empty field.
  let sawQuote = false;
  let line = 1;
  let rowLine = 1;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0; // a byte-order mark is not part of the first name
  const endRow = (): void => {
    fields.push(field);
    if (fields.length > 1 || fields[0] !== '' || sawQuote) rows.push({ line: rowLine, fields });
    fields = [];
    field = '';
    sawQuote = false;
  };
  for (; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else {
        if (c === '\n') line++;
        field += c;
      }
    } else if (c === '"' && field === '') {
      quoted = true;
      sawQuote = true;
    }
    else if (c === delimiter) {
      fields.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      endRow();
      rowLine = ++line;
    } else field += c;
  }
  if (quoted) throw new Error(`a quoted field opened on line ${rowLine} is never closed`);
  if (field !== '' || fields.length > 0 || sawQuote) endRow();
  return rows;
}

interface Table {
  readonly file: string;
  readonly rows: { line: number; fields: string[] }[];
  readonly index: (column: string, option: string) => number;
}

function readTable(file: string, delimiter: string, option: string): Table & { header: string[] } {
  if (!fs.existsSync(file) || !fs.statSync(file).isFile()) throw new Error(`data.${option}: no such file: ${file}`);
  let rows;
  try {
    rows = parseCsv(fs.readFileSync(file, 'utf8'), delimiter);
  } catch (err) {
    throw new Error(`data.${option}: ${file}: ${(err as Error).message}`);
  }
  if (rows.length < 2) throw new Error(`data.${option}: ${file}: a header row and at least one data row are needed, it has ${rows.length} row${rows.length === 1 ? '' : 's'}`);
  const header = rows[0].fields.map((h) => h.trim());
  for (const r of rows.slice(1)) {
    if (r.fields.length !== header.length) throw new Error(`data.${option}: ${file}:${r.line}: ${r.fields.length} fields, the header has ${header.length}`);
  }
  return {
    file,
    header,
    rows: rows.slice(1),
    index: (column, at) => {
      const i = header.indexOf(column);
      if (i < 0) throw new Error(`data.${at}: ${file} has no column "${column}" (it has ${header.join(', ')})`);
      return i;
    },
  };
}

function numberAt(table: Table, row: { line: number; fields: string[] }, column: number, name: string): number {
  const text = row.fields[column].trim();
  const value = text === '' ? NaN : Number(text);
  if (!Number.isFinite(value)) throw new Error(`data: ${table.file}:${row.line}: column "${name}" holds ${JSON.stringify(row.fields[column])}, not a number`);
  return value;
}

export const csvSource: DatasetSource<CsvOptions> = {
  id: 'csv',
  description: 'A CSV table: feature columns and target column(s) by name; class labels for classification, numbers for regression.',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['path', 'target'],
    properties: {
      path: { type: 'string', minLength: 1, description: 'The CSV file (relative to the config file), with a header row.' },
      testPath: { type: 'string', minLength: 1, description: 'A second CSV with the same columns for the test split; without it, split takes a test fraction.' },
      split: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1, description: 'Test fraction when there is no testPath (default 0.2), seeded by data.seed and stratified by class.' },
      target: { anyOf: [{ type: 'string', minLength: 1 }, { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1 }], description: 'The target column, or columns.' },
      features: { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1, description: 'Feature columns (default: every column that is not a target or ignored).' },
      ignore: { type: 'array', items: { type: 'string' }, description: 'Columns to leave out of the default features (names, ids).' },
      classes: { type: 'array', items: { type: 'string' }, minItems: 2, description: 'Class labels in id order; default their sorted order, or the values themselves when all are integers.' },
      delimiter: { type: 'string', minLength: 1, maxLength: 1, default: ',', description: 'Field delimiter.' },
      standardize: { type: 'boolean', default: false, description: "Standardise each feature by the training split's mean and standard deviation (the model must have been trained the same way)." },
    },
  },
  load(options, ctx) {
    const delimiter = options.delimiter ?? ',';
    const train = readTable(ctx.resolvePath(options.path), delimiter, 'path');
    const test = options.testPath ? readTable(ctx.resolvePath(options.testPath), delimiter, 'testPath') : undefined;
    if (test && test.header.join('\u0000') !== train.header.join('\u0000')) throw new Error(`data.testPath: ${test.file} has columns ${test.header.join(', ')}, but ${train.file} has ${train.header.join(', ')}`);
    const targets = typeof options.target === 'string' ? [options.target] : [...options.target];
    const ignore = new Set(options.ignore ?? []);
    const featureNames = options.features ? [...options.features] : train.header.filter((h) => !targets.includes(h) && !ignore.has(h));
    if (featureNames.length === 0) throw new Error('data.features: no feature columns are left');
    const featureAt = featureNames.map((f) => train.index(f, 'features'));
    const targetAt = targets.map((t) => train.index(t, 'target'));
    const tables = test ? [train, test] : [train];
    const allRows = tables.flatMap((t) => t.rows.map((row) => ({ table: t, row })));

    const byClass = ctx.task === 'classification' || ctx.task === 'binary';
    let classNames: string[] | undefined;
    let numClasses = 1;
    const labelOf: (t: Table, row: { line: number; fields: string[] }) => number = (() => {
      if (!byClass) return () => 0;
      if (targets.length !== 1) throw new Error(`data.target: a ${ctx.task} task reads its labels from one column, ${targets.length} are named`);
      const values = allRows.map(({ row }) => row.fields[targetAt[0]].trim());
      if (options.classes) {
        classNames = [...options.classes];
      } else if (values.every((v) => /^\d+$/.test(v))) {
        numClasses = Math.max(...values.map(Number)) + 1;
        return (t, row) => Number(row.fields[targetAt[0]].trim());
      } else {
        classNames = [...new Set(values)].sort();
        ctx.logger.info(`data: classes of "${targets[0]}" in sorted order: ${classNames.join(', ')}`);
      }
      const ids = new Map(classNames.map((c, i) => [c, i] as const));
      numClasses = classNames.length;
      return (t, row) => {
        const v = row.fields[targetAt[0]].trim();
        const id = ids.get(v);
        if (id === undefined) throw new Error(`data.classes: ${t.file}:${row.line}: label ${JSON.stringify(v)} is not one of the classes (${classNames!.join(', ')})`);
        return id;
      };
    })();

    const build = (name: string, rows: { table: Table; row: { line: number; fields: string[] } }[]): ArrayDataset => {
      const features = new Float32Array(rows.length * featureNames.length);
      const labels = labelArray(rows.length, Math.max(numClasses, 1));
      const values = byClass ? undefined : new Float32Array(rows.length * targets.length);
      rows.forEach(({ table, row }, i) => {
        featureAt.forEach((c, j) => (features[i * featureNames.length + j] = numberAt(table, row, c, featureNames[j])));
        labels[i] = labelOf(table, row);
        if (values) targetAt.forEach((c, j) => (values[i * targets.length + j] = numberAt(table, row, c, targets[j])));
      });
      return new ArrayDataset(name, features, labels, [featureNames.length], Math.max(numClasses, 1), { targets: values });
    };

    let trainSet: ArrayDataset;
    let testSet: ArrayDataset;
    if (test) {
      trainSet = build('csv-train', train.rows.map((row) => ({ table: train, row })));
      testSet = build('csv-test', test.rows.map((row) => ({ table: test, row })));
    } else {
      const all = build('csv', train.rows.map((row) => ({ table: train, row })));
      // Per class (one group for regression), a seeded fraction goes to the test split.
      [trainSet, testSet] = all.splitByClass(options.split ?? 0.2, new Rng(ctx.seed).fork('csv-split'), ['csv-train', 'csv-test']);
    }
    if (options.standardize) {
      const n = featureNames.length;
      const mean = new Array<number>(n).fill(0);
      const sq = new Array<number>(n).fill(0);
      for (let i = 0; i < trainSet.size; i++) for (let j = 0; j < n; j++) mean[j] += trainSet.features[i * n + j] / trainSet.size;
      for (let i = 0; i < trainSet.size; i++) for (let j = 0; j < n; j++) sq[j] += (trainSet.features[i * n + j] - mean[j]) ** 2 / trainSet.size;
      // A constant column keeps std 1, so it becomes 0 rather than NaN.
      const std = sq.map((v) => (v > 0 ? Math.sqrt(v) : 1));
      const standardized = (d: ArrayDataset): ArrayDataset => new ArrayDataset(d.name, d.features, d.labels, d.featureShape, d.numClasses, { mean, std, targets: d.targets });
      trainSet = standardized(trainSet);
      testSet = standardized(testSet);
    }
    return { train: trainSet, test: testSet, ...(classNames ? { classNames } : {}) };
  },
};

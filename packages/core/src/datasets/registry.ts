/**
 * Named dataset sources. Core registers `mnist` and `mnist-rgb` (digits resized to RGB,
 * option `size`); plugins may register more through the Datasets service.
 */
import { ArrayDataset } from './dataset';
import { loadMnist } from './mnist';
import { loadMnistRgb } from './mnist-rgb';

export interface DataSpec {
  readonly source: string;
  readonly train?: number;
  readonly test?: number;
  readonly [option: string]: unknown;
}

export interface DataSplits {
  readonly train: ArrayDataset;
  readonly test: ArrayDataset;
}

export type DatasetSource = (spec: DataSpec) => DataSplits;

export class DatasetRegistry {
  private readonly sources = new Map<string, DatasetSource>();

  constructor() {
    this.register('mnist', (spec) => loadMnist({ train: spec.train, test: spec.test }));
    this.register('mnist-rgb', (spec) => loadMnistRgb({ train: spec.train, test: spec.test, size: spec.size as number | undefined }));
  }

  register(name: string, source: DatasetSource): void {
    this.sources.set(name, source);
  }

  names(): string[] {
    return [...this.sources.keys()];
  }

  load(spec: DataSpec): DataSplits {
    const source = this.sources.get(spec.source);
    if (!source) throw new Error(`unknown dataset source "${spec.source}" (known: ${this.names().join(', ')})`);
    return source(spec);
  }
}

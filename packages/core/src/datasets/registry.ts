/**
 * Named dataset sources. Core registers `mnist`; plugins may register more (for example a
 * resized-RGB variant) through the Datasets service.
 */
import { ArrayDataset } from './dataset';
import { loadMnist } from './mnist';

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

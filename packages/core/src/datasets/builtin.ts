/** The sources core registers itself. */
import { csvSource } from './csv';
import { idxSource } from './idx';
import { mnistRgbSource } from './mnist-rgb';
import { mnistSource } from './mnist';
import type { DatasetSource } from './source';

export const builtinSources: readonly DatasetSource<never>[] = [mnistSource, mnistRgbSource, idxSource, csvSource] as readonly DatasetSource<never>[];

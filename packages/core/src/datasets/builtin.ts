/** The sources core registers itself. */
import { idxSource } from './idx';
import { mnistRgbSource } from './mnist-rgb';
import { mnistSource } from './mnist';
import type { DatasetSource } from './source';

export const builtinSources: readonly DatasetSource<never>[] = [mnistSource, mnistRgbSource, idxSource] as readonly DatasetSource<never>[];

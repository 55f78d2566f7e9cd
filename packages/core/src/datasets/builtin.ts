/** The sources core registers itself. */
import { csvSource } from './csv';
import { idxSource } from './idx';
import { imageFolderSource } from './image-folder';
import { moduleSource } from './module-source';
import { npySource } from './numpy';
import { mnistRgbSource } from './mnist-rgb';
import { mnistSource } from './mnist';
import type { DatasetSource } from './source';

export const builtinSources: readonly DatasetSource<never>[] = [mnistSource, mnistRgbSource, idxSource, csvSource, npySource, imageFolderSource, moduleSource] as readonly DatasetSource<never>[];

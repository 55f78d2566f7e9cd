export { FinetunePlugin as default, FinetunePlugin } from './plugin';
export { finetuneOptionsSchema } from './schema';
export type { FinetuneOptions } from './schema';

/**
 * `@nncompress/queue`: a goal search's trials and a sweep's configurations, run by
 * `nncompress worker` processes on any number of machines through BullMQ on Redis.
 */
export { openQueue } from './coordinator';
export type { OpenQueueOptions, QueueCoordinator } from './coordinator';
export { startWorker } from './worker';
export type { StartWorkerOptions, QueueWorker } from './worker';
export { parseQueueAddress } from './address';
export type { QueueAddress } from './address';

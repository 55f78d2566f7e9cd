/**
 * The one DI container module: the service tokens, the replaceable services' contracts and
 * their defaults, and container construction. Class plugins ask for services with
 * `@inject(Services.X)`; function plugins get the common ones on `PluginContext`. Tokens are
 * global symbols so that a plugin built against another copy of core still resolves the same
 * services.
 *
 * Replaceable services (trainer, evaluator, latency meter) are what core itself calls, so a
 * replacement changes the whole run, not one plugin's view of it: a test or a library user
 * passes them in `RunOptions.services`, a plugin declares them in `provides`.
 */
import 'reflect-metadata';
import * as tf from '@tensorflow/tfjs';
import { Container, inject as inversifyInject, injectable as inversifyInjectable } from 'inversify';
import type { ArrayDataset } from '../datasets/dataset';
import { compareLatency, Latency } from '../model/latency';
import { evaluate, EvaluateOptions, Evaluation } from '../training/evaluate';
import { train, TrainOptions, TrainResult } from '../training/train';
import type { Logger } from '../util/logger';
import type { PluginClass, PluginInstance } from './plugin';

/** The DI tokens a class plugin's constructor asks for services by: `@inject(Services.Logger)`. */
export const Services = Object.freeze({
  /** `Logger`, scoped to the plugin instance that asks (messages start with its name). */
  Logger: Symbol.for('nncompress.Logger'),
  Rng: Symbol.for('nncompress.Rng'),
  /** The run's dataset sources (read-only). */
  Datasets: Symbol.for('nncompress.Datasets'),
  Backend: Symbol.for('nncompress.Backend'),
  ModelState: Symbol.for('nncompress.ModelState'),
  /** `Trainer`: fine-tuning with masks (the finetune plugin's). */
  Trainer: Symbol.for('nncompress.Trainer'),
  /** `Evaluator`: the task's metric and loss on a dataset (core's baseline, stage and decoded measurements). */
  Evaluator: Symbol.for('nncompress.Evaluator'),
  /** `LatencyMeter`: baseline and final latency, timed in alternation. */
  LatencyMeter: Symbol.for('nncompress.LatencyMeter'),
  /** The run's `CodecRegistry` (format's codecs, installed and configured plugins'). */
  Codecs: Symbol.for('nncompress.Codecs'),
  /** The run's `ImportanceRegistry` (core's measures and the configured plugins'). */
  Importance: Symbol.for('nncompress.Importance'),
});

/** Parameter decorator (inversify's): `@inject(Services.Logger)` asks for a service in a class plugin's constructor. */
export const inject: typeof inversifyInject = inversifyInject;
/** Class decorator (inversify's) that a class plugin whose constructor takes services needs. */
export const injectable: typeof inversifyInjectable = inversifyInjectable;

/** Trains a model on a dataset (mask-aware, seeded); core's `train` is the default. */
export interface Trainer {
  train(model: tf.LayersModel, data: ArrayDataset, options: TrainOptions): TrainResult;
}

/** Measures a model on a dataset with the data's task; core's `evaluate` is the default (`options.workers`: threads it may use). */
export interface Evaluator {
  evaluate(model: tf.LayersModel, data: ArrayDataset, batchSize?: number, options?: EvaluateOptions): Evaluation;
}

/** Times two models in alternation at batch 1 and 32; core's `compareLatency` is the default. */
export interface LatencyMeter {
  compare(before: tf.LayersModel, after: tf.LayersModel, rounds: number): { before: Latency; after: Latency };
}

/** The services a run may replace, by name. */
export interface ReplaceableServices {
  readonly trainer: Trainer;
  readonly evaluator: Evaluator;
  readonly latencyMeter: LatencyMeter;
}

/** What a plugin's service factory gets: its instance's logger, and core's services to wrap. */
export interface ServiceFactoryContext {
  readonly logger: Logger;
  readonly defaults: ReplaceableServices;
}

/** What a plugin `provides`: each replaceable service, or a factory that builds it for the run. */
export type ProvidedServices = {
  readonly [K in keyof ReplaceableServices]?: ReplaceableServices[K] | ((ctx: ServiceFactoryContext) => ReplaceableServices[K]);
};

export const defaultServices: ReplaceableServices = Object.freeze({
  trainer: { train },
  evaluator: { evaluate },
  latencyMeter: { compare: compareLatency },
});

/** The run's services, bound once: constants for the run, the replaceable ones as given. */
export interface RunServices extends ReplaceableServices {
  readonly logger: Logger;
  readonly rng: unknown;
  readonly datasets: unknown;
  readonly backend: unknown;
  readonly modelState: unknown;
  /** Built on first use: assembling the registry loads the project's plugin packages. */
  readonly codecs: () => unknown;
  readonly importance: unknown;
}

export function createContainer(services: RunServices): Container {
  const container = new Container();
  container.bind(Services.Logger).toConstantValue(services.logger);
  container.bind(Services.Rng).toConstantValue(services.rng);
  container.bind(Services.Datasets).toConstantValue(services.datasets);
  container.bind(Services.Backend).toConstantValue(services.backend);
  container.bind(Services.ModelState).toConstantValue(services.modelState);
  container.bind(Services.Trainer).toConstantValue(services.trainer);
  container.bind(Services.Evaluator).toConstantValue(services.evaluator);
  container.bind(Services.LatencyMeter).toConstantValue(services.latencyMeter);
  container.bind(Services.Importance).toConstantValue(services.importance);
  container.bind(Services.Codecs).toDynamicValue(() => services.codecs()).inSingletonScope();
  return container;
}

/**
 * Instantiates a class plugin: through a child of the run's container, in which `Logger` is
 * the instance's scoped logger, when its constructor takes services.
 */
export function instantiatePlugin<O>(container: Container, cls: PluginClass<O>, logger: Logger): PluginInstance<O> {
  if (cls.length === 0) return new cls();
  const child = new Container({ parent: container });
  child.bind(Services.Logger).toConstantValue(logger);
  child.bind(cls).toSelf();
  return child.get<PluginInstance<O>>(cls);
}

/** `logger` with every message prefixed by `name: `, the instance a line comes from. */
export function scopedLogger(logger: Logger, name: string): Logger {
  return {
    info: (message) => logger.info(`${name}: ${message}`),
    warn: (message) => logger.warn(`${name}: ${message}`),
    debug: (message) => logger.debug(`${name}: ${message}`),
  };
}

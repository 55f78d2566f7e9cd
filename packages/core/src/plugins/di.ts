/**
 * The one DI container module: binding tokens and container construction. Class plugins
 * ask for services with `@inject(Services.X)`; everything else uses PluginContext.
 * Tokens are global symbols so that a plugin built against another copy of core still
 * resolves the same services.
 */
import 'reflect-metadata';
import { Container, inject, injectable } from 'inversify';
import type { PluginClass, PluginInstance } from './plugin';

export const Services = Object.freeze({
  Logger: Symbol.for('nncompress.Logger'),
  Rng: Symbol.for('nncompress.Rng'),
  Datasets: Symbol.for('nncompress.Datasets'),
  Backend: Symbol.for('nncompress.Backend'),
  ModelState: Symbol.for('nncompress.ModelState'),
});

export { inject, injectable };

export function createContainer(services: Record<keyof typeof Services, unknown>): Container {
  const container = new Container();
  for (const key of Object.keys(Services) as (keyof typeof Services)[]) {
    container.bind(Services[key]).toConstantValue(services[key]);
  }
  return container;
}

/** Instantiates a class plugin: through the container when its constructor takes services. */
export function instantiatePlugin<O>(container: Container, cls: PluginClass<O>): PluginInstance<O> {
  if (cls.length === 0) return new cls();
  if (!container.isBound(cls)) container.bind(cls).toSelf();
  return container.get<PluginInstance<O>>(cls);
}

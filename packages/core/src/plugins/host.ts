/**
 * Applies plugin instances to the hooks and scopes them to stages.
 *
 * Every instance is applied once, to its own view of the hooks: each hook as it is, except
 * that `tap`, `tapAsync` and `tapPromise` record the instance as the tap's owner and wrap the
 * tap so that
 *  - on the round hooks (ROUND_HOOKS) the tap only runs in stages whose `use` lists the
 *    instance (a skipped waterfall tap passes its value on);
 *  - an exception names the plugin instance and the hook.
 * The hooks themselves carry no interceptor, so `isUsed()` says whether anything tapped them.
 * Plugin authors see none of this: they tap hooks as usual.
 */
import type { Container } from 'inversify';
import { errorMessage, PluginError, NncError } from '../errors';
import { PipelineHooks, ROUND_HOOKS, WATERFALL_HOOKS } from '../pipeline/hooks';
import { resolvePathOptions, validateAgainst } from '../config/validate';
import { instantiatePlugin } from './di';
import { isPluginClass, Plugin, PluginContext, PluginInstance } from './plugin';

type AnyFn = (...args: unknown[]) => unknown;
interface TapLike {
  type: 'sync' | 'async' | 'promise';
  name: string;
  fn: AnyFn;
  /** `select` taps: the target kinds they serve. */
  targets?: readonly string[];
  /** `select` taps: the kinds for which they follow per-layer values. */
  layerTargets?: readonly string[];
}

export interface AppliedPlugin {
  readonly instanceName: string;
  readonly id: string;
}

interface Owner {
  readonly instance: string;
  readonly id: string;
}

const TAP_METHODS: Record<string, TapLike['type']> = { tap: 'sync', tapAsync: 'async', tapPromise: 'promise' };

export class PluginHost {
  private active: ReadonlySet<string> | undefined;
  /** While core asks for one target's plan: the one instance whose `select` taps may answer. */
  private selecting: string | undefined;
  readonly applied: AppliedPlugin[] = [];
  /** Instance name → the target kinds its `select` taps serve. */
  readonly selectors = new Map<string, Set<string>>();
  /** Instance name → the target kinds for which its `select` taps follow per-layer values. */
  readonly layerSelectors = new Map<string, Set<string>>();
  /** Hook name → the instances that tapped it. */
  readonly tappedBy = new Map<string, Set<string>>();

  constructor(private readonly hooks: PipelineHooks) {}

  /** The hooks as `owner` sees them: the same hooks, whose tap methods wrap each tap for its owner. */
  private hooksFor(owner: Owner): PipelineHooks {
    const views = Object.entries(this.hooks).map(([hookName, hook]) => {
      const view = new Proxy(hook as object, {
        get: (target, prop) => {
          const method = typeof prop === 'string' ? TAP_METHODS[prop] : undefined;
          if (method) {
            return (options: string | Record<string, unknown>, fn: AnyFn) => {
              const given = typeof options === 'string' ? { name: options } : options;
              const wrapped = this.wrap(hookName, { ...given, type: method, fn } as TapLike, owner);
              return (target as Record<string, (options: Record<string, unknown>, fn: AnyFn) => void>)[prop as string](given, wrapped.fn);
            };
          }
          const value = Reflect.get(target, prop, target);
          return typeof value === 'function' ? (value as AnyFn).bind(target) : value;
        },
      });
      return [hookName, view] as const;
    });
    return Object.freeze(Object.fromEntries(views)) as unknown as PipelineHooks;
  }

  /** While set, only this instance's `select` taps run (core asks one server per target key). */
  setSelecting(instance: string | undefined): void {
    this.selecting = instance;
  }

  /** Limits round hooks to these instances (undefined: all). */
  setActive(instances: readonly string[] | undefined): void {
    this.active = instances ? new Set(instances) : undefined;
  }

  /**
   * Checks a plugin's options against its schema and returns a copy with defaults filled in.
   * `where` is the config path prefix for messages, e.g. `pipeline.yaml: plugins.prune`.
   */
  static prepareOptions(plugin: Plugin, rawOptions: Record<string, unknown> | undefined, where: string, baseDir?: string): Record<string, unknown> {
    const options = structuredClone(rawOptions ?? {});
    if (plugin.optionsSchema) {
      const problem = validateAgainst(plugin.optionsSchema, options, `${where}.options`);
      if (problem) throw new PluginError(`${problem} (plugin ${plugin.id})`, plugin.id);
      // Options declared `format: 'path'` arrive absolute, resolved from the config's folder.
      if (baseDir !== undefined) resolvePathOptions(plugin.optionsSchema, options, baseDir);
    }
    return options;
  }

  /**
   * Instantiates and applies one plugin instance; `options` come from prepareOptions. A
   * `builtin` (core's report writer, summary log) taps like any plugin but is not listed
   * among the run's plugins.
   */
  apply(instanceName: string, plugin: Plugin, options: Record<string, unknown>, ctx: PluginContext, container: Container, builtin = false): void {
    const instance: PluginInstance<Record<string, unknown>> = isPluginClass(plugin) ? instantiatePlugin(container, plugin, ctx.logger) : plugin;
    try {
      instance.apply(this.hooksFor({ instance: instanceName, id: plugin.id }), options, ctx);
    } catch (err) {
      if (err instanceof NncError) throw err;
      throw new PluginError(`plugin ${instanceName} (${plugin.id}) failed to apply: ${errorMessage(err)}`, plugin.id);
    }
    if (!builtin) this.applied.push({ instanceName, id: plugin.id });
  }

  /** A `select` tap must say which target kinds it serves, so core never asks it for another. */
  private recordSelector(owner: Owner, tap: TapLike): void {
    const targets = tap.targets;
    if (!Array.isArray(targets) || targets.length === 0 || !targets.every((t) => typeof t === 'string')) {
      throw new PluginError(
        `plugin ${owner.instance} (${owner.id}): its "select" tap "${tap.name}" must declare the target kinds it serves, e.g. hooks.select.tapPromise({ name: '${tap.name}', targets: ['sparsity'] }, …)`,
        owner.id,
        'select',
      );
    }
    let served = this.selectors.get(owner.instance);
    if (!served) this.selectors.set(owner.instance, (served = new Set()));
    for (const t of targets) served.add(t);
    const perLayer = tap.layerTargets ?? [];
    if (!Array.isArray(perLayer) || !perLayer.every((t) => targets.includes(t))) {
      throw new PluginError(`plugin ${owner.instance} (${owner.id}): its "select" tap "${tap.name}" declares layerTargets that are not among its targets (${targets.join(', ')})`, owner.id, 'select');
    }
    let layered = this.layerSelectors.get(owner.instance);
    if (!layered) this.layerSelectors.set(owner.instance, (layered = new Set()));
    for (const t of perLayer) layered.add(t);
  }

  private wrap(hookName: string, tap: TapLike, owner: Owner): TapLike {
    if (hookName === 'select') this.recordSelector(owner, tap);
    let tappers = this.tappedBy.get(hookName);
    if (!tappers) this.tappedBy.set(hookName, (tappers = new Set()));
    tappers.add(owner.instance);
    const gated = ROUND_HOOKS.has(hookName as keyof PipelineHooks);
    const isActive = (): boolean => {
      if (hookName === 'select' && this.selecting !== undefined && this.selecting !== owner.instance) return false;
      return !gated || !this.active || this.active.has(owner.instance);
    };
    const pass = (args: unknown[]): unknown => (WATERFALL_HOOKS.has(hookName as keyof PipelineHooks) ? args[0] : undefined);
    const fail = (err: unknown): PluginError => {
      if (err instanceof PluginError) return err;
      const message = errorMessage(err);
      const wrapped = new PluginError(`plugin ${owner.instance} (${owner.id}) failed in hook "${hookName}": ${message}`, owner.id, hookName);
      if (err instanceof Error) wrapped.stack = `${wrapped.message}\n${err.stack ?? ''}`;
      return wrapped;
    };
    const fn = tap.fn;
    let wrappedFn: AnyFn;
    switch (tap.type) {
      case 'sync':
        wrappedFn = (...args) => {
          if (!isActive()) return pass(args);
          try {
            return fn(...args);
          } catch (err) {
            throw fail(err);
          }
        };
        break;
      case 'promise':
        wrappedFn = async (...args) => {
          if (!isActive()) return pass(args);
          try {
            return await fn(...args);
          } catch (err) {
            throw fail(err);
          }
        };
        break;
      case 'async':
        wrappedFn = (...args) => {
          const callback = args[args.length - 1] as (err: unknown, result?: unknown) => void;
          if (!isActive()) return callback(null, pass(args));
          try {
            return fn(...args.slice(0, -1), (err: unknown, result?: unknown) => callback(err ? fail(err) : null, result));
          } catch (err) {
            return callback(fail(err));
          }
        };
        break;
    }
    return { ...tap, fn: wrappedFn };
  }
}

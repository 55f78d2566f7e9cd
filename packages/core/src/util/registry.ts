/** A registry of named things (layer kinds, target kinds): one per key, replaced only when asked. */
export class Registry<T> {
  private readonly items = new Map<string, T>();

  /** `what` names an entry in messages, e.g. `layer kind`. */
  constructor(
    private readonly what: string,
    private readonly keyOf: (item: T) => string,
  ) {}

  /** Adds `item`; a key that is already taken is an error unless `replace` is set. */
  register(item: T, options: { readonly replace?: boolean } = {}): this {
    const key = this.keyOf(item);
    if (this.items.has(key) && !options.replace) throw new Error(`${this.what} "${key}" is already registered; pass { replace: true } to replace it`);
    this.items.set(key, item);
    return this;
  }

  get(key: string): T | undefined {
    return this.items.get(key);
  }

  keys(): string[] {
    return [...this.items.keys()];
  }
}

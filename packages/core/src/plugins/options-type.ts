/**
 * A plugin's options type, derived from its JSON Schema, so an option is described once:
 * declare the schema `as const` and write `type MyOptions = OptionsOf<typeof mySchema>`.
 * Options arrive validated with defaults filled in, so a property with a `default` (or
 * listed in `required`) is always present; the others are optional.
 *
 * It reads the parts of JSON Schema that option schemas here use: `type` (string, number,
 * integer, boolean, array, object), `enum`, `anyOf`, `items`, `properties`, `required`,
 * `additionalProperties` and `default`.
 */

/** Flattens an intersection so editors show one object type. */
type Simplify<T> = { [K in keyof T]: T[K] } & {};

/** The TypeScript type of values a schema accepts. */
export type SchemaValue<S> = S extends { readonly enum: readonly (infer E)[] }
  ? E
  : S extends { readonly anyOf: readonly (infer A)[] }
    ? SchemaValue<A>
    : S extends { readonly type: 'string' }
      ? string
      : S extends { readonly type: 'number' | 'integer' }
        ? number
        : S extends { readonly type: 'boolean' }
          ? boolean
          : S extends { readonly type: 'array'; readonly items: infer I }
            ? SchemaValue<I>[]
            : S extends { readonly type: 'array' }
              ? unknown[]
              : S extends { readonly properties: object }
                ? OptionsOf<S>
                : S extends { readonly type: 'object'; readonly additionalProperties: infer V }
                  ? V extends object
                    ? Record<string, SchemaValue<V>>
                    : Record<string, unknown>
                  : S extends { readonly type: 'object' }
                    ? Record<string, unknown>
                    : unknown;

type RequiredKey<S> = S extends { readonly required: readonly (infer R)[] } ? R : never;
type DefaultedKey<P> = { [K in keyof P]: P[K] extends { readonly default: unknown } ? K : never }[keyof P];

/** The options an object schema describes, after validation: defaulted and required keys present, the rest optional. */
export type OptionsOf<S> = S extends { readonly properties: infer P }
  ? Simplify<
      { -readonly [K in keyof P as K extends RequiredKey<S> | DefaultedKey<P> ? K : never]: SchemaValue<P[K]> } & {
        -readonly [K in keyof P as K extends RequiredKey<S> | DefaultedKey<P> ? never : K]?: SchemaValue<P[K]>;
      }
    >
  : Record<string, unknown>;

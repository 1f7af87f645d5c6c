// The browser protocol spells every field as in the .proto files (snake_case), while
// protobuf-es generates its JSON types with the JSON names (lowerCamelCase). These types
// turn one into the other, so the browser's shapes still come from the contracts.

/** `taskId` → `task_id`. */
export type SnakeCase<S extends string> = S extends `${infer Head}${infer Tail}`
  ? `${Head extends Lowercase<Head> ? Head : `_${Lowercase<Head>}`}${SnakeCase<Tail>}`
  : S;

/** A generated `…Json` type with every key, at every depth, in snake_case. */
export type SnakeKeys<T> = T extends readonly (infer Item)[]
  ? SnakeKeys<Item>[]
  : T extends object
    ? { [K in keyof T as SnakeCase<K & string>]: SnakeKeys<T[K]> }
    : T;

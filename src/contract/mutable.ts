/** For code that builds a read-only contract value step by step before handing it out. */
export type Mutable<T> = { -readonly [K in keyof T]: T[K] };

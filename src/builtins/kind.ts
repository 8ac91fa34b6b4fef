/**
 * The shape every constraint kind has in the registry (registry.ts): the parameter names the language
 * accepts, how its parameters are read and validated (`lower`), how a check function is built from
 * them (`compile`), and the candidate values they suggest (`samples`).
 * Guarantees: parameters are plain data (strings, numbers, booleans, arrays, plain objects), so an IR
 * that holds them can be cloned, printed and compared; validation reports plain problem records (no
 * diagnostics here: the checker turns them into catalog diagnostics); `compile` never throws and its
 * check fails closed (a fault message) on anything it cannot judge, parameters it cannot use included.
 */

/** A constraint's verdict on one value: null when it passes, else a short lowercase fault. */
export type Check = (value: unknown) => string | null;

/** Capabilities of the host a check may use. Never stored in the IR (see registry.ts `bindHost`). */
export interface Host {
  /** A synchronous realpath (e.g. `fs.realpathSync.native`): `path(...)` checks then also follow symlinks. */
  readonly realpath?: (path: string) => string;
}

/** Where a problem points: a parameter's value, one item of a list parameter, or the whole type. */
export type Locator = { readonly param: string; readonly item?: number } | { readonly type: true };

/** A validation problem, as plain data; the checker maps each code to its catalog diagnostic. */
export type Problem =
  | { readonly code: "invalid-parameter"; readonly at: Locator; readonly message: string; readonly hint?: string }
  | { readonly code: "invalid-sql-function"; readonly at: Locator; readonly entry: string }
  | { readonly code: "sql-function-not-readonly"; readonly at: Locator; readonly entry: string; readonly reason: string };

/**
 * How a kind reads its written parameters. The checker implements it over the AST (constants resolved,
 * set references expanded); a read that finds a value of the wrong shape is reported by the reader and
 * answers undefined. Problems a kind finds are handed to `problem`, in the order the kind finds them.
 */
export interface ParamReader {
  /** Whether the parameter is written at all (even with a wrong value). */
  has(name: string): boolean;
  str(name: string): string | undefined;
  bool(name: string): boolean | undefined;
  nonNegInt(name: string): number | undefined;
  strings(name: string): string[] | undefined;
  /** A list of strings, read item by item (problems may point at an item by its index). */
  stringItems(name: string): string[] | undefined;
  /** A string, or a list of strings read item by item: its items (a string is a list of one). */
  stringOrItems(name: string): string[] | undefined;
  ints(name: string): number[] | undefined;
  /** A `cidr` set parameter (a set name or an inline list): its validated items. */
  cidr(name: string): string[] | undefined;
  /** A `domain` set parameter (a set name or an inline list): its validated items. */
  domain(name: string): string[] | undefined;
  problem(p: Problem): void;
}

export interface ConstraintKind<P> {
  /** The parameters the language accepts for this kind, in documentation order. */
  readonly params: readonly string[];
  /** Read and validate the parameters; undefined when the type cannot be used (problems reported). */
  lower(r: ParamReader, host: Host): { params: P; maxLength?: number } | undefined;
  /** The check, built once from the parameters (host capabilities given separately). */
  compile(params: P, host: Host): Check;
  /** Candidate values built from the parameters (analysis witnesses, testing kit); not all pass. */
  samples(params: P): string[];
}

/** A check that refuses everything: for parameters that cannot be used (an IR not made by the checker). */
export const refuseAll = (why: string): Check => () => why;

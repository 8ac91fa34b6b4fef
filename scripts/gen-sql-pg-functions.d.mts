// Types of gen-sql-pg-functions.mjs, for the live PostgreSQL test (which regenerates the list in memory).

/** The catalog rows the lists are made from, read with `psql` (from `bindir` when given). */
export function readCatalog(conninfo: string, bindir?: string): unknown;
/** The text of src/builtins/sql/sql-pg-functions.ts for a catalog read by readCatalog. */
export function generate(catalog: unknown): string;
/** The generated module's path. */
export const OUTPUT_FILE: string;

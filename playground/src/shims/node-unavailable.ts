/**
 * Browser stand-in for `node:fs`, `node:dns` and `node:module`: every function throws a plain Error that
 * says the feature is not available in the playground. The compiler's callers already treat a throwing
 * reader or loader as "cannot load" (a diagnostic, or a fault that fails closed), so nothing is ever allowed
 * because of a missing host feature. Only the names the bundled modules import are defined.
 */
function unavailable(what: string): never {
  throw new Error(`${what} is not available in the playground (no file system, network or Node modules in the browser)`);
}

const fail = (what: string) => (..._args: unknown[]): never => unavailable(what);

// node:fs
export const closeSync = fail("the file system");
export const fstatSync = fail("the file system");
export const openSync = fail("the file system");
export const readlinkSync = fail("the file system");
export const readSync = fail("the file system");
export const realpathSync = Object.assign(fail("the file system"), { native: fail("the file system") });
export const statSync = fail("the file system");
export const readFileSync = fail("the file system");
export const ftruncateSync = fail("the file system");
export const fsyncSync = fail("the file system");
export const writeSync = fail("the file system");
export const constants = { O_RDONLY: 0, O_NOFOLLOW: 0, O_NONBLOCK: 0 };

// node:dns
export const promises = { lookup: fail("DNS resolution") };

// node:module: a require that loads nothing (libpg-query's WASM and node-sql-parser are not bundled).
export function createRequire(_url: string | URL): ((id: string) => never) & { resolve: (id: string) => never } {
  return Object.assign(fail("loading Node modules (the SQL parsers)"), { resolve: fail("loading Node modules (the SQL parsers)") });
}

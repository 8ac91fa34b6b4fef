// PostgreSQL's own parser for `sql(dialect: "postgresql")`: libpg-query, the server's scanner and grammar
// (PostgreSQL 18) compiled to WebAssembly, so a query is split into statements and tokens exactly as the
// server splits it (dollar quotes, nested comments, standard_conforming_strings, `--` ended by a bare CR).
// Guarantees:
// - Importing this module loads nothing. The WASM is compiled and instantiated synchronously on first
//   need (`pgLoad`, called when a postgresql `sql(...)` check is compiled, and by `pgParse`/`pgScan`), so
//   `import "mcppolicy"` stays light while compiling and checking stay synchronous (Node compiles and
//   instantiates a WebAssembly module of any size synchronously). Loading is tried once and never throws:
//   if the package or its WASM cannot be loaded, or the loaded parser fails a known-answer self-test,
//   every `pgParse` returns the fault PG_UNAVAILABLE (the caller fails closed) and nothing else is affected.
// - Synchronous instantiation through libpg-query's Emscripten factory (an async function): the factory is
//   given the instance synchronously (`instantiateWasm`), which attaches the exports to the module object
//   before the factory's first `await`; the static constructors (`__wasm_call_ctors`) are then run here,
//   and the factory's later runtime start gets a no-op in their place so they run exactly once.
// - `pgParse` never throws. It returns the statements (libpg-query's JSON parse tree), a syntax error,
//   or a fault. Syntax errors are PostgreSQL's own (ereport/longjmp inside the WASM, cleaned up by it).
//   `pgScan` likewise returns PostgreSQL's tokens (its scanner, comments included).
// - An instance that has ever thrown out of the WASM (a trap: in practice V8's native stack running out
//   while libpg-query serialises a very deep tree, e.g. `SELECT 1+1+...+1` with 10,000 terms, at a depth
//   that depends on the caller's stack) is never used again. A trap unwinds past libpg-query's cleanup and
//   leaves the instance's shadow stack, memory contexts and possibly its allocator corrupt (measured:
//   after a few dozen traps every later parse fails with out-of-bounds accesses). The query that trapped
//   gets PG_TOO_COMPLEX and a replacement is built in the background from the already compiled module
//   (~10 ms); until it is ready, queries get PG_RESTARTING. After the first trap a spare instance is kept
//   ready, so later traps cost no such window (a spare is not built up front: it costs ~20 MB).
// The library's own `parseSync` wraps a single global instance that cannot be replaced, so this module
// drives the package's Emscripten module directly with the same calls the library makes
// (`_wasm_parse_query_raw` and its result struct, `_wasm_scan`), checked by the self-test at load.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

/** One parsed statement: `{ stmt: { SelectStmt: {...} } }` etc. */
export interface PgRawStmt {
  stmt?: Record<string, unknown>;
}

export type PgParseResult = { stmts: PgRawStmt[] } | { error: string } | { fault: string };

/** One token from PostgreSQL's scanner: its text and kind (`SCONST` for string constants). */
export interface PgToken {
  text: string;
  tokenName: string;
}

export type PgScanResult = { tokens: PgToken[] } | { error: string } | { fault: string };

export const PG_UNAVAILABLE = "the sql parser could not be loaded";
export const PG_TOO_COMPLEX = "query is too complex to check";
export const PG_RESTARTING = "the sql parser is restarting after an internal error; try again";

/** The parts of the Emscripten module object used here (the same members libpg-query's wrapper uses). */
interface PgModule {
  _wasm_parse_query_raw(ptr: number): number;
  _wasm_free_parse_result(ptr: number): void;
  _wasm_scan(ptr: number): number;
  _wasm_free_string(ptr: number): void;
  _malloc(size: number): number;
  _free(ptr: number): void;
  getValue(ptr: number, type: string): number;
  UTF8ToString(ptr: number): string;
  stringToUTF8(s: string, ptr: number, max: number): void;
  lengthBytesUTF8(s: string): number;
}
type Factory = (arg: Record<string, unknown>) => Promise<PgModule>;

/** `WebAssembly` as far as it is used here (the project's `lib` has no DOM types). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}
const WA = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

let factory: Factory | null = null;
let compiled: object | null = null;
let active: PgModule | null = null;
let spare: PgModule | null = null;
let building = false;

const noop = (): void => {};

/**
 * The (minified) export that runs the WASM's static constructors (`__wasm_call_ctors`): read from the
 * loader's own `initRuntime`, the one place it calls it (`A` in the pinned 18.1.5). Not found: no parser.
 */
function ctorsExport(f: Factory): string {
  const name = /function initRuntime\(\)\{[^}]*?wasmExports\["(\w+)"\]\(\)/.exec(String(f))?.[1];
  if (!name) throw new Error("libpg-query's loader has no recognisable runtime start");
  return name;
}

/** A new instance of the compiled module, ready to parse (synchronous; throws if it cannot be built). */
function instantiate(): PgModule {
  if (!factory || !compiled || !WA) throw new Error("libpg-query is not loaded");
  const mod = compiled;
  const api = WA;
  const CTORS = ctorsExport(factory);
  let ctors: (() => void) | null = null;
  const arg: Record<string, unknown> = {
    print: noop,
    printErr: noop,
    instantiateWasm(imports: object, receive: (instance: object) => void): object {
      const exports = { ...new api.Instance(mod, imports).exports };
      const c = exports[CTORS];
      if (typeof c !== "function") throw new Error("libpg-query has no static constructor export");
      ctors = c as () => void;
      exports[CTORS] = noop;
      receive({ exports });
      return {};
    },
  };
  // The promise settles later (its runtime start calls the no-op constructors); nothing waits on it.
  factory(arg).catch(noop);
  const run = ctors as (() => void) | null;
  if (!run) throw new Error("libpg-query did not instantiate synchronously");
  run();
  const m = arg as unknown as PgModule;
  if (!selfTest(m)) throw new Error("libpg-query failed its self-test");
  return m;
}

/** Build a spare instance in the background (at most one build at a time). Never rejects. */
function refill(): void {
  if (spare || building || !factory) return;
  building = true;
  // A microtask, as the asynchronous build it replaces ran: after the current call, before any timer.
  queueMicrotask(() => {
    try {
      spare = instantiate();
    } catch {
      // no spare: the next trap leaves queries at PG_RESTARTING until a build succeeds
    }
    building = false;
  });
}

type Raw = { json: string } | { error: string };

/** `q` copied into the instance's memory, for the duration of `f`. */
function withQuery<T>(m: PgModule, q: string, f: (qp: number) => T): T {
  const size = m.lengthBytesUTF8(q) + 1;
  const qp = m._malloc(size);
  if (!qp) throw new Error("malloc failed");
  try {
    m.stringToUTF8(q, qp, size);
    return f(qp);
  } finally {
    m._free(qp);
  }
}

/** One parse in the WASM. Throws only on a trap (or an allocation failure inside the instance). */
function rawParse(m: PgModule, q: string): Raw {
  return withQuery(m, q, (qp) => rawParseAt(m, qp));
}

function rawParseAt(m: PgModule, qp: number): Raw {
  let rp = 0;
  try {
    rp = m._wasm_parse_query_raw(qp);
    if (!rp) throw new Error("parse result allocation failed");
    const tree = m.getValue(rp, "i32");
    const err = m.getValue(rp + 8, "i32");
    if (err) {
      const msg = m.getValue(err, "i32");
      return { error: msg ? m.UTF8ToString(msg) : "syntax error" };
    }
    if (!tree) throw new Error("no parse tree");
    return { json: m.UTF8ToString(tree) };
  } finally {
    if (rp) m._wasm_free_parse_result(rp);
  }
}

/** One scan in the WASM: the scanner's JSON, or its error message (anything not starting with `{`). */
function rawScan(m: PgModule, q: string): Raw {
  return withQuery(m, q, (qp) => {
    const rp = m._wasm_scan(qp);
    if (!rp) throw new Error("scan result allocation failed");
    try {
      const out = m.UTF8ToString(rp);
      return out.startsWith("{") ? { json: out } : { error: out };
    } finally {
      m._wasm_free_string(rp);
    }
  });
}

function decode(raw: Raw): PgParseResult {
  if ("error" in raw) return raw;
  const tree = JSON.parse(raw.json) as { version?: unknown; stmts?: unknown };
  const stmts = Array.isArray(tree.stmts) ? (tree.stmts as PgRawStmt[]) : [];
  return { stmts };
}

function scanStrings(m: PgModule, q: string): string[] | null {
  const r = rawScan(m, q);
  if (!("json" in r)) return null;
  const tokens = (JSON.parse(r.json) as { tokens?: PgToken[] }).tokens ?? [];
  return tokens.filter((t) => t.tokenName === "SCONST").map((t) => t.text);
}

/** Known answers, including the reading that motivates this parser: `'a\'` ends at the second quote. */
function selfTest(m: PgModule): boolean {
  try {
    const one = rawParse(m, "SELECT 1");
    if (!("json" in one)) return false;
    const v = (JSON.parse(one.json) as { version?: unknown }).version;
    if (typeof v !== "number" || Math.floor(v / 10000) !== 18) return false;
    const kinds = (q: string): string | null => {
      const r = decode(rawParse(m, q));
      return "stmts" in r ? r.stmts.map((s) => Object.keys(s.stmt ?? {}).join("+")).join(",") : null;
    };
    return (
      kinds("SELECT 1") === "SelectStmt" &&
      kinds("SELECT $$a;b$$") === "SelectStmt" &&
      kinds("SELECT 'a\\'; DROP TABLE x; -- '") === "SelectStmt,DropStmt" &&
      kinds("WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d") === "SelectStmt" &&
      kinds("SELEC 1") === null &&
      JSON.stringify(scanStrings(m, "SELECT E'\\'', 'a\\'")) === JSON.stringify(["E'\\''", "'a\\'"])
    );
  } catch {
    return false;
  }
}

let tried = false;

/** True once the parser has loaded (a spare may still be building); false before `pgLoad` and if it failed. */
export let pgLoaded = false;

/** Load the parser now if not yet tried (synchronous, at most once, never throws). True when it is loaded. */
export function pgLoad(): boolean {
  if (tried) return pgLoaded;
  tried = true;
  try {
    if (!WA) throw new Error("no WebAssembly");
    const require = createRequire(import.meta.url);
    factory = require("libpg-query/wasm/libpg-query.js") as Factory;
    compiled = new WA.Module(readFileSync(require.resolve("libpg-query/wasm/libpg-query.wasm")));
    active = instantiate();
    pgLoaded = true;
  } catch {
    factory = null;
    compiled = null;
    active = null;
  }
  return pgLoaded;
}

/** Run `call` on a healthy instance; an instance that throws out of the WASM is dropped for good. */
function onInstance(call: (m: PgModule) => Raw): Raw | { fault: string } {
  if (!pgLoad() || !factory) return { fault: PG_UNAVAILABLE };
  if (!active) {
    if (!spare) {
      refill();
      return { fault: PG_RESTARTING };
    }
    active = spare;
    spare = null;
    refill();
  }
  const m = active;
  const exitCode = process.exitCode;
  try {
    return call(m);
  } catch {
    // A trap: this instance is done for. (Emscripten's exit path also sets process.exitCode; undo that.)
    process.exitCode = exitCode;
    if (active === m) active = null;
    refill();
    return { fault: PG_TOO_COMPLEX };
  }
}

/** Parse `q` with PostgreSQL's grammar. Never throws; see the module comment for the faults. */
export function pgParse(q: string): PgParseResult {
  const raw = onInstance((m) => rawParse(m, q));
  if ("fault" in raw) return raw;
  try {
    return decode(raw);
  } catch {
    return { fault: PG_TOO_COMPLEX };
  }
}

/** Split `q` into PostgreSQL's tokens (comments included). Never throws. */
export function pgScan(q: string): PgScanResult {
  const raw = onInstance((m) => rawScan(m, q));
  if ("fault" in raw) return raw;
  if ("error" in raw) return raw;
  try {
    const tokens = (JSON.parse(raw.json) as { tokens?: unknown }).tokens;
    return { tokens: Array.isArray(tokens) ? (tokens as PgToken[]) : [] };
  } catch {
    return { fault: PG_TOO_COMPLEX };
  }
}

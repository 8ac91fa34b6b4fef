// SQL checks: `sql(readonly: true, dialect: "postgresql")`.
// Guarantees: never throws, fails closed, results memoised (bounded).
// Which parser reads the query:
// - postgresql (the default): libpg-query, PostgreSQL's own scanner and grammar compiled to WebAssembly
//   (sql-pg.ts, loaded synchronously when the first postgresql check is compiled), so the check reads a query exactly as the server
//   will: no parser differential over dollar quotes, nested comments, backslashes or statement splitting
//   (`SELECT 'a\'; DROP TABLE x; -- '` is two statements, as it is to the server). The read-only, table and
//   column rules run on PostgreSQL's parse tree (sql-pg-check.ts); the calls a read-only query makes are
//   an allow-list generated from PostgreSQL's catalog plus the policy's `functions` (sql-pg-calls.ts).
//   The parser is linear (bison), so no parse-time cap is needed; a parser that cannot be loaded makes
//   every postgresql check fault.
// - mysql, sqlite, transactsql, mariadb, bigquery: node-sql-parser (one PEG grammar per dialect), an
//   optional dependency whose grammar is loaded when a check for its dialect is first compiled; without it
//   installed the checker refuses such a policy (`sqlDialectAvailable`) and a check built anyway refuses
//   every query. Read-only means: exactly one statement, a SELECT (set operations and WITH
//   allowed, every CTE body a SELECT), no SELECT INTO, no locking clause, and no call to a denied function
//   anywhere in the tree (a deny-list, sql-denied.ts: these dialects have no catalog to take an
//   allow-list from). Its PEG parser backtracks exponentially on some malformed input (`SELECT (SELECT
//   (SELECT ... 1` takes seconds at depth 6), so every parse runs under a work budget (input reads,
//   proportional to length) and a wall-clock cap (PARSE_TIME_MS); past either the query is refused as too
//   complex. Only the time cap depends on load. Table and column lists are a postgresql-only feature (the
//   checker reports them as an error for other dialects); given one anyway, these dialects refuse every query.
// Textual pre-checks run first and do not trust any parser: NUL, control characters, a CR without LF and
// unpaired UTF-16 surrogates, for every dialect. For the node-sql-parser dialects also MySQL executable
// comments (`/*!`) and, where the dialect does not read it as an escape (sqlite, transactsql), a backslash
// before a quote anywhere in the text (an escape to the parser but not to the server, so it could hide a
// second statement inside what the parser takes for a string). PostgreSQL needs neither as text: its own
// scanner reads `/*!` as a comment and strings exactly as the server does (standard_conforming_strings
// on). What remains of the backslash rule for postgresql is narrower and runs on PostgreSQL's tokens: a
// plain string constant with `\'` in it is refused, because a server or session with
// standard_conforming_strings off would end that string elsewhere (sql-pg-check.ts).
import { createRequire } from "node:module";
import type { AST, Parser } from "node-sql-parser";
import { deniedFunction } from "./sql-denied.js";
import { compileCallList, EMPTY_CALL_LIST, type PgCallList } from "./sql-pg-calls.js";
import { pgCheck, tableKey, type PgCheckOptions } from "./sql-pg-check.js";
import { pgLoad, PG_RESTARTING, PG_TOO_COMPLEX } from "./sql-pg.js";
import { rememberAnswers } from "../answer-memo.js";

export interface SqlOptions {
  readonly: boolean;
  /** Default "postgresql"; also "mysql", "sqlite", "transactsql", "mariadb", "bigquery". */
  dialect?: string;
  /** Allow UNION / INTERSECT / EXCEPT between selects (default true). */
  setOperations?: boolean;
  /**
   * postgresql only, with readonly: the relations a query may read (`users`, `public.users`; unquoted
   * names fold to lower case, `"Mixed"` keeps its case). A CTE name in scope is not a relation.
   */
  tables?: string[];
  /**
   * postgresql only, with readonly: column names a query may not use anywhere (case-insensitive); also
   * refuses `*`, whole-row references, column aliases on tables and NATURAL joins.
   */
  denyColumns?: string[];
  /**
   * postgresql only, with readonly: functions (`f`, `schema.f`, matched as written in the query) and
   * operator symbols a query may use beyond PostgreSQL's built-in read-only ones (sql-pg-calls.ts).
   */
  functions?: string[];
}

export type SqlCheck = (value: unknown) => string | null;

export const SQL_DIALECTS: readonly string[] = ["postgresql", "mysql", "mariadb", "sqlite", "transactsql", "bigquery"];
/** node-sql-parser dialects where a backslash does not escape a quote inside a string literal. */
const LITERAL_BACKSLASH = new Set(["sqlite", "transactsql"]);

const MAX_LENGTH = 20_000;
/** Input reads the parser may make: generous for real queries (they need 20-100 per character). */
const READS_BASE = 50_000;
const READS_PER_CHAR = 150;
const PARSE_TIME_MS = 250;
const MAX_NODES = 200_000;
const MEMO_MAX_QUERY = 4096;

/** Locking clauses, as the dialect grammars name them; T-SQL locking table hints. */
const LOCK_KEYS = ["locking_read", "for_update"];
const LOCK_HINT = /\b(?:UPDLOCK|XLOCK|TABLOCKX?|HOLDLOCK|PAGLOCK)\b/i;

const require = createRequire(import.meta.url);
const parsers = new Map<string, Parser | null>();

function parserFor(dialect: string): Parser | null {
  if (parsers.has(dialect)) return parsers.get(dialect) ?? null;
  let p: Parser | null = null;
  try {
    const mod = require(`node-sql-parser/build/${dialect}.js`) as { Parser: new () => Parser };
    p = new mod.Parser();
  } catch {
    p = null;
  }
  parsers.set(dialect, p);
  return p;
}

/**
 * Whether the parser for `dialect` (one of SQL_DIALECTS) can be loaded here: false for the node-sql-parser
 * dialects when that optional package is not installed. postgresql is always "available" to the checker:
 * its parser is part of the package, and if its WASM cannot run every check faults (fails closed).
 */
export function sqlDialectAvailable(dialect: string): boolean {
  return dialect === "postgresql" || parserFor(dialect) !== null;
}

const OVER_BUDGET = new Error("sql parse budget exceeded");
const TOO_COMPLEX = PG_TOO_COMPLEX;
/** Results that depend on load or on the caller's stack, so are not remembered. */
const TRANSIENT = new Set([TOO_COMPLEX, PG_RESTARTING]);
const LISTS_PG_ONLY = "table, column and function lists are supported for postgresql only";
const LISTS_READONLY_ONLY = "table, column and function lists need readonly: true";
const READ_METHODS = ["charCodeAt", "charAt", "substr", "substring", "slice"] as const;

/**
 * The query as a String object whose read methods count calls and throw OVER_BUDGET past `reads` or
 * `deadline`. The generated parser reads its input only through these methods.
 */
function budgeted(q: string, reads: number, deadline: number): string {
  const s = new String(q);
  let n = 0;
  for (const name of READ_METHODS) {
    const orig = String.prototype[name] as (this: string, a?: number, b?: number) => unknown;
    Object.defineProperty(s, name, {
      value: (a?: number, b?: number): unknown => {
        if ((++n & 1023) === 0 && (n > reads || performance.now() > deadline)) throw OVER_BUDGET;
        return orig.call(q, a, b);
      },
    });
  }
  return s as unknown as string;
}

export function compileSqlCheck(opts: SqlOptions): SqlCheck {
  const o = opts && typeof opts === "object" ? opts : { readonly: true };
  const readonly = o.readonly !== false;
  const setOperations = o.setOperations !== false;
  const dialect = typeof o.dialect === "string" ? o.dialect.toLowerCase() : "postgresql";
  if (!SQL_DIALECTS.includes(dialect)) return () => `unsupported sql dialect \`${String(o.dialect)}\``;

  let run: (q: string) => string | null;
  const lists = o.tables !== undefined || o.denyColumns !== undefined || o.functions !== undefined;
  if (lists && dialect !== "postgresql") return () => LISTS_PG_ONLY;
  if (lists && !readonly) return () => LISTS_READONLY_ONLY;
  if (dialect === "postgresql") {
    let tables: Set<string> | null = null;
    if (o.tables !== undefined) {
      tables = new Set();
      for (const t of Array.isArray(o.tables) ? o.tables : [null]) {
        const key = typeof t === "string" ? tableKey(t) : null;
        if (key === null) return () => `the sql table list has an invalid entry \`${String(t)}\``;
        tables.add(key);
      }
    }
    let denyColumns: Set<string> | null = null;
    if (o.denyColumns !== undefined) {
      denyColumns = new Set();
      for (const c of Array.isArray(o.denyColumns) ? o.denyColumns : [null]) {
        if (typeof c !== "string" || c.trim() === "") return () => `the sql column list has an invalid entry \`${String(c)}\``;
        denyColumns.add(c.trim().toLowerCase());
      }
    }
    let calls: PgCallList = EMPTY_CALL_LIST;
    if (o.functions !== undefined) {
      const c = compileCallList(o.functions);
      if ("error" in c) return () => c.error;
      calls = c;
    }
    const pgo: PgCheckOptions = { readonly, setOperations, tables, denyColumns, calls };
    pgLoad();
    run = (q) => textFault(q, dialect, readonly) ?? pgCheck(q, pgo);
  } else {
    parserFor(dialect);
    run = (q) => textFault(q, dialect, readonly) ?? sqlParserCheck(q, dialect, readonly, setOperations);
  }

  // A query's answer is kept per text (builtins/answer-memo.ts); a transient fault is not.
  const remembered = rememberAnswers(run, MEMO_MAX_QUERY, (result) => result === null || !TRANSIENT.has(result));
  return (value: unknown): string | null => {
    try {
      if (typeof value !== "string") return "must be a string";
      if (value.length > MAX_LENGTH) return `query is longer than ${MAX_LENGTH} characters`;
      return remembered(value);
    } catch {
      return "query could not be checked";
    }
  };
}

/** The check for the node-sql-parser dialects. */
function sqlParserCheck(q: string, dialect: string, readonly: boolean, setOperations: boolean): string | null {
  const parser = parserFor(dialect);
  if (!parser) return "the sql parser could not be loaded";
  let ast: AST | AST[];
  try {
    const input = budgeted(q, READS_BASE + READS_PER_CHAR * q.length, performance.now() + PARSE_TIME_MS);
    ast = parser.astify(input, { database: dialect, trimQuery: false });
  } catch (e) {
    return e === OVER_BUDGET ? TOO_COMPLEX : `query could not be parsed as ${dialect} SQL`;
  }
  const stmts = Array.isArray(ast) ? ast : [ast];
  if (stmts.length === 0) return "query has no statement";
  if (!readonly) return null;
  if (stmts.length > 1) return "query has more than one statement";
  return readonlyFault(stmts[0], setOperations);
}

function textFault(q: string, dialect: string, readonly: boolean): string | null {
  if (q.trim() === "") return "query is empty";
  if (q.includes("\u0000")) return "query contains a nul byte";
  for (let i = 0; i < q.length; i++) {
    const c = q.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) || c === 0x7f) return "query contains a control character";
    if (c === 0x0d && q.charCodeAt(i + 1) !== 0x0a) return "query contains a carriage return without a line feed";
    if (c >= 0xd800 && c <= 0xdfff) {
      const d = q.charCodeAt(i + 1);
      if (c >= 0xdc00 || !(d >= 0xdc00 && d <= 0xdfff)) return "query contains an unpaired surrogate (not valid unicode text)";
      i++;
    }
  }
  // postgresql: PostgreSQL's own scanner reads comments and backslashes as the server does, so no textual
  // rule is needed (the backslash-quote rule runs on its tokens instead, in sql-pg-check.ts).
  if (!readonly || dialect === "postgresql") return null;
  if (q.includes("/*!")) return "query contains a mysql executable comment (`/*!`)";
  if (LITERAL_BACKSLASH.has(dialect) && /\\['"]/.test(q)) {
    return `query has a backslash before a quote, which ${dialect} does not read as an escape (double the quote instead)`;
  }
  return null;
}

type Node = Record<string, unknown>;

const isNode = (v: unknown): v is Node => typeof v === "object" && v !== null;

/** node-sql-parser trees: walk the whole tree (iteratively) and return the first read-only violation. */
function readonlyFault(root: unknown, setOperations: boolean): string | null {
  if (!isNode(root) || root.type !== "select") {
    const t = isNode(root) && typeof root.type === "string" ? root.type : "unknown";
    return `only a select is allowed (found ${t.toUpperCase()})`;
  }
  const stack: unknown[] = [root];
  let seen = 0;
  while (stack.length > 0) {
    const v = stack.pop();
    if (Array.isArray(v)) {
      for (const x of v) if (isNode(x)) stack.push(x);
      continue;
    }
    if (!isNode(v)) continue;
    if (++seen > MAX_NODES) return "query is too complex to check";
    if (!setOperations && v.type === "select" && isNode(v._next)) return "set operations (UNION, INTERSECT, EXCEPT) are not allowed";
    const fault = nodeFault(v);
    if (fault !== null) return fault;
    for (const k in v) {
      const x = v[k];
      if (isNode(x)) stack.push(x);
    }
  }
  return null;
}

function nodeFault(n: Node): string | null {
  if (n.type === "function" || n.type === "aggr_func") {
    const name = deniedName(n.name);
    if (name !== null) return `query calls the denied function \`${name}\``;
  }
  if (n.type === "select") {
    const into = n.into;
    if (isNode(into) && (into.expr != null || into.keyword != null)) return "select into is not read-only";
    for (const k of LOCK_KEYS) if (n[k] != null && n[k] !== false) return "a locking clause is not read-only";
    if (Array.isArray(n.with)) {
      for (const cte of n.with) {
        const stmt = isNode(cte) ? cte.stmt : undefined;
        const body = isNode(stmt) && isNode(stmt.ast) ? stmt.ast : stmt;
        if (!isNode(body) || body.type !== "select") return "a with clause whose body is not a select is not read-only";
      }
    }
  }
  if (isNode(n.table_hint) && LOCK_HINT.test(JSON.stringify(n.table_hint))) return "a locking table hint is not read-only";
  // Sub-queries and set-operation branches must be selects too.
  for (const k of ["ast", "_next"]) {
    const sub = n[k];
    if (isNode(sub) && !Array.isArray(sub) && "type" in sub && sub.type !== "select") {
      return `only a select is allowed (found ${String(sub.type).toUpperCase()})`;
    }
  }
  return null;
}

/**
 * The first denied identifier in a function name (`pg_catalog.pg_sleep`, `"pg_sleep"`), or null. Every
 * part is checked, schema included: BigQuery's grammar files an unqualified name under `schema`.
 */
function deniedName(name: unknown): string | null {
  const parts: string[] = [];
  const add = (p: unknown): void => {
    if (typeof p === "string") parts.push(p);
    else if (isNode(p) && typeof p.value === "string") parts.push(p.value);
  };
  if (isNode(name)) {
    for (const k in name) {
      const v = name[k];
      if (Array.isArray(v)) v.forEach(add);
      else add(v);
    }
  } else add(name);
  for (const raw of parts) {
    const p = deniedFunction(raw);
    if (p !== null) return p;
  }
  return null;
}

// Read-only, table and column rules for `sql(dialect: "postgresql")`, on the parse tree of PostgreSQL's own
// grammar (sql-pg.ts). Never throws for any tree libpg-query returns; walks iteratively, at most MAX_NODES.
// Read-only: exactly one statement, a SelectStmt (VALUES and TABLE are SelectStmts too); nowhere in it an
// INTO clause, a locking clause, a statement other than a SELECT (a data-modifying CTE), a set operation
// when those are off, or a call (function, operator, regclass cast, tablesample method) that is not on
// the read-only allow-list (sql-pg-calls.ts: PostgreSQL's catalog, generated, plus the policy's
// `functions`; relation-taking functions and regclass casts checked against the table list). `s.f` on a
// function in FROM (`SELECT s.pg_read_file FROM lower('/etc/passwd') s`) is a call `f(s)`: a function
// returning a scalar makes `s` that scalar; so it is checked as the attribute spelling `(x).f` is.
// Tables (optional allow list): every relation named in the query must be on the list; an unqualified
// name is a CTE instead when a CTE of that name is in scope where it is used (PostgreSQL's scoping: a
// query's own WITH, its enclosing queries', and in a non-recursive WITH only the CTEs before it). Names
// compare as PostgreSQL compares identifiers: a list entry is folded to lower case unless written in
// double quotes, and the query's names are compared as the parser produced them.
// Backslashes: libpg-query reads strings as the server does with standard_conforming_strings on (the
// default since 9.1): `'a\'` is the string `a\`. A server or session with it off reads `\'` in a plain
// string as an escaped quote, so `SELECT 'a\' , '; DROP TABLE x; --'`, one SELECT here, would be a SELECT
// and a DROP there. So a plain string constant (PostgreSQL's own token, not a comment, identifier or
// dollar quote) with a backslash before a quote is refused; `E'it\'s'` means the same under both settings.
// Columns (optional deny list): no column reference, indirection or USING column may name a denied
// column (compared lower-cased, any part of a qualified reference); and because a denied column can be
// read without naming it, `*`, whole-row references (`t`, `to_jsonb(t)`, `t.row_to_json`), column
// aliases on a table or join (`users AS u(a, b)`) and NATURAL joins are refused as well. This is a
// lexical rule: views, functions and rules on the server can still expose a denied column.
import { attributeFault, callFault, castFault, operatorFault, sampleFault, type PgCallList } from "./sql-pg-calls.js";
import { pgParse, pgScan, PG_TOO_COMPLEX } from "./sql-pg.js";
import { displayName, isObj, type Obj, SEP, sval, tableKey } from "./sql-pg-names.js";

export { tableKey };

export interface PgCheckOptions {
  readonly: boolean;
  setOperations: boolean;
  /** Allowed relations, as keys from tableKey (null: any). */
  tables: ReadonlySet<string> | null;
  /** Denied column names, lower-cased (null: none). */
  denyColumns: ReadonlySet<string> | null;
  /** Functions and operators the policy allows beyond the built-in read-only list (sql-pg-calls.ts). */
  calls: PgCallList;
}

const MAX_NODES = 200_000;
/** In the set of names functions in FROM bind: one of them binds a name the check does not derive. */
const ANY_NAME = "\u0000any";

export const STAR_FAULT = "select * is not allowed when columns are restricted";

/** Functions that take a whole row and return its columns' values (reachable as `t.f` too). */
const ROW_FUNCTIONS = new Set([
  "row_to_json", "to_json", "to_jsonb", "json_build_array", "jsonb_build_array", "json_build_object",
  "jsonb_build_object", "json_agg", "jsonb_agg", "array_agg", "hstore", "concat", "quote_literal",
  "quote_nullable", "record_out", "record_send",
]);

const LABELS: Record<string, string> = {
  VariableSetStmt: "SET",
  VariableShowStmt: "SHOW",
  TransactionStmt: "BEGIN/COMMIT/ROLLBACK",
  CreateStmt: "CREATE TABLE",
  CreateTableAsStmt: "CREATE TABLE AS",
  IndexStmt: "CREATE INDEX",
  ViewStmt: "CREATE VIEW",
  DeclareCursorStmt: "DECLARE CURSOR",
  ClosePortalStmt: "CLOSE",
  DeallocateStmt: "DEALLOCATE",
};

/** `DeleteStmt` -> `DELETE`, `AlterTableStmt` -> `ALTER TABLE`. */
function label(type: string): string {
  return LABELS[type] ?? type.replace(/Stmt$/, "").replace(/([a-z])([A-Z])/g, "$1 $2").toUpperCase();
}


function relKey(rv: Obj): string {
  const parts = [rv.catalogname, rv.schemaname, rv.relname].filter((p): p is string => typeof p === "string" && p !== "");
  return parts.join(SEP);
}

type Scope = ReadonlySet<string> | null;

function extend(scope: Scope, names: string[]): Scope {
  if (names.length === 0) return scope;
  const s = new Set(scope ?? []);
  for (const n of names) s.add(n);
  return s;
}

/** The check for one query. */
export function pgCheck(q: string, o: PgCheckOptions): string | null {
  const r = pgParse(q);
  if ("fault" in r) return r.fault;
  if ("error" in r) return "query could not be parsed as postgresql SQL";
  if (r.stmts.length === 0) return "query has no statement";
  if (!o.readonly) return null;
  if (r.stmts.length > 1) return "query has more than one statement";
  const stmt = r.stmts[0]?.stmt ?? {};
  const type = Object.keys(stmt)[0] ?? "unknown";
  const body = stmt.SelectStmt;
  if (type !== "SelectStmt" || !isObj(body)) return `only a select is allowed (found ${label(type)})`;
  return walk(body, o) ?? (q.includes("\\") ? backslashFault(q) : null);
}

export const BACKSLASH_FAULT =
  "query has a backslash before a quote in a string, which postgresql with standard_conforming_strings off reads as an escape (double the quote, or write E'...')";

/** A plain string constant with `\'` in it reads differently with standard_conforming_strings off. */
function backslashFault(q: string): string | null {
  const r = pgScan(q);
  if ("fault" in r) return r.fault;
  if ("error" in r) return "query could not be parsed as postgresql SQL";
  for (const t of r.tokens) {
    if (isObj(t) && t.tokenName === "SCONST" && typeof t.text === "string" && t.text.startsWith("'") && t.text.includes("\\'")) {
      return BACKSLASH_FAULT;
    }
  }
  return null;
}

interface Item {
  v: unknown;
  scope: Scope;
}

function walk(root: Obj, o: PgCheckOptions): string | null {
  const cols = o.denyColumns;
  /** For whole-row detection: relation names and aliases, qualified relation names, column references. */
  const relNames = new Set<string>();
  const qualified = new Set<string>();
  const refs: string[][] = [];
  /** Names a function in FROM binds (its alias, else its name), and `q.f` references, for the attribute check. */
  const fromFunctions = new Set<string>();
  const qualifiedRefs: string[][] = [];
  const stack: Item[] = [{ v: root, scope: null }];
  let seen = 0;
  while (stack.length > 0) {
    const { v, scope } = stack.pop() as Item;
    if (Array.isArray(v)) {
      for (const x of v) if (isObj(x)) stack.push({ v: x, scope });
      continue;
    }
    if (!isObj(v)) continue;
    if (++seen > MAX_NODES) return PG_TOO_COMPLEX;

    // A WITH clause: its CTEs are visible in the rest of this query and (recursive, or earlier ones) in
    // each other's bodies.
    let inner = scope;
    const w = v.withClause;
    if (isObj(w)) {
      const ctes = Array.isArray(w.ctes) ? w.ctes : [];
      const names = ctes.map((c) => (isObj(c) && isObj(c.CommonTableExpr) && typeof c.CommonTableExpr.ctename === "string" ? c.CommonTableExpr.ctename : ""));
      inner = extend(scope, names);
      for (let i = 0; i < ctes.length; i++) {
        stack.push({ v: ctes[i], scope: w.recursive === true ? inner : extend(scope, names.slice(0, i)) });
      }
    }

    for (const k in v) {
      if (k === "withClause") continue;
      const x = v[k];
      if (k === "RangeFunction" && isObj(x)) functionNames(x, fromFunctions);
      if (k === "ColumnRef" && isObj(x)) {
        const names = (Array.isArray(x.fields) ? x.fields : []).map(sval);
        if (names.length === 2 && names.every((n) => n !== null)) qualifiedRefs.push(names as string[]);
      }
      const fault = /^[A-Z]/.test(k) ? nodeFault(k, x, o, refs) : fieldFault(k, x, v, inner, o, relNames, qualified);
      if (fault !== null) return fault;
      if (isObj(x)) stack.push({ v: x, scope: inner });
    }
  }
  // `s.f` where `s` is a function in FROM: a function returning a scalar makes `s` that scalar, and
  // PostgreSQL reads `s.f` as `f(s)` (measured: `SELECT s.pg_read_file FROM lower('/etc/passwd') s`).
  for (const [q, f] of qualifiedRefs) {
    if (!fromFunctions.has(ANY_NAME) && !fromFunctions.has(q as string)) continue;
    const fault = attributeFault(f as string, o.tables);
    if (fault !== null) return fault;
  }
  if (cols) {
    for (const ref of refs) {
      const whole = ref.length === 1 ? relNames.has(ref[0] as string) : qualified.has(ref.join(SEP));
      if (whole) return `query uses a whole row (\`${ref.join(".")}\`), which is not allowed when columns are restricted`;
    }
  }
  return null;
}

/**
 * The names a `RangeFunction` (a function in FROM) binds: its alias, and every function's own name. A
 * function in SQL syntax (`CAST(...)`, `COALESCE(...)`, `CURRENT_USER`) without an alias binds a name
 * PostgreSQL derives; then ANY_NAME is added, and every qualifier counts.
 */
function functionNames(rf: Obj, into: Set<string>): void {
  const aliased = isObj(rf.alias) && typeof rf.alias.aliasname === "string";
  if (aliased) into.add((rf.alias as Obj).aliasname as string);
  const items: unknown[] = [];
  for (const f of Array.isArray(rf.functions) ? rf.functions : []) {
    if (isObj(f) && isObj(f.List) && Array.isArray(f.List.items)) items.push(f.List.items[0]);
  }
  for (const v of items) {
    if (isObj(v) && isObj(v.FuncCall) && Array.isArray(v.FuncCall.funcname)) {
      const last = sval(v.FuncCall.funcname[v.FuncCall.funcname.length - 1]);
      if (last !== null) into.add(last);
      else into.add(ANY_NAME);
    } else if (!aliased) into.add(ANY_NAME);
  }
}

/** Checks on a node of type `type` (the key of a `{ Type: body }` wrapper). */
function nodeFault(type: string, body: unknown, o: PgCheckOptions, refs: string[][]): string | null {
  if (type.endsWith("Stmt") && type !== "SelectStmt") return `only a select is allowed (found ${label(type)})`;
  if (!isObj(body)) return null;
  const cols = o.denyColumns;
  switch (type) {
    case "FuncCall":
      return callFault(body, o.tables, o.calls);
    case "A_Expr":
      // BETWEEN's name is the keyword; it compares with the operators `>=` and `<=`.
      return typeof body.kind === "string" && body.kind.includes("BETWEEN") ? null : operatorFault(body.name, o.calls);
    case "SubLink":
      return body.operName === undefined ? null : operatorFault(body.operName, o.calls);
    case "SortBy":
      return body.useOp === undefined ? null : operatorFault(body.useOp, o.calls);
    case "TypeCast":
      return castFault(body, o.tables);
    case "RangeTableSample":
      return sampleFault(body, o.calls);
    case "CommonTableExpr": {
      const q = body.ctequery;
      if (!isObj(q) || !isObj(q.SelectStmt)) return "a with clause whose body is not a select is not read-only";
      return null;
    }
    case "A_Star":
      return cols ? STAR_FAULT : null;
    case "ColumnRef": {
      const fields = Array.isArray(body.fields) ? body.fields : [];
      const names = fields.map(sval);
      // `t.f` may be PostgreSQL's attribute spelling of `f(t)`, but then `t` is always a whole row, which
      // no denied function takes; so a qualified column named like one (`t.pg_sleep`) is just a column.
      if (!cols) return null;
      if (names.some((n) => n === null)) return STAR_FAULT;
      const lower = (names as string[]).map((n) => n.toLowerCase());
      for (const n of lower) if (cols.has(n)) return `query uses the denied column \`${n}\``;
      if (lower.length > 1 && ROW_FUNCTIONS.has(lower[lower.length - 1] as string)) {
        return `query passes a whole row to \`${lower[lower.length - 1]}\`, which is not allowed when columns are restricted`;
      }
      refs.push(lower);
      return null;
    }
    case "A_Indirection": {
      const ind = Array.isArray(body.indirection) ? body.indirection : [];
      for (const i of ind) {
        const n = sval(i);
        if (n === null) continue;
        const called = attributeFault(n, o.tables);
        if (called !== null) return called;
        const l = n.toLowerCase();
        if (cols?.has(l)) return `query uses the denied column \`${l}\``;
        if (cols && ROW_FUNCTIONS.has(l)) return `query passes a whole row to \`${l}\`, which is not allowed when columns are restricted`;
      }
      return null;
    }
    default:
      return null;
  }
}

/** Checks on field `k` (value `x`) of a node's body `parent`. */
function fieldFault(
  k: string,
  x: unknown,
  parent: Obj,
  scope: Scope,
  o: PgCheckOptions,
  relNames: Set<string>,
  qualified: Set<string>,
): string | null {
  switch (k) {
    case "intoClause":
      return x != null ? "select into is not read-only" : null;
    case "lockingClause":
      return Array.isArray(x) && x.length > 0 ? "a locking clause is not read-only" : null;
    case "op":
      if (!o.setOperations && typeof x === "string" && x.startsWith("SETOP_") && x !== "SETOP_NONE") {
        return "set operations (UNION, INTERSECT, EXCEPT) are not allowed";
      }
      return null;
    case "relname": {
      if (typeof x !== "string") return null;
      const bare = !parent.schemaname && !parent.catalogname;
      relNames.add(x.toLowerCase());
      if (!bare) qualified.add(relKey(parent).toLowerCase());
      if (!o.tables || (bare && scope?.has(x))) return null;
      const key = relKey(parent);
      return o.tables.has(key) ? null : `query reads \`${displayName(key)}\`, which is not on the table list`;
    }
    case "ctename":
      if (typeof x === "string") relNames.add(x.toLowerCase());
      return null;
    case "alias": {
      if (!isObj(x)) return null;
      if (typeof x.aliasname === "string") relNames.add(x.aliasname.toLowerCase());
      const renames = Array.isArray(x.colnames) && x.colnames.length > 0;
      if (o.denyColumns && renames && ("relname" in parent || "jointype" in parent)) {
        return "column aliases on a table or join are not allowed when columns are restricted";
      }
      return null;
    }
    case "usingClause": {
      if (!o.denyColumns || !Array.isArray(x)) return null;
      for (const c of x) {
        const n = sval(c)?.toLowerCase();
        if (n !== undefined && o.denyColumns.has(n)) return `query uses the denied column \`${n}\``;
      }
      return null;
    }
    case "isNatural":
      return o.denyColumns && x === true ? "a natural join is not allowed when columns are restricted" : null;
    default:
      return null;
  }
}

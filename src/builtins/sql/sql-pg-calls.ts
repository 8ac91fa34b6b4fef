// Which calls a `sql(readonly: true, dialect: "postgresql")` query may make: an allow-list, not a
// deny-list. A function is callable when PostgreSQL's own catalog says it is read-only (the generated
// sql-pg-functions.ts: immutable or stable pg_catalog functions, minus those that read files, reach other
// servers, run SQL text, take locks, assign transaction ids or read relations by name; every overload of a
// name must qualify) or when the policy lists it (`functions: [...]`); anything else, a user-defined or
// extension function included, is refused. Guarantees, on PostgreSQL's parse tree:
// - a function call (`f(...)`, `pg_catalog.f(...)`, and the SQL-syntax forms the parser turns into calls,
//   `EXTRACT`, `SUBSTRING`, `AT TIME ZONE`, ...) is allowed only by name as written: an unqualified or
//   `pg_catalog.` name from the generated list, or exactly a name the policy lists (`public.f` does not
//   allow `f`); a built-in name the deny-list of sql-denied.ts names is refused even then;
// - a built-in function that takes a relation (a `regclass` argument, or a name or oid: `to_regclass`,
//   `has_table_privilege`, `pg_get_viewdef`, ...) is allowed, when the policy has a table list, only with
//   a literal relation name on that list in each such position;
// - a cast to `regclass` (`'users'::regclass`, `regclass 'users'`, `CAST(x AS regclass)`) is a lookup by
//   name: with a table list, only a string literal naming a listed relation; never an array of them;
// - an operator (`a + b`, `OPERATOR(s.op)`, `x < ALL (...)`, `ORDER BY x USING <`) is allowed when it is
//   unqualified or `pg_catalog.` and every pg_catalog operator of that symbol is implemented by an
//   allowed function, or when the policy lists its symbol;
// - a TABLESAMPLE method is `system` or `bernoulli` (or listed);
// - the attribute spelling `(expr).f`, which PostgreSQL reads as `f(expr)` for any one-argument `f`, is
//   refused for a built-in name that is not allowed, or (with a table list) that takes a relation; so is
//   `s.f` when `s` names a function in FROM (sql-pg-check.ts), where `s` may be a scalar.
// What it does not see: user-defined one-argument functions reached through the attribute spelling
// (`(x).f`, or `t.f` on a row), which read like field names, and casts or operators that a database
// redefines. Run queries as a
// role that cannot create functions, operators or casts.
import { deniedFunction } from "./sql-denied.js";
import { displayName, isObj, type Obj, SEP, sval, tableKey } from "./sql-pg-names.js";
import { EXCLUDED_FUNCTIONS, EXCLUSION_REASONS, READONLY_FUNCTIONS, READONLY_OPERATORS, RELATION_FUNCTIONS } from "./sql-pg-functions.js";

const ALLOWED = new Set(READONLY_FUNCTIONS);
const OPERATORS = new Set(READONLY_OPERATORS);
const RELATIONS = new Map(Object.entries(RELATION_FUNCTIONS));
const EXCLUDED = new Map(Object.entries(EXCLUDED_FUNCTIONS));
const SAMPLE_METHODS = new Set(["system", "bernoulli"]);
/** Exclusion reasons an author may override by listing the function (the catalog just cannot vouch for it). */
const LISTABLE = new Set(["volatile"]);
const OPERATOR_SYMBOL = /^[+\-*/<>=~!@#%^&|`?]{1,63}$/;
/** One to three dot-separated identifiers, each plain (PostgreSQL's identifier characters) or double-quoted. */
const PART = `(?:"(?:[^"]|"")+"|[A-Za-z_\\u0080-\\uffff][A-Za-z0-9_$\\u0080-\\uffff]*)`;
const FUNCTION_NAME = new RegExp(`^${PART}(?:\\.${PART}){0,2}$`, "u");

/** What a policy's `functions: [...]` allows, as keys (see sql-pg-names.ts) and operator symbols. */
export interface PgCallList {
  functions: ReadonlySet<string>;
  operators: ReadonlySet<string>;
}

export const EMPTY_CALL_LIST: PgCallList = { functions: new Set(), operators: new Set() };


/** The parts of a name list (`[{String: {sval}}]`), or null when one is not a plain name. */
function nameParts(x: unknown): string[] | null {
  if (!Array.isArray(x) || x.length === 0) return null;
  const parts = x.map(sval);
  return parts.some((p) => p === null) ? null : (parts as string[]);
}

/** The built-in name a call refers to: unqualified or `pg_catalog.`-qualified; else null. */
function builtinName(parts: readonly string[]): string | null {
  if (parts.length === 1) return parts[0] as string;
  if (parts.length === 2 && parts[0] === "pg_catalog") return parts[1] as string;
  return null;
}

const DENIED_REASON = "it reads files, runs SQL text, reaches other servers, reads relations by name, writes or stalls the server";

/**
 * Why a `functions:` entry is invalid or can never be allowed in a read-only query (`reason`: which
 * exclusion applies); null when it may be listed.
 */
export function functionEntryFault(entry: unknown): { kind: "invalid" | "excluded"; reason: string } | null {
  if (typeof entry !== "string" || entry.trim() === "") return { kind: "invalid", reason: "not a name" };
  const e = entry.trim();
  if (OPERATOR_SYMBOL.test(e)) return null;
  const key = FUNCTION_NAME.test(e) ? tableKey(e) : null;
  if (key === null) return { kind: "invalid", reason: "not a name (write `name`, `schema.name` or an operator symbol)" };
  const parts = key.split(SEP);
  if (deniedFunction(parts[parts.length - 1] as string) !== null) return { kind: "excluded", reason: DENIED_REASON };
  const builtin = builtinName(parts);
  const why = builtin === null ? undefined : EXCLUDED.get(builtin);
  if (why !== undefined && !LISTABLE.has(why)) return { kind: "excluded", reason: EXCLUSION_REASONS[why] ?? why };
  return null;
}

/** A policy's `functions: [...]` as a call list, or the first bad entry. */
export function compileCallList(entries: unknown): PgCallList | { error: string } {
  const functions = new Set<string>();
  const operators = new Set<string>();
  for (const e of Array.isArray(entries) ? entries : [null]) {
    const fault = functionEntryFault(e);
    if (fault) {
      return { error: `the sql function list has ${fault.kind === "invalid" ? "an invalid entry" : "a function a read-only query can never call"} \`${String(e)}\`: ${fault.reason}` };
    }
    const t = (e as string).trim();
    if (OPERATOR_SYMBOL.test(t)) operators.add(t);
    else functions.add(tableKey(t) as string);
  }
  return { functions, operators };
}

/** The relation key a literal argument names (`'users'`, `'users'::regclass`), or null if it is not one. */
function literalRelation(arg: unknown): string | null {
  let a = arg;
  if (isObj(a) && isObj(a.TypeCast)) {
    const tc = a.TypeCast;
    const names = isObj(tc.typeName) ? nameParts(tc.typeName.names) : null;
    const type = names ? builtinName(names) : null;
    if (!type || !["regclass", "text", "name", "varchar"].includes(type) || (isObj(tc.typeName) && Array.isArray(tc.typeName.arrayBounds))) return null;
    a = tc.arg;
  }
  if (!isObj(a) || !isObj(a.A_Const) || !isObj(a.A_Const.sval)) return null;
  const s = a.A_Const.sval.sval;
  return typeof s === "string" ? tableKey(s) : null;
}

function relationFault(name: string, key: string | null, tables: ReadonlySet<string>): string | null {
  if (key === null) return `query passes a relation to \`${name}\` other than as a literal name, which is not allowed when tables are restricted`;
  return tables.has(key) ? null : `query passes \`${displayName(key)}\` to \`${name}\`, which is not on the table list`;
}

/** A `FuncCall` node's body. */
export function callFault(body: Obj, tables: ReadonlySet<string> | null, listed: PgCallList): string | null {
  const parts = nameParts(body.funcname);
  if (parts === null) return "query calls a function whose name cannot be read";
  const shown = parts.join(".");
  const denied = deniedFunction(parts[parts.length - 1] as string);
  if (denied !== null) return `query calls the denied function \`${denied}\``;
  const builtin = builtinName(parts);
  const positions = builtin === null ? undefined : RELATIONS.get(builtin);
  const why = builtin === null ? undefined : EXCLUDED.get(builtin);
  const known = builtin !== null && why === undefined && (ALLOWED.has(builtin) || positions !== undefined);
  if (!known && !listed.functions.has(parts.join(SEP))) {
    if (why !== undefined) return `query calls \`${shown}\`, which is not allowed in a read-only query (${EXCLUSION_REASONS[why] ?? why})`;
    return `query calls \`${shown}\`, which is not known to be read-only (a policy may list it in \`functions\`)`;
  }
  // A built-in that takes a relation, allowed or listed: each relation argument against the table list.
  if (positions === undefined || tables === null) return null;
  const name = builtin as string;
  const args = Array.isArray(body.args) ? body.args : [];
  if (body.func_variadic === true || args.some((a) => isObj(a) && "NamedArgExpr" in a)) return relationFault(name, null, tables);
  for (const p of positions) {
    const i = p < 0 ? args.length + p : p;
    if (i < 0 || i >= args.length) continue;
    const fault = relationFault(name, literalRelation(args[i]), tables);
    if (fault) return fault;
  }
  return null;
}

/** An operator name list (`A_Expr.name`, `SubLink.operName`, `SortBy.useOp`). */
export function operatorFault(names: unknown, listed: PgCallList): string | null {
  const parts = nameParts(names);
  if (parts === null) return "query uses an operator whose name cannot be read";
  const op = builtinName(parts);
  if (op !== null && (OPERATORS.has(op) || listed.operators.has(op))) return null;
  return `query uses the operator \`${parts.join(".")}\`, which is not known to be read-only (a policy may list it in \`functions\`)`;
}

/** A `TypeCast` node's body: a cast to `regclass` looks a relation up by name. */
export function castFault(body: Obj, tables: ReadonlySet<string> | null): string | null {
  if (tables === null || !isObj(body.typeName)) return null;
  const names = nameParts(body.typeName.names);
  if (names === null || builtinName(names) !== "regclass") return null;
  if (Array.isArray(body.typeName.arrayBounds)) return "query casts to an array of relations (`regclass[]`), which is not allowed when tables are restricted";
  return relationFault("regclass", literalRelation(body.arg), tables);
}

/** A `RangeTableSample` node's body. */
export function sampleFault(body: Obj, listed: PgCallList): string | null {
  const parts = nameParts(body.method);
  const m = parts === null ? null : builtinName(parts);
  if (m !== null && SAMPLE_METHODS.has(m)) return null;
  if (parts !== null && listed.functions.has(parts.join(SEP))) return null;
  return `query uses the tablesample method \`${parts?.join(".") ?? "?"}\`, which is not known to be read-only`;
}

/**
 * The attribute spelling `(expr).name`, which PostgreSQL reads as `name(expr)` when `expr` has no field
 * `name`, for any one-argument function (measured: `('users').to_regclass` is `to_regclass('users')`):
 * refused for a built-in that is not allowed, and, with a table list, for one that takes a relation
 * (its argument is not a literal the check can read). `t.name` on a whole row `t` reaches only functions
 * of a row type, and no built-in that is not allowed takes one.
 */
export function attributeFault(name: string, tables: ReadonlySet<string> | null): string | null {
  const denied = deniedFunction(name);
  if (denied !== null) return `query calls the denied function \`${denied}\``;
  if (EXCLUDED.has(name)) return `query calls \`${name}\`, which is not allowed in a read-only query`;
  if (tables !== null && RELATIONS.has(name)) return relationFault(name, null, tables);
  return null;
}

/**
 * `sql(readonly:, dialect:, unions:, tables:, denyColumns:, functions:, maxLength:)` as a registry kind.
 * Validation (in the order the checker has always reported it): the dialect is known and its parser
 * installed; `tables` and `denyColumns` are exact names (no glob or regex characters outside a quoted
 * identifier); each `functions` entry is a function or operator that may be allowed; the lists need the
 * postgresql dialect and `readonly: true`.
 */
import { type Check, type ConstraintKind, type ParamReader } from "../kind.js";
import { compileSqlCheck, SQL_DIALECTS, sqlDialectAvailable } from "./sql.js";
import { functionEntryFault } from "./sql-pg-calls.js";

export interface SqlParams {
  readonly readonly: boolean;
  readonly dialect: string;
  readonly unions: boolean;
  readonly tables?: readonly string[];
  readonly denyColumns?: readonly string[];
  readonly functions?: readonly string[];
}

/** Glob and regex characters outside a double-quoted identifier: `tables:` and `denyColumns:` take exact names. */
const NAME_PATTERN_CHARS = /[*?[\]{}^|()+\\%]/; // not `$`: PostgreSQL identifiers may hold it
const unquoted = (name: string) => name.replace(/"(?:[^"]|"")*"/g, "");

/**
 * `sql(tables: ["public.*"])` or `denyColumns: ["pass*"]` would be read literally (a table named `*`), so the
 * list would silently mean something else than it says: a problem pointing at the item. A double-quoted
 * identifier (`"odd*name"`) in `tables:` may hold any character.
 */
function exactNames(r: ParamReader, name: "tables" | "denyColumns"): void {
  (r.stringItems(name) ?? []).forEach((item, i) => {
    const bare = name === "tables" ? unquoted(item) : item;
    const m = NAME_PATTERN_CHARS.exec(bare);
    if (m === null) return;
    r.problem({
      code: "invalid-parameter",
      at: { param: name, item: i },
      message: `\`${item}\` in \`${name}\` holds \`${m[0]}\`: ${name} are exact names, not globs or patterns`,
      hint:
        name === "tables"
          ? "list each table by name (`schema.table` or `table`); a name that really holds such a character is written as a quoted identifier (`\"odd*name\"`)"
          : "list each column by name",
    });
  });
}

/** `functions: [...]`: each entry a function name or operator symbol that may be allowed in a read-only query. */
function functionList(r: ParamReader): string[] | undefined {
  const items = r.stringItems("functions");
  if (!items) return undefined;
  const out: string[] = [];
  items.forEach((entry, i) => {
    const fault = functionEntryFault(entry);
    if (fault === null) out.push(entry);
    else if (fault.kind === "invalid") r.problem({ code: "invalid-sql-function", at: { param: "functions", item: i }, entry });
    else r.problem({ code: "sql-function-not-readonly", at: { param: "functions", item: i }, entry, reason: fault.reason });
  });
  return out;
}

export const SQL: ConstraintKind<SqlParams> = {
  params: ["readonly", "dialect", "unions", "tables", "denyColumns", "functions", "maxLength"],
  lower(r) {
    const readonly = r.bool("readonly") ?? true;
    const dialect = r.str("dialect");
    if (dialect !== undefined && !SQL_DIALECTS.includes(dialect)) {
      r.problem({ code: "invalid-parameter", at: { param: "dialect" }, message: `unknown SQL dialect \`${dialect}\``, hint: `use one of ${SQL_DIALECTS.map((d) => `\`${d}\``).join(", ")}` });
    } else if (dialect !== undefined && !sqlDialectAvailable(dialect)) {
      // node-sql-parser is an optional peer dependency: a policy naming its dialects needs it installed.
      r.problem({
        code: "invalid-parameter",
        at: { param: "dialect" },
        message: `sql dialect \`${dialect}\` needs the optional package \`node-sql-parser\`, which is not installed`,
        hint: 'install it (`npm install node-sql-parser`) or use `dialect: "postgresql"`',
      });
    }
    const unions = r.bool("unions") ?? true;
    const tables = r.strings("tables");
    const denyColumns = r.strings("denyColumns");
    exactNames(r, "tables");
    exactNames(r, "denyColumns");
    const functions = functionList(r);
    const d = dialect ?? "postgresql";
    if ((tables || denyColumns || functions) && d !== "postgresql") {
      r.problem({ code: "invalid-parameter", at: { type: true }, message: "`tables`, `denyColumns` and `functions` are supported for the postgresql dialect only", hint: "drop them, or use `dialect: \"postgresql\"`" });
    }
    if ((tables || denyColumns || functions) && !readonly) r.problem({ code: "invalid-parameter", at: { type: true }, message: "`tables`, `denyColumns` and `functions` need `readonly: true`" });
    const maxLength = r.nonNegInt("maxLength");
    const params: SqlParams = { readonly, dialect: d, unions, ...(tables && { tables }), ...(denyColumns && { denyColumns }), ...(functions && { functions }) };
    return { params, ...(maxLength !== undefined && { maxLength }) };
  },
  compile(p): Check {
    return compileSqlCheck({
      readonly: p.readonly,
      dialect: p.dialect,
      setOperations: p.unions,
      ...(p.tables && { tables: [...p.tables] }),
      ...(p.denyColumns && { denyColumns: [...p.denyColumns] }),
      ...(p.functions && { functions: [...p.functions] }),
    });
  },
  samples: (p) => ["SELECT 1", ...(p.tables ?? []).map((t) => `SELECT 1 FROM ${t}`)],
};

/**
 * `sql(readonly: true, dialect: "postgresql")` calls: the generated allow-list (sql-pg-functions.ts) and
 * how the check uses it (sql-pg-calls.ts), the policy's `functions: [...]`, relation-taking functions and
 * regclass casts against `tables:`, and the checker's E0215/E0216. Cases that run on both evaluators
 * are in test/conformance/sql-functions.yaml and test/adversarial/sql.yaml; the live-server proof is
 * test/builtins/sql-live-postgresql.test.ts.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compilePolicy } from "mcppolicy";
import { compileSqlCheck } from "../../src/builtins/sql/sql.js";
import { deniedFunction } from "../../src/builtins/sql/sql-denied.js";
import { compileCallList, functionEntryFault } from "../../src/builtins/sql/sql-pg-calls.js";
import {
  EXCLUDED_FUNCTIONS,
  PG_FUNCTIONS_SOURCE,
  READONLY_FUNCTIONS,
  READONLY_OPERATORS,
  RELATION_FUNCTIONS,
} from "../../src/builtins/sql/sql-pg-functions.js";
import { tableKey } from "../../src/builtins/sql/sql-pg-names.js";

const plain = compileSqlCheck({ readonly: true });
const tabled = compileSqlCheck({ readonly: true, tables: ["orders", "public.customers"] });

describe("the generated allow-list", () => {
  it("names its source and is sorted, without duplicates", () => {
    expect(PG_FUNCTIONS_SOURCE).toMatch(/^PostgreSQL \d+/);
    expect([...READONLY_FUNCTIONS].sort()).toEqual(READONLY_FUNCTIONS);
    expect(new Set(READONLY_FUNCTIONS).size).toBe(READONLY_FUNCTIONS.length);
    expect(READONLY_FUNCTIONS.length).toBeGreaterThan(1000);
  });

  it("holds common read-only functions and operators", () => {
    for (const f of ["lower", "upper", "now", "count", "sum", "date_trunc", "jsonb_build_object", "generate_series", "to_char", "current_setting", "version"]) {
      expect(READONLY_FUNCTIONS, f).toContain(f);
    }
    for (const op of ["=", "<", "||", "->>", "@>", "~~", "~"]) expect(READONLY_OPERATORS, op).toContain(op);
  });

  it("holds no writer, file reader, SQL runner, lock, sleep or xid assigner, and nothing relation-taking outside RELATION_FUNCTIONS", () => {
    const never = [
      "random", "nextval", "setval", "currval", "set_config", "pg_sleep", "pg_read_file", "lo_import", "lo_creat",
      "pg_advisory_lock", "txid_current", "pg_current_xact_id", "query_to_xml", "table_to_xml", "database_to_xml",
      "ts_stat", "ts_rewrite", "brin_summarize_range", "gin_clean_pending_list", "pg_stat_reset", "pg_relation_size",
      "regclassin", "pg_get_object_address", "crosstab", "pgstattuple", "get_raw_page",
    ];
    for (const f of never) expect(READONLY_FUNCTIONS, f).not.toContain(f);
    for (const f of READONLY_FUNCTIONS) expect(deniedFunction(f), f).toBeNull();
    for (const f of Object.keys(RELATION_FUNCTIONS)) expect(READONLY_FUNCTIONS).not.toContain(f);
    expect(EXCLUDED_FUNCTIONS.txid_current).toBe("xid");
    expect(EXCLUDED_FUNCTIONS.random).toBe("volatile");
    expect(EXCLUDED_FUNCTIONS.table_to_xml).toBe("sql-text");
  });
});

describe("calls: allowed only from the list", () => {
  it.each([
    ["SELECT lower(name) FROM users", null],
    ["SELECT pg_catalog.lower('a')", null],
    ['SELECT "lower"(\'a\')', null],
    ["SELECT EXTRACT(year FROM now())", null],
  ])("%s is allowed", (q, want) => {
    expect(plain(q)).toBe(want);
  });

  it.each([
    ["SELECT f()", "not known to be read-only"],
    ["SELECT public.lower('a')", "`public.lower`, which is not known"],
    ['SELECT "LOWER"(\'a\')', "`LOWER`, which is not known"],
    ["SELECT pg_catalog.pg_catalog.lower('a')", "not known"],
    ["SELECT random()", "volatile"],
    ["SELECT * FROM generate_series(1, 2), my_srf()", "`my_srf`"],
    ["SELECT (SELECT max(x) FROM t WHERE y = audit_fn(1))", "`audit_fn`"],
    ["WITH a AS (SELECT udf()) SELECT * FROM a", "`udf`"],
    ["SELECT 1 ORDER BY udf()", "`udf`"],
    ["SELECT 1 OPERATOR(public.+) 1", "operator `public.+`"],
    ["SELECT 1 ## 2 ### 3", "operator `###`"],
    ["SELECT x FROM t ORDER BY x USING ###", "operator `###`"],
    ["SELECT 1 ### ANY (SELECT 1)", "operator `###`"],
    ["SELECT * FROM t TABLESAMPLE system_rows (1)", "tablesample method `system_rows`"],
    ["SELECT (x).setseed FROM t", "`setseed`"],
  ])("%s is denied", (q, why) => {
    expect(plain(q)).toContain(why);
  });

  it.each([
    "VALUES (fn())",
    "SELECT a[fn()] FROM t",
    "SELECT 1 LIMIT fn()",
    "SELECT * FROM t TABLESAMPLE SYSTEM (1) REPEATABLE (fn())",
    "SELECT * FROM xmltable('/a' PASSING fn() COLUMNS x int)",
    "SELECT row_number() OVER (ORDER BY fn())",
    "SELECT 1 GROUP BY fn()",
    "SELECT * FROM ROWS FROM (generate_series(1, 2), fn())",
    "SELECT * FROM t JOIN u ON fn()",
    "SELECT json_object('a': fn())",
    "SELECT * FROM json_table('{}', '$' COLUMNS (a int PATH '$.a' DEFAULT fn() ON EMPTY))",
    "SELECT xmlelement(name a, fn())",
    "SELECT (fn()).x",
    "SELECT count(*) FILTER (WHERE fn()) FROM t",
    "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY fn()) FROM t",
  ])("an unknown function anywhere in the tree denies: %s", (q) => {
    expect(plain(q)).toContain("`fn`");
  });

  it("any name not on the list denies, however it is spelt", () => {
    const allowed = new Set(READONLY_FUNCTIONS);
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z_][a-z0-9_]{0,20}$/), (name) => {
        fc.pre(!allowed.has(name) && !(name in RELATION_FUNCTIONS) && !["select", "from", "where", "and", "or", "not", "in", "is", "as", "case", "cast", "null", "true", "false"].includes(name));
        const r = plain(`SELECT ${name}(1)`);
        return r !== null;
      }),
      { numRuns: 300 },
    );
  });
});

describe("functions: [...]", () => {
  it("allows exactly what it lists, as written", () => {
    const c = compileSqlCheck({ readonly: true, functions: ["random", "app.safe_fn", '"Mixed"', "~~~"] });
    expect(c("SELECT random()")).toBeNull();
    expect(c("SELECT pg_catalog.random()")).toContain("volatile");
    expect(c("SELECT app.safe_fn(1)")).toBeNull();
    expect(c("SELECT APP.SAFE_FN(1)")).toBeNull();
    expect(c("SELECT safe_fn(1)")).toContain("not known");
    expect(c('SELECT "Mixed"()')).toBeNull();
    expect(c("SELECT mixed()")).toContain("not known");
    expect(c("SELECT 1 ~~~ 2")).toBeNull();
  });

  it("refuses entries that are not names, and functions no read-only query may call", () => {
    expect(functionEntryFault("f(text)")?.kind).toBe("invalid");
    expect(functionEntryFault("a.b.c.d")?.kind).toBe("invalid");
    expect(functionEntryFault("")?.kind).toBe("invalid");
    expect(functionEntryFault("pg_sleep")?.kind).toBe("excluded");
    expect(functionEntryFault("pg_catalog.txid_current")?.kind).toBe("excluded");
    expect(functionEntryFault("crosstab3")?.kind).toBe("excluded");
    expect(functionEntryFault("regclassin")?.kind).toBe("excluded");
    expect(functionEntryFault("random")).toBeNull();
    expect(functionEntryFault("public.my_fn")).toBeNull();
    expect(compileCallList(["ok", 5])).toHaveProperty("error");
    expect(compileSqlCheck({ readonly: true, functions: ["dblink"] })("SELECT 1")).toContain("can never call");
    expect(compileSqlCheck({ readonly: true, dialect: "mysql", functions: ["f"] })("SELECT 1")).toContain("postgresql only");
    expect(compileSqlCheck({ readonly: false, functions: ["f"] })("SELECT 1")).toContain("need readonly");
  });

  it("a listed built-in relation function is still checked against tables", () => {
    const c = compileSqlCheck({ readonly: true, tables: ["orders"], functions: ["pg_relation_filepath"] });
    expect(c("SELECT pg_relation_filepath('orders')")).toBeNull();
    expect(c("SELECT pg_relation_filepath('users')")).toContain("not on the table list");
    // A volatile relation reader the author lists keeps its relation check.
    const sized = compileSqlCheck({ readonly: true, tables: ["orders"], functions: ["pg_relation_size", "pg_total_relation_size"] });
    expect(sized("SELECT pg_relation_size('orders'), pg_total_relation_size('orders'::regclass)")).toBeNull();
    expect(sized("SELECT pg_relation_size('users')")).toContain("not on the table list");
    expect(sized("SELECT pg_relation_size(oid) FROM orders")).toContain("other than as a literal name");
    expect(sized("SELECT pg_table_size('orders')")).toContain("volatile");
  });
});

describe("relations by name, against tables:", () => {
  it.each([
    "SELECT 'orders'::regclass",
    "SELECT 'public.customers'::pg_catalog.regclass",
    "SELECT ' ORDERS '::regclass",
    "SELECT to_regclass('orders'), pg_relation_filepath('orders'::regclass), pg_get_viewdef('orders'::text)",
    "SELECT has_table_privilege('orders', 'select'), has_table_privilege('bob', 'orders', 'select')",
    "SELECT has_column_privilege('orders', 'id', 'select'), has_column_privilege('bob', 'orders', 'id', 'select')",
    "SELECT 'lower'::regproc, 'int4'::regtype",
    "SELECT 'orders'::text::regclass",
    "SELECT (id).abs FROM orders",
  ])("%s is allowed", (q) => {
    expect(tabled(q)).toBeNull();
  });

  it.each([
    "SELECT 'users'::regclass",
    "SELECT '\"Orders\"'::regclass",
    "SELECT '\u00a0orders'::regclass",
    "SELECT 'users'::text::regclass",
    "SELECT $1::regclass",
    "SELECT ('users').to_regclass",
    "SELECT ('orders').to_regclass",
    "SELECT ('users'::text).regclass",
    "SELECT (name).pg_relation_filepath FROM orders",
    "SELECT ARRAY['orders']::regclass[]",
    "SELECT pg_relation_filepath(16384)",
    "SELECT pg_relation_filepath(relname) FROM orders",
    "SELECT to_regclass(U&'us\\0065rs')",
    "SELECT has_table_privilege('bob', 'users', 'select')",
    "SELECT has_column_privilege('bob', 'users', 'ssn', 'select')",
    "SELECT pg_get_viewdef(VARIADIC ARRAY['orders'])",
    "SELECT row_security_active('users')",
  ])("%s is denied", (q) => {
    expect(tabled(q)).not.toBeNull();
  });

  it("without a table list, relation functions and regclass casts are plain read-only calls", () => {
    expect(plain("SELECT 'users'::regclass, to_regclass('x'), pg_relation_filepath('users')")).toBeNull();
  });

  it("reads a literal relation name as PostgreSQL does: ASCII blanks trimmed, unquoted parts folded", () => {
    expect(tableKey(" Orders ")).toBe("orders");
    expect(tableKey('public . "Orders"')).toBe("public\u0000Orders");
    expect(tableKey("\u00a0orders")).toBe("\u00a0orders");
  });
});

describe("checker: sql(functions: [...])", () => {
  const compile = (args: string) =>
    compilePolicy(`policy "p"\nrole dev { allow tool q }\ntool q {\n  args { q: sql(${args}) }\n}\n`, { filename: "t.mcppolicy", readFile: null });
  const codes = (args: string): string[] => {
    try {
      compile(args);
      return [];
    } catch (err) {
      return ((err as { diagnostics?: { code: string }[] }).diagnostics ?? []).map((d) => d.code);
    }
  };

  it("accepts names and operator symbols, and the list allows them", () => {
    expect(codes('readonly: true, functions: ["random", "app.f", "@@@"]')).toEqual([]);
    const p = compile('readonly: true, functions: ["random"]');
    expect(p.decide({ principal: { roles: ["dev"] }, tool: "q", arguments: { q: "SELECT random()" } }).effect).toBe("allow");
    expect(p.decide({ principal: { roles: ["dev"] }, tool: "q", arguments: { q: "SELECT clock_timestamp()" } }).effect).toBe("deny");
  });

  it("E0215 for an entry that is not a name, E0216 for a function a read-only query can never call", () => {
    expect(codes('readonly: true, functions: ["f(int)"]')).toEqual(["E0215"]);
    expect(codes('readonly: true, functions: ["pg_read_file", "lo_import", "random"]')).toEqual(["E0216", "E0216"]);
    expect(codes('readonly: true, functions: "random"')).toEqual(["E0204"]);
    expect(codes('readonly: true, dialect: "mysql", functions: ["f"]')).toEqual(["E0204"]);
    expect(codes('readonly: false, functions: ["f"]')).toEqual(["E0204"]);
  });
});

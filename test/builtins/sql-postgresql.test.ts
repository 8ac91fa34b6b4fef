/** `sql(dialect: "postgresql")` on PostgreSQL's own parser (libpg-query): read-only rules, tables, columns. */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileSqlCheck } from "../../src/builtins/sql/sql.js";
import { pgLoaded } from "../../src/builtins/sql/sql-pg.js";
import { PG_READONLY_OK, PG_WRITES_BAD } from "./sql-pg-cases.js";

const pg = compileSqlCheck({ readonly: true, dialect: "postgresql" });

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

describe("postgresql: the parser", () => {
  it("loaded (the WASM is instantiated synchronously when the first postgresql check is compiled)", () => {
    expect(pgLoaded).toBe(true);
  });

  // `node --jitless` has no WebAssembly: the library must still import, and postgresql checks fail closed.
  // The child is plain JavaScript, so it runs the built package, reached by its name (never by a dist/ path).
  it("without WebAssembly, importing still works and postgresql checks fail closed (the built package)", () => {
    const script = `
      const { compilePolicy } = await import("mcppolicy");
      const policy = compilePolicy(\`policy "p"
        default deny
        role r { allow tool q, m }
        tool q { args { query: sql(readonly: true, dialect: "postgresql") } }
        tool m { args { query: sql(readonly: true, dialect: "mysql") } }\`, { readFile: null });
      const call = (tool, query) => {
        const d = policy.decide({ principal: { roles: ["r"] }, tool, arguments: { query } });
        return d.effect === "allow" ? null : d.reasons.map((r) => r.message).join("; ");
      };
      console.log(JSON.stringify([call("q", "SELECT 1"), call("q", "DELETE FROM t"), call("m", "SELECT 1")]));`;
    const r = spawnSync(process.execPath, ["--jitless", "--no-warnings", "--input-type=module", "-e", script], { cwd: ROOT, encoding: "utf8", timeout: 30_000 });
    expect(r.status, r.stderr).toBe(0);
    const [select, del, mysql] = JSON.parse(r.stdout.trim());
    expect(select).toMatch(/the sql parser could not be loaded/);
    expect(del).toMatch(/the sql parser could not be loaded/);
    expect(mysql).toBeNull();
  });
});

describe("postgresql: read-only queries pass", () => {
  const ok = PG_READONLY_OK;
  for (const q of ok) it(JSON.stringify(q), () => expect(pg(q)).toBeNull());
});

describe("postgresql: writes and tricks fail", () => {
  const bad = PG_WRITES_BAD;
  for (const [q, re] of bad) it(JSON.stringify(q), () => expect(pg(q)).toMatch(re));

  it("a 1 MB query fails fast, by its length", () => {
    const t0 = performance.now();
    expect(pg(`SELECT ${"1, ".repeat(350_000)}1`)).toMatch(/longer than/);
    expect(performance.now() - t0).toBeLessThan(100);
  });

  it("deep nesting returns within a second, either way", () => {
    for (const q of [
      `SELECT ${"(SELECT ".repeat(200)}1`,
      `SELECT ${"(SELECT ".repeat(200)}1${")".repeat(200)}`,
      `SELECT ${"(SELECT ".repeat(2000)}1${")".repeat(2000)}`,
      `SELECT ${"1+".repeat(9990)}1`,
      `SELECT ${"ARRAY[".repeat(2400)}1${"]".repeat(2400)}`,
    ]) {
      const t0 = performance.now();
      const r = pg(q);
      expect(r === null || typeof r === "string").toBe(true);
      expect(performance.now() - t0, q.slice(0, 30)).toBeLessThan(1000);
    }
    expect(pg(`SELECT ${"(SELECT ".repeat(200)}1`)).toMatch(/could not be parsed/);
    expect(pg(`SELECT ${"(SELECT ".repeat(200)}1${")".repeat(200)}`)).toBeNull();
  });

  it("the memo remembers answers, and a fresh check gives the same ones", () => {
    const again = compileSqlCheck({ readonly: true });
    for (const q of ["SELECT 1", "SELECT 1; DROP TABLE t", "SELECT pg_sleep(1)"]) expect(again(q)).toBe(pg(q));
    expect(pg("SELECT 1; DROP TABLE t")).toMatch(/more than one/);
  });
});

/** Run `f` with only about `margin` small frames of native stack left, so a deep tree overflows in the WASM. */
function withShallowStack<T>(f: () => T, margin: number): T | "no-overflow" {
  let bottom = -1;
  let done = false;
  let out: T | "no-overflow" = "no-overflow";
  const dive = (n: number): void => {
    try {
      dive(n + 1);
    } catch (e) {
      if (done) throw e;
      if (bottom < 0) bottom = n;
      if (bottom - n < margin) throw e;
      done = true;
      out = f();
      throw new Error("done");
    }
  };
  try {
    dive(0);
  } catch {
    // unwound
  }
  return out;
}

describe("postgresql: a parser instance that traps is replaced", () => {
  // A deep tree overflows the native stack inside the WASM (a trap) when little stack is left; the trap
  // leaves that instance corrupt, so it must never be used again.
  const deep = `SELECT ${"1+".repeat(3000)}1`;
  const probes: Array<[string, RegExp | null]> = [
    ["SELECT 1", null],
    ["SELECT a FROM t WHERE b = $1", null],
    ["SELECT 'a\\'; DROP TABLE x; -- '", /more than one statement/],
    ["WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d", /with clause/],
    ["SELEC 1", /could not be parsed/],
  ];
  const probe = (): void => {
    const fresh = compileSqlCheck({ readonly: true }); // no memo carried over
    for (const [q, want] of probes) {
      if (want === null) expect(fresh(q), q).toBeNull();
      else expect(fresh(q), q).toMatch(want);
    }
  };
  const pause = (ms: number): Promise<void> => new Promise((res) => setTimeout(res, ms));
  /** Trap once: find a stack margin at which the deep query overflows inside the parser. */
  const trap = (): boolean => {
    for (let margin = 500; margin <= 6000; margin += 250) {
      const r = withShallowStack(() => compileSqlCheck({ readonly: true })(deep), margin);
      if (r === "query is too complex to check") return true;
    }
    return false;
  };

  it("fails closed on the trapping query and answers correctly afterwards", async () => {
    // The first trap: a replacement is built in the background; meanwhile checks fail closed.
    expect(trap()).toBe(true);
    const r = compileSqlCheck({ readonly: true })("SELECT 1");
    expect(r === null || /restarting/.test(r)).toBe(true);
    await pause(150);
    probe();
    // From then on a spare is kept ready: the check right after a trap already answers.
    for (let round = 0; round < 5; round++) {
      await pause(150);
      expect(trap()).toBe(true);
      probe();
    }
    // Two traps in a row: until the next spare is ready, checks fail closed.
    await pause(150);
    expect(trap()).toBe(true);
    expect(trap()).toBe(true);
    const r2 = compileSqlCheck({ readonly: true })("SELECT 1");
    expect(r2 === null || /restarting/.test(r2)).toBe(true);
    await pause(150);
    probe();
    expect(pg(deep)).toBeNull(); // with the stack a test has, the same query is fine
  });
});

describe("postgresql: a backslash before a quote in a plain string", () => {
  // One SELECT to PostgreSQL with standard_conforming_strings on (libpg-query's reading), a SELECT and a
  // DROP to a server or session with it off: refused, on PostgreSQL's own tokens.
  it("is refused in a plain string constant", () => {
    for (const q of ["SELECT 'a\\' , '; DROP TABLE x; --'", "SELECT 'a\\'", "SELECT N'x\\' , 'y'", "SELECT 'a'\n'b\\'"]) {
      expect(pg(q), q).toMatch(/backslash before a quote in a string/);
    }
  });
  it("is fine where it means the same under both settings", () => {
    for (const q of ["SELECT E'it\\'s'", "SELECT $$a\\'b$$", "SELECT 1 -- \\'", "SELECT 1 /* \\' */", 'SELECT "a\\\'" FROM t', "SELECT 'a\\b'", "SELECT 'x' WHERE a ~ '\\d+'"]) {
      expect(pg(q), q).toBeNull();
    }
  });
});

describe("postgresql: set operations off", () => {
  const strict = compileSqlCheck({ readonly: true, setOperations: false });
  it("refuses UNION / INTERSECT / EXCEPT at any depth, allows the rest", () => {
    for (const q of [
      "SELECT a FROM t UNION SELECT b FROM u",
      "SELECT * FROM (SELECT a FROM t EXCEPT SELECT b FROM u) s",
      "SELECT 1 WHERE 1 IN (SELECT a FROM t INTERSECT SELECT b FROM u)",
      "WITH x AS (SELECT 1 UNION SELECT 2) SELECT * FROM x",
    ]) {
      expect(strict(q), q).toBe("set operations (UNION, INTERSECT, EXCEPT) are not allowed");
    }
    expect(strict("SELECT 'UNION SELECT' FROM t")).toBeNull();
    expect(strict("SELECT greatest(a, b), current_user FROM t")).toBeNull();
  });
});

describe("postgresql: table allow list", () => {
  const check = compileSqlCheck({ readonly: true, tables: ["users", "orders", "reporting.daily", '"Mixed"'] });
  it("allows listed tables, CTEs in scope and table-less queries", () => {
    for (const q of [
      "SELECT 1",
      "SELECT * FROM users",
      "SELECT * FROM USERS u JOIN orders o ON o.uid = u.id",
      'SELECT * FROM "users"',
      "SELECT * FROM reporting.daily",
      'SELECT * FROM "Mixed"',
      "WITH recent AS (SELECT * FROM orders) SELECT * FROM recent",
      "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3) SELECT * FROM r",
      "WITH a AS (SELECT 1), b AS (SELECT * FROM a) SELECT * FROM b",
      "SELECT * FROM users WHERE id IN (SELECT uid FROM orders)",
      "SELECT * FROM generate_series(1, 3) g",
    ]) {
      expect(check(q), q).toBeNull();
    }
  });
  it("refuses anything else", () => {
    for (const [q, name] of [
      ["SELECT * FROM secrets", "secrets"],
      ["SELECT * FROM users JOIN secrets ON true", "secrets"],
      ["SELECT * FROM users WHERE id IN (SELECT id FROM secrets)", "secrets"],
      ["SELECT (SELECT max(x) FROM secrets)", "secrets"],
      ["SELECT * FROM public.users", "public.users"],
      ["SELECT * FROM other.daily", "other.daily"],
      ["SELECT * FROM daily", "daily"],
      ['SELECT * FROM "USERS"', "USERS"],
      ["SELECT * FROM mixed", "mixed"],
      ["SELECT * FROM pg_catalog.pg_authid", "pg_catalog.pg_authid"],
      ["WITH x AS (SELECT 1) SELECT * FROM public.x", "public.x"],
      // A CTE is only a CTE where it is in scope.
      ["SELECT * FROM secrets, (WITH secrets AS (SELECT 1) SELECT * FROM secrets) s", "secrets"],
      ["WITH a AS (SELECT * FROM b), b AS (SELECT 1) SELECT * FROM a", "b"],
      ['WITH "S" AS (SELECT 1) SELECT * FROM s', "s"],
      ["WITH x AS (SELECT * FROM secrets) SELECT * FROM x", "secrets"],
    ] as const) {
      expect(check(q), q).toBe(`query reads \`${name}\`, which is not on the table list`);
    }
  });
  it("an empty list allows no table; a malformed entry or another dialect refuses every query", () => {
    expect(compileSqlCheck({ readonly: true, tables: [] })("SELECT * FROM t")).toMatch(/not on the table list/);
    expect(compileSqlCheck({ readonly: true, tables: [] })("SELECT 1")).toBeNull();
    expect(compileSqlCheck({ readonly: true, tables: ['"unterminated'] })("SELECT 1")).toMatch(/invalid entry/);
    expect(compileSqlCheck({ readonly: true, tables: ["a..b"] })("SELECT 1")).toMatch(/invalid entry/);
    expect(compileSqlCheck({ readonly: true, dialect: "mysql", tables: ["t"] })("SELECT 1")).toBe("table, column and function lists are supported for postgresql only");
    expect(compileSqlCheck({ readonly: true, dialect: "sqlite", denyColumns: ["x"] })("SELECT 1")).toBe("table, column and function lists are supported for postgresql only");
    expect(compileSqlCheck({ readonly: false, tables: ["t"] })("SELECT 1")).toMatch(/need readonly/);
  });
});

describe("postgresql: denied columns", () => {
  const check = compileSqlCheck({ readonly: true, denyColumns: ["password", "SSN"] });
  it("allows queries that avoid them", () => {
    for (const q of [
      "SELECT id, name FROM users WHERE id = $1",
      "SELECT u.id, count(*) FROM users u JOIN orders o ON o.uid = u.id GROUP BY u.id",
      "SELECT name AS password FROM users",
      "SELECT 'password' FROM users",
      "SELECT (data).name FROM t",
      "SELECT x FROM (SELECT 1 AS x) s",
      "SELECT n FROM generate_series(1, 3) AS g(n)",
    ]) {
      expect(check(q), q).toBeNull();
    }
  });
  it("refuses them however they are named, and ways to read them unnamed", () => {
    const cases: Array<[string, RegExp]> = [
      ["SELECT password FROM users", /denied column `password`/],
      ["SELECT u.PASSWORD FROM users u", /denied column `password`/],
      ['SELECT "Password" FROM users', /denied column `password`/],
      ["SELECT public.users.password FROM public.users", /denied column `password`/],
      ["SELECT id FROM users WHERE ssn LIKE '1%'", /denied column `ssn`/],
      ["SELECT id FROM users ORDER BY password", /denied column `password`/],
      ["SELECT (u.password).x FROM users u", /denied column `password`/],
      ["SELECT (t).password FROM t", /denied column `password`/],
      ["SELECT id FROM a JOIN b USING (password)", /denied column `password`/],
      ["SELECT * FROM users", /^select \* is not allowed when columns are restricted$/],
      ["SELECT u.* FROM users u", /^select \* is not allowed when columns are restricted$/],
      ["SELECT (u).* FROM users u", /^select \* is not allowed when columns are restricted$/],
      ["TABLE users", /^select \* is not allowed when columns are restricted$/],
      ["SELECT u FROM users u", /whole row/],
      ["SELECT to_jsonb(users) FROM users", /whole row/],
      ["SELECT row_to_json(x) FROM public.users x", /whole row/],
      ["SELECT public.users FROM public.users", /whole row/],
      ["SELECT u.row_to_json FROM users u", /whole row/],
      ["SELECT a.x FROM users AS a(id, x)", /column aliases/],
      ["SELECT j.c FROM (a JOIN b ON true) AS j(c)", /column aliases/],
      ["SELECT id FROM a NATURAL JOIN b", /natural join/],
    ];
    for (const [q, re] of cases) expect(check(q), q).toMatch(re);
  });
  it("combines with the table list", () => {
    const both = compileSqlCheck({ readonly: true, tables: ["users"], denyColumns: ["password"] });
    expect(both("SELECT id FROM users")).toBeNull();
    expect(both("SELECT password FROM users")).toMatch(/denied column/);
    expect(both("SELECT id FROM admins")).toMatch(/not on the table list/);
  });
});

describe("postgresql: properties", () => {
  it("random text never throws and yields string | null", () => {
    const piece = fc.constantFrom(
      "SELECT ", "1", ";", "'", "\\", "E'", "$$", "$a$", "/*", "*/", "--", "\n", "\r", "(", ")", "WITH x AS ", "DELETE FROM t",
      " FROM t", "pg_sleep(1)", " UNION ", "U&\"", "\"", " INTO ", " FOR UPDATE", "*", ".", "::", "[", "]",
    );
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: "binary" }), fc.array(piece, { maxLength: 14 }).map((a) => a.join(""))), (s) => {
        const r = pg(s);
        expect(r === null || typeof r === "string").toBe(true);
        const r2 = compileSqlCheck({ readonly: true, tables: ["t"], denyColumns: ["a"] })(s);
        expect(r2 === null || typeof r2 === "string").toBe(true);
      }),
      { numRuns: 400 },
    );
  });

  const ident = fc.constantFrom("a", "b", "c", "id", "name", "t.a", "u.b");
  const column = fc.oneof(ident, fc.constantFrom("count(*)", "max(a)", "lower(name)", "a + 1", "$1", "'x'", "coalesce(a, b)"));
  const table = fc.constantFrom("t", "u", "s.v", "t AS x", "(SELECT 1 AS a) AS q", "generate_series(1, 3) AS g(a)");
  const cond = fc.constantFrom("a = 1", "b > $1", "c IS NULL", "a IN (SELECT a FROM u)", "name ILIKE '%x%'", "EXISTS (SELECT 1 FROM t)", "a = ANY($2)");
  const select = fc
    .record({
      cols: fc.array(column, { minLength: 1, maxLength: 4 }),
      from: fc.option(fc.array(table, { minLength: 1, maxLength: 3 }), { nil: undefined }),
      where: fc.option(fc.array(cond, { minLength: 1, maxLength: 3 }), { nil: undefined }),
      limit: fc.boolean(),
    })
    .map(({ cols, from, where, limit }) => {
      let q = `SELECT ${cols.join(", ")}`;
      if (from) q += ` FROM ${from.join(", ")}`;
      if (where) q += ` WHERE ${where.join(" AND ")}`;
      if (limit) q += " LIMIT 10";
      return q;
    });
  const query = fc
    .tuple(select, fc.option(select, { nil: undefined }), fc.constantFrom("UNION", "UNION ALL", "INTERSECT", "EXCEPT"))
    .map(([a, b, op]) => (b === undefined ? a : `(${a}) ${op} (${b})`));

  it("every generated read-only select passes, and appending a DELETE always fails", () => {
    fc.assert(
      fc.property(query, (q) => {
        expect(pg(q), q).toBeNull();
        expect(pg(`${q}; DELETE FROM t`), q).toMatch(/more than one statement/);
        expect(pg(`${q} FOR UPDATE`) ?? "", q).not.toBe("");
      }),
      { numRuns: 300 },
    );
  });
});

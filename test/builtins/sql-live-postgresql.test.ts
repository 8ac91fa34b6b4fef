/**
 * `sql(readonly: true, dialect: "postgresql")` against a live PostgreSQL: a throwaway cluster (initdb +
 * pg_ctl on a free loopback port, test/helpers/postgres.ts) with a small schema whose tables the
 * policies name. Every SQL case that its policy ALLOWS, from the adversarial corpus
 * (test/adversarial/sql.yaml, policies/hardening.mcppolicy), the sql conformance files
 * (test/conformance/sql-*.yaml) and the unit tests' lists (sql-pg-cases.ts), runs inside `BEGIN TRANSACTION READ ONLY` with a statement timeout, and
 * then:
 * - no allowed query tried to write (SQLSTATE 25006, "cannot execute ... in a read-only transaction")
 *   or ran into the statement timeout (57014);
 * - a fingerprint of the database is unchanged: every table's contents, sequences, large objects, the
 *   next transaction id (a query that assigned one, e.g. `txid_current()`, moves it), pg_class sizes and
 *   statistics, write counters, replication slots, prepared transactions, the configuration load time.
 * Queries that fail for other reasons (a `$1` without a value, a column the schema lacks) are fine: they
 * ran and changed nothing. Also: the committed allow-list is exactly what scripts/gen-sql-pg-functions.mjs
 * makes from this server's catalog, when the server is the version it was generated from.
 * Without PostgreSQL the suite is skipped with a message, except under CI, where it fails.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, type CollectionTag, type YAMLSeq } from "yaml";
import { compilePolicy, type PolicyRequest } from "mcppolicy";
import { generate, OUTPUT_FILE, readCatalog } from "../../scripts/gen-sql-pg-functions.mjs";
import { compileSqlCheck } from "../../src/builtins/sql/sql.js";
import { loadConformance } from "../helpers/conformance.js";
import { PG_READONLY_OK, PG_WRITES_BAD } from "./sql-pg-cases.js";
import { postgresAvailable, startPostgres, type PostgresHandle } from "../helpers/postgres.js";

const ROOT = join(import.meta.dirname, "..", "..");
const CI = Boolean(process.env.CI);

const SCHEMA = `
CREATE TABLE users (id serial PRIMARY KEY, name text, email text, active boolean DEFAULT true, org_id int,
  nickname text, role text, is_admin boolean DEFAULT false, admin boolean DEFAULT false,
  created_at timestamptz DEFAULT '2024-01-01', dept text, salary numeric, password text, ssn text);
CREATE TABLE orders (id serial PRIMARY KEY, user_id int, customer_id int, total numeric, status text,
  created_at timestamptz DEFAULT '2024-01-02', note text, parent int, data jsonb DEFAULT '{}');
CREATE INDEX orders_brin ON orders USING brin (id);
CREATE INDEX orders_gin ON orders USING gin (data) WITH (fastupdate = on);
CREATE TABLE customers (id serial PRIMARY KEY, name text, ssn text, password text);
CREATE TABLE admins (id int, name text);
CREATE TABLE products (id int, price numeric);
CREATE TABLE employees (id int, dept text, salary numeric);
CREATE TABLE payments (id int, amount numeric);
CREATE TABLE events (id int, data jsonb);
CREATE TABLE t (id int, x int, y int, a int, b int, n int, created_at timestamptz);
CREATE TABLE a (id int);
CREATE TABLE b (id int);
CREATE TABLE bans (user_id int);
CREATE TABLE audit_log (deleted_at timestamptz, updated_by text, inserted boolean);
CREATE TABLE timings (pg_sleep int);
CREATE TABLE jobs (id int);
CREATE SEQUENCE counter_seq;
CREATE VIEW v AS SELECT id, name FROM users;
CREATE ROLE analyst;
CREATE SCHEMA app;
CREATE FUNCTION app.safe_fn(int) RETURNS int AS 'SELECT $1 + 1' LANGUAGE sql STABLE;
CREATE FUNCTION public.tilde3(int, int) RETURNS boolean AS 'SELECT $1 < $2' LANGUAGE sql IMMUTABLE;
CREATE OPERATOR ~~~ (LEFTARG = int, RIGHTARG = int, FUNCTION = public.tilde3);
INSERT INTO users (name, email, org_id, nickname, dept, salary, password, ssn)
  SELECT 'user' || i, 'u' || i || '@example.com', i % 3, NULL, 'd' || (i % 2), 1000 + i, 'pw' || i, 'ssn' || i FROM generate_series(1, 20) i;
INSERT INTO orders (user_id, customer_id, total, status, note, parent, data)
  SELECT i % 20 + 1, i % 5 + 1, i * 10, CASE WHEN i % 2 = 0 THEN 'paid' ELSE 'shipped' END, 'note ' || i, i - 1, jsonb_build_object('type', 'click', 'n', i)
  FROM generate_series(1, 50) i;
INSERT INTO customers (name, ssn, password) SELECT 'c' || i, 's' || i, 'p' || i FROM generate_series(1, 5) i;
INSERT INTO admins VALUES (1, 'root');
INSERT INTO products SELECT i, i * 1.5 FROM generate_series(1, 10) i;
INSERT INTO employees SELECT i, 'd' || (i % 3), 100 * i FROM generate_series(1, 10) i;
INSERT INTO payments SELECT i, i FROM generate_series(1, 10) i;
INSERT INTO events SELECT i, '{"type": "click", "name": "x", "tags": ["a"]}' FROM generate_series(1, 5) i;
INSERT INTO t SELECT i, i, i, i, i, i, '2024-01-01' FROM generate_series(1, 10) i;
INSERT INTO a VALUES (1), (2); INSERT INTO b VALUES (2), (3);
INSERT INTO bans VALUES (3);
INSERT INTO audit_log VALUES (NULL, 'x', true);
INSERT INTO timings VALUES (1);
INSERT INTO jobs VALUES (1);
SELECT nextval('counter_seq');
SELECT lo_from_bytea(0, '\\x00');
ANALYZE;
`;

/** One query per line, each a labelled value; compared as a whole. */
function fingerprintSql(tables: string[]): string {
  const parts = [
    ...tables.map((t) => `SELECT 'table ${t} ' || md5(coalesce(string_agg(x::text, ',' ORDER BY x::text), '')) FROM public.${t} x;`),
    `SELECT 'seq ' || string_agg(sequencename || '=' || coalesce(last_value::text, 'null'), ',' ORDER BY sequencename) FROM pg_sequences;`,
    `SELECT 'lo ' || count(*) FROM pg_largeobject_metadata;`,
    `SELECT 'next-xid ' || txid_snapshot_xmax(txid_current_snapshot());`,
    `SELECT 'class ' || md5(string_agg(relname || ':' || relkind::text || ':' || relpages || ':' || reltuples || ':' || relallvisible || ':' || relfilenode, ',' ORDER BY relname)) FROM pg_class WHERE relnamespace = 'public'::regnamespace;`,
    `SELECT 'classes ' || count(*) FROM pg_class;`,
    `SELECT 'writes ' || string_agg(relname || ':' || n_tup_ins || ':' || n_tup_upd || ':' || n_tup_del || ':' || vacuum_count || ':' || analyze_count, ',' ORDER BY relname) FROM pg_stat_user_tables;`,
    `SELECT 'stats-reset ' || coalesce(max(stats_reset)::text, 'never') FROM pg_stat_database;`,
    `SELECT 'slots ' || count(*) FROM pg_replication_slots;`,
    `SELECT 'prepared ' || count(*) FROM pg_prepared_xacts;`,
    `SELECT 'conf ' || pg_conf_load_time();`,
    `SELECT 'stats ' || count(*) FROM pg_statistic;`,
  ];
  return parts.join("\n");
}

interface SqlCase {
  where: string;
  query: string;
}

const repeatTag: CollectionTag = {
  tag: "!repeat",
  collection: "seq",
  resolve(seq) {
    let out = "";
    for (const item of (seq as YAMLSeq).toJSON() as unknown[]) {
      out += typeof item === "string" ? item : (item as [string, number])[0].repeat((item as [string, number])[1]);
    }
    return out;
  },
};

/** Every SQL value of the corpus and the sql conformance files that its policy allows. */
function allowedCases(): { cases: SqlCase[]; considered: number } {
  const cases: SqlCase[] = [];
  let considered = 0;
  const hardeningFile = join(ROOT, "policies", "hardening.mcppolicy");
  const hardening = compilePolicy(readFileSync(hardeningFile, "utf8"), { filename: hardeningFile });
  const corpus = parse(readFileSync(join(ROOT, "test", "adversarial", "sql.yaml"), "utf8"), { customTags: [repeatTag] }) as {
    tool: string;
    arg: string;
    groups: { source: string; allow?: unknown[]; deny?: unknown[] }[];
  };
  for (const g of corpus.groups) {
    for (const value of [...(g.allow ?? []), ...(g.deny ?? [])]) {
      if (typeof value !== "string") continue;
      considered++;
      const d = hardening.decide({ principal: { roles: ["agent"] }, tool: corpus.tool, arguments: { [corpus.arg]: value } } as PolicyRequest);
      if (d.effect === "allow") cases.push({ where: `adversarial/sql.yaml: ${g.source}`, query: value });
    }
  }
  const sqlFiles = new Set(readdirSync(join(ROOT, "test", "conformance")).filter((f) => /^sql.*\.yaml$/.test(f)));
  for (const g of loadConformance()) {
    if (![...sqlFiles].some((f) => g.file.endsWith(f))) continue;
    const policy = compilePolicy(g.policy, { filename: g.file.replace(/\.yaml$/, ".mcppolicy"), readFile: null });
    for (const c of g.cases) {
      const args = (c.request as { arguments?: Record<string, unknown> } | null)?.arguments;
      if (!args || typeof args !== "object") continue;
      for (const value of Object.values(args)) {
        if (typeof value !== "string") continue;
        considered++;
        if (policy.decide(c.request as PolicyRequest).effect === "allow") cases.push({ where: `${g.file}: ${c.name}`, query: value });
      }
    }
  }
  const check = compileSqlCheck({ readonly: true });
  for (const value of [...PG_READONLY_OK, ...PG_WRITES_BAD.map(([q]) => q)]) {
    if (typeof value !== "string") continue;
    considered++;
    if (check(value) === null) cases.push({ where: "builtins/sql-pg-cases.ts", query: value });
  }
  return { cases, considered };
}

/** A psql script: each case in its own read-only transaction, with a marker line before it. */
function batch(cases: SqlCase[]): string {
  const out = ["\\set VERBOSITY verbose", "\\pset pager off"];
  cases.forEach((c, i) => {
    out.push(`\\echo @@case ${i}`, "BEGIN TRANSACTION READ ONLY;", "SET LOCAL statement_timeout = '5s';", "SET LOCAL lock_timeout = '2s';", "SET LOCAL idle_in_transaction_session_timeout = '10s';", c.query, ";", "ROLLBACK;");
  });
  out.push("\\echo @@end");
  return out.join("\n") + "\n";
}

const available = postgresAvailable || CI;
if (!available) {
  console.warn("\n*** PostgreSQL (initdb, pg_ctl, psql) is not installed: the live sql tests are SKIPPED. Install the `postgresql` package (.ci/run does). ***\n");
}

describe.skipIf(!available)("sql(readonly: true) on a live PostgreSQL", () => {
  let pg: PostgresHandle;
  let tables: string[] = [];
  const fingerprint = (): string => {
    const r = pg.psql(fingerprintSql(tables), { args: ["-A", "-t", "-v", "ON_ERROR_STOP=1"] });
    expect(r.status, r.output).toBe(0);
    return r.output;
  };

  beforeAll(async () => {
    pg = await startPostgres();
    const r = pg.psql(SCHEMA, { args: ["-v", "ON_ERROR_STOP=1"] });
    if (r.status !== 0) throw new Error(`schema setup failed: ${r.output}`);
    tables = pg
      .psql("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1;", { args: ["-A", "-t"] })
      .output.split("\n")
      .filter((l) => /^\w+$/.test(l));
  }, 180_000);

  afterAll(async () => {
    await pg?.stop();
  });

  it("runs every allowed case read-only: no write attempted, no timeout, nothing changed", () => {
    const { cases, considered } = allowedCases();
    expect(considered).toBeGreaterThan(300);
    expect(cases.length).toBeGreaterThan(100);
    const before = fingerprint();
    const r = pg.psql(batch(cases), { timeout: 600_000 });
    expect(r.output).toContain("@@end");
    const after = fingerprint();
    const bad: string[] = [];
    const blocks = r.output.split(/^@@case (\d+)$/m);
    let ran = 0;
    for (let i = 1; i < blocks.length; i += 2) {
      const c = cases[Number(blocks[i])] as SqlCase;
      const text = blocks[i + 1] ?? "";
      ran++;
      if (/\b(25006|57014|55P03|25P03)\b/.test(text)) bad.push(`${c.where}\n  ${JSON.stringify(c.query)}\n  ${text.trim().split("\n").slice(0, 3).join("\n  ")}`);
    }
    expect(ran).toBe(cases.length);
    expect(bad, bad.join("\n")).toEqual([]);
    expect(after).toBe(before);
  }, 600_000);

  it("the fingerprint sees the writes it is meant to catch (the check of the check)", () => {
    // Outside a read-only transaction, as an allowed query would if the check let a writer through.
    const writers = [
      "SELECT txid_current();",
      "SELECT nextval('counter_seq');",
      "SELECT lo_from_bytea(0, 'x');",
      "UPDATE users SET name = name || '' WHERE id = 1;",
      "SELECT pg_stat_reset();",
    ];
    for (const w of writers) {
      const before = fingerprint();
      const r = pg.psql(w, { args: ["-v", "ON_ERROR_STOP=1"] });
      expect(r.status, r.output).toBe(0);
      expect(fingerprint(), w).not.toBe(before);
    }
    // And a read-only transaction reports writers as 25006, which the first test looks for.
    const ro = pg.psql("\\set VERBOSITY verbose\nBEGIN TRANSACTION READ ONLY;\nSELECT nextval('counter_seq');\nROLLBACK;\n");
    expect(ro.output).toMatch(/25006/);
  }, 120_000);

  it("the committed allow-list is what the generator makes from this server's catalog", () => {
    const committed = readFileSync(OUTPUT_FILE, "utf8");
    const source = /export const PG_FUNCTIONS_SOURCE = "PostgreSQL ([^"]+)";/.exec(committed)?.[1];
    const catalog = readCatalog(pg.conninfo, pg.bindir) as { server_version: string };
    if (source !== catalog.server_version) {
      console.warn(`the allow-list was generated from PostgreSQL ${source}; this server is ${catalog.server_version}: not compared`);
      return;
    }
    expect(generate(catalog)).toBe(committed);
  }, 120_000);
});

#!/usr/bin/env node
// Generates src/builtins/sql/sql-pg-functions.ts: the functions and operators that a
// `sql(readonly: true, dialect: "postgresql")` query may call, read from PostgreSQL's own catalog.
//
//   node scripts/gen-sql-pg-functions.mjs                        # a throwaway cluster (initdb + pg_ctl)
//   node scripts/gen-sql-pg-functions.mjs --conninfo "host=... port=... user=... dbname=..."
//   node scripts/gen-sql-pg-functions.mjs --check                # fail if the committed file differs
//
// What it reads: every function in the `pg_catalog` schema of a freshly initialised cluster (so no
// extension, contrib module or user-defined function is ever on the list: those are unknown and denied
// unless a policy lists them in `functions: [...]`), one row per overload. An overload is allowed when it
// is immutable or stable and no rule in EXCLUSIONS below matches it; it is a relation function when one
// of its arguments names a relation (see RELATION_ARGS): the query may then call it (allowed, or listed
// by the policy) only with a literal relation name on the policy's `tables:` list (when it has one). A NAME is allowed only if every
// overload of it is allowed (`f` and `pg_catalog.f` are the same name; the check cannot resolve overloads,
// so the most dangerous overload decides). An operator symbol is allowed when every pg_catalog operator
// of that symbol is implemented by an allowed overload.
// Functions that a later PostgreSQL adds (e.g. PostgreSQL 18's statistics writers) are not in an older
// catalog, so they are unknown and denied: regenerating against a newer server is a deliberate act.
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { postgresBindir, startPostgres } from "./lib/postgres.mjs";

const OUT = join(dirname(fileURLToPath(import.meta.url)), "..", "src", "builtins", "sql", "sql-pg-functions.ts");

/** Types a query cannot produce or that mark support functions (planner, index, trigger, type I/O). */
const SUPPORT_TYPES = new Set([
  "internal", "trigger", "event_trigger", "language_handler", "fdw_handler", "index_am_handler",
  "table_am_handler", "tsm_handler", "cstring",
]);

/**
 * Exclusion rules, in order: the first that matches an overload names the reason it is not allowed.
 * `test` sees one overload: { name, volatile ("i" | "s" | "v"), kind ("f" | "a" | "w" | "p"), args
 * (type names), result (type name) }.
 */
const EXCLUSIONS = [
  { id: "procedure", reason: "a procedure (CALL only, may commit)", test: (f) => f.kind === "p" },
  { id: "volatile", reason: "volatile: PostgreSQL does not promise it is free of side effects", test: (f) => f.volatile === "v" },
  {
    id: "support",
    reason: "a support function (planner, index, trigger, handler or type input/output), not meant to be called by a query",
    test: (f) => SUPPORT_TYPES.has(f.result) || f.args.some((a) => SUPPORT_TYPES.has(a)),
  },
  { id: "files", reason: "reads server files or directories", test: (f) => /^(pg_read_|pg_ls_|pg_stat_file$|pg_file_)/.test(f.name) },
  { id: "large-objects", reason: "reads or writes large objects", test: (f) => /^(lo_|loread$|lowrite$)/.test(f.name) },
  { id: "remote", reason: "reaches another server", test: (f) => /^dblink/.test(f.name) },
  { id: "locks", reason: "takes or releases a lock", test: (f) => /^(pg_advisory|pg_try_advisory)/.test(f.name) },
  { id: "sleep", reason: "stalls the session (availability)", test: (f) => /^pg_sleep/.test(f.name) },
  {
    id: "xid",
    reason: "assigns a transaction id (a write), although the catalog marks it stable",
    test: (f) => f.name === "txid_current" || f.name === "pg_current_xact_id",
  },
  {
    id: "sql-text",
    reason: "runs SQL text or reads whole relations by name (past `tables:` and `denyColumns:`)",
    test: (f) => /^(query|cursor|table|schema|database)_to_xml/.test(f.name) || f.name === "ts_stat" || f.name === "ts_rewrite",
  },
  { id: "settings", reason: "changes a setting", test: (f) => f.name === "set_config" },
  { id: "sequences", reason: "reads or advances a sequence by name", test: (f) => /^(nextval|setval|currval|lastval)$/.test(f.name) },
  { id: "object-by-name", reason: "looks up any object, relations included, by name", test: (f) => f.name === "pg_get_object_address" },
  { id: "validator", reason: "a procedural language validator (internal use)", test: (f) => /^fmgr_\w+_validator$/.test(f.name) },
  { id: "upgrade", reason: "for pg_upgrade only", test: (f) => /^binary_upgrade_/.test(f.name) },
  { id: "replication", reason: "replication state (origins, slots), an administrator's tool", test: (f) => /^pg_replication_/.test(f.name) },
];

/**
 * Arguments that name a relation and are therefore checked against `tables:`. Every `regclass` argument
 * is one (found from the catalog); these take a relation's name as text (or its oid) instead. A position
 * below zero counts from the end (`-2`: the one before last), for names whose overloads put an optional
 * role first.
 */
const RELATION_ARGS = {
  pg_get_viewdef: { positions: [0], reason: "reads a view's definition by name" },
  pg_get_serial_sequence: { positions: [0], reason: "looks up a table by name" },
  to_regclass: { positions: [0], reason: "looks up a relation by name" },
  regclass: { positions: [0], reason: "looks up a relation by name" },
  row_security_active: { positions: [0], reason: "looks up a table by name" },
  has_table_privilege: { positions: [-2], reason: "looks up a table by name" },
  has_sequence_privilege: { positions: [-2], reason: "looks up a sequence by name" },
  has_any_column_privilege: { positions: [-2], reason: "looks up a table by name" },
  has_column_privilege: { positions: [-3], reason: "looks up a table by name" },
};

const CATALOG_QUERY = `
SELECT json_build_object(
  'version', version(),
  'server_version', current_setting('server_version'),
  'functions', (SELECT json_agg(json_build_object(
      'oid', p.oid, 'name', p.proname, 'volatile', p.provolatile, 'kind', p.prokind,
      'args', (SELECT coalesce(json_agg(format_type(t, NULL) ORDER BY i), '[]') FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY AS a(t, i)),
      'result', format_type(p.prorettype, NULL)) ORDER BY p.proname, p.oid)
    FROM pg_proc p WHERE p.pronamespace = 'pg_catalog'::regnamespace),
  'operators', (SELECT json_agg(json_build_object('name', o.oprname, 'code', o.oprcode::oid) ORDER BY o.oprname, o.oid)
    FROM pg_operator o WHERE o.oprnamespace = 'pg_catalog'::regnamespace)
);`;

/** The catalog rows the lists are made from, read with `psql` (from `bindir` when given). */
export function readCatalog(conninfo, bindir) {
  const psql = bindir ? join(bindir, "psql") : "psql";
  const r = spawnSync(psql, ["-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", conninfo, "-c", CATALOG_QUERY], { encoding: "utf8", maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`psql failed: ${(r.stderr || r.error?.message || "").trim()}`);
  return JSON.parse(r.stdout);
}

/** The positions of one overload's arguments that name a relation (see RELATION_ARGS). */
function relationPositions(f) {
  const positions = [];
  f.args.forEach((a, i) => {
    if (a === "regclass") positions.push(i);
  });
  const extra = RELATION_ARGS[f.name];
  if (extra) positions.push(...extra.positions);
  return positions;
}

/** One overload's class: "allow", "relation" or an exclusion rule id; and its relation positions. */
function classify(f) {
  const positions = relationPositions(f);
  for (const rule of EXCLUSIONS) if (rule.test(f)) return { cls: rule.id, positions };
  return { cls: positions.length > 0 ? "relation" : "allow", positions };
}

export function generate(catalog) {
  const byName = new Map();
  const byOid = new Map();
  for (const f of catalog.functions) {
    const c = classify(f);
    byOid.set(f.oid, c);
    const list = byName.get(f.name) ?? [];
    list.push(c);
    byName.set(f.name, list);
  }
  const allowed = [];
  const relation = {};
  const excluded = {};
  for (const [name, list] of [...byName].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const bad = list.find((c) => c.cls !== "allow" && c.cls !== "relation");
    const positions = [...new Set(list.flatMap((c) => c.positions))].sort((a, b) => a - b);
    // Relation positions are kept for excluded names too: a policy that lists one (`functions:`) still
    // has its relation arguments checked against `tables:`.
    if (positions.length > 0) relation[name] = positions;
    if (bad) excluded[name] = bad.cls;
    else if (positions.length === 0) allowed.push(name);
  }
  const ops = new Map();
  for (const o of catalog.operators) {
    const ok = byOid.get(o.code)?.cls === "allow";
    ops.set(o.name, (ops.get(o.name) ?? true) && ok);
  }
  const operators = [...ops].filter(([, ok]) => ok).map(([n]) => n).sort();
  const deniedOperators = [...ops].filter(([, ok]) => !ok).map(([n]) => n).sort();
  const reasons = Object.fromEntries(EXCLUSIONS.map((r) => [r.id, r.reason]));
  const q = (v) => JSON.stringify(v);
  const lines = [
    `// GENERATED by scripts/gen-sql-pg-functions.mjs from ${catalog.version}. Do not edit.`,
    "// Regenerate: `node scripts/gen-sql-pg-functions.mjs` (starts a throwaway cluster with the installed",
    "// PostgreSQL) or `node scripts/gen-sql-pg-functions.mjs --conninfo \"host=... dbname=...\"` (a fresh,",
    "// extension-free database). The rules (which functions are excluded, and why) are data in that script.",
    "// Functions that this server version does not have (e.g. those a later PostgreSQL adds) are unknown",
    "// here, so a query calling them is denied unless the policy lists them in `functions: [...]`.",
    "",
    `/** The server the lists were read from. */`,
    `export const PG_FUNCTIONS_SOURCE = ${q(`PostgreSQL ${catalog.server_version}`)};`,
    "",
    "/** pg_catalog functions every overload of which is immutable or stable and passes every exclusion rule. */",
    `export const READONLY_FUNCTIONS: readonly string[] = ${q(allowed)};`,
    "",
    "/** Functions that take a relation (by regclass, name or oid), allowed or not: argument positions (below zero: from the end). A name here and not in EXCLUDED_FUNCTIONS is allowed, with those arguments checked against `tables:`. */",
    `export const RELATION_FUNCTIONS: Readonly<Record<string, readonly number[]>> = ${q(relation)};`,
    "",
    "/** pg_catalog functions that are not allowed: the first exclusion rule matched by one of their overloads. */",
    `export const EXCLUDED_FUNCTIONS: Readonly<Record<string, string>> = ${q(excluded)};`,
    "",
    "/** What each exclusion rule means. */",
    `export const EXCLUSION_REASONS: Readonly<Record<string, string>> = ${q(reasons)};`,
    "",
    "/** pg_catalog operator symbols every one of which is implemented by an allowed function. */",
    `export const READONLY_OPERATORS: readonly string[] = ${q(operators)};`,
    "",
    "/** pg_catalog operator symbols at least one of which is implemented by a function that is not allowed. */",
    `export const EXCLUDED_OPERATORS: readonly string[] = ${q(deniedOperators)};`,
    "",
  ];
  return lines.join("\n");
}

async function main() {
  const argv = process.argv.slice(2);
  const at = argv.indexOf("--conninfo");
  const check = argv.includes("--check");
  let catalog;
  if (at >= 0) {
    const conninfo = argv[at + 1];
    if (!conninfo) throw new Error("--conninfo needs a value");
    catalog = readCatalog(conninfo, postgresBindir());
  } else {
    const pg = await startPostgres();
    try {
      catalog = readCatalog(pg.conninfo, pg.bindir);
    } finally {
      await pg.stop();
    }
  }
  const text = generate(catalog);
  if (check) {
    const old = readFileSync(OUT, "utf8");
    if (old !== text) {
      console.error(`${OUT} is out of date with ${catalog.version}; run node scripts/gen-sql-pg-functions.mjs`);
      process.exit(1);
    }
    console.log(`${OUT} is up to date`);
    return;
  }
  writeFileSync(OUT, text);
  console.log(`wrote ${OUT} from ${catalog.version}`);
}

/** The generated module's path. */
export const OUTPUT_FILE = OUT;

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}

// Per-constraint cost: how long one argument check takes, for each constraint kind, on typical and
// worst-case inputs. Standalone: uses the built files in dist/ (run `npm run build` first).
//
//   node bench/constraints.mjs            markdown table on stdout (progress on stderr)
//   node bench/constraints.mjs --json     a JSON document on stdout instead
//
// Method: each case is calibrated (a batch of N checks takes about BATCH_MS), warmed up, then timed as
// 7 batches with process.hrtime.bigint(); the figure is the median batch's ns per check. The `pattern`
// rows also give ns per input byte at 1 KB and 100 KB: with a linear-time engine the two are close,
// even for `^(a+)+$`, which a backtracking engine takes exponential time on. SQL is timed on distinct
// queries (a counter inside a literal) so the check's memo never hides the parse, and separately on
// one repeated query (a memo hit). The whole run takes well under a minute. Environment: BATCH_MS
// (default 40).
import fs from "node:fs";
import os from "node:os";
import { fileURLToPath } from "node:url";

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
if (!fs.existsSync(here("../dist/builtins/regex/regex.js"))) {
  console.error("dist/ is missing or stale: run `npm run build` first.");
  process.exit(1);
}

const JSON_OUT = process.argv.includes("--json");
const BATCH_MS = Number(process.env.BATCH_MS ?? 40);
const BATCHES = 7;

const { compilePathCheck } = await import("../dist/builtins/path/path.js");
const { compileUrlCheck } = await import("../dist/builtins/url/url.js");
const { compileIpCheck } = await import("../dist/builtins/ip/ip.js");
const sqlMod = await import("../dist/builtins/sql/sql.js");
const { DomainSet } = await import("../dist/builtins/domain/domain.js");
const { CidrSet, BUILTIN_CIDR_SETS } = await import("../dist/builtins/cidr/cidr.js");
const { compileLinearPattern } = await import("../dist/builtins/regex/regex.js");
const { compileJsonSchemaCheck } = await import("../dist/builtins/json-schema/json-schema.js");

const ok = (r) => {
  if (r && typeof r === "object" && "error" in r) throw new Error(r.error);
  return r;
};
const nowNs = () => process.hrtime.bigint();

/**
 * Time `fn(i)` (i: a counter that never repeats across warm-up and batches). Returns the median ns per
 * call over BATCHES batches, with the first call's result for the table. `fn` may return a promise.
 */
async function measure(fn) {
  let i = 0;
  let sink = 0;
  const consume = (r) => {
    sink = (sink + (r === null ? 1 : typeof r === "string" ? r.length : r === true ? 2 : 3)) | 0;
  };
  const firstRaw = fn(i++);
  const isAsync = firstRaw instanceof Promise;
  const first = isAsync ? await firstRaw : firstRaw;
  const runBatch = async (n) => {
    const t0 = nowNs();
    for (let k = 0; k < n; k++) {
      const r = fn(i++);
      consume(isAsync ? await r : r);
    }
    return Number(nowNs() - t0);
  };
  // Calibrate (also the warm-up): grow n until one batch takes at least BATCH_MS / 4.
  let n = 1;
  let t = await runBatch(n);
  while (t < (BATCH_MS / 4) * 1e6 && n < 1 << 24) {
    n *= 2;
    t = await runBatch(n);
  }
  n = Math.max(1, Math.round((n * BATCH_MS * 1e6) / Math.max(t, 1)));
  await runBatch(n); // warm-up at the final size
  const per = [];
  for (let b = 0; b < BATCHES; b++) per.push((await runBatch(n)) / n);
  per.sort((a, b) => a - b);
  return { ns: per[BATCHES >> 1], min: per[0], max: per[BATCHES - 1], n, first: describeResult(first), sink };
}

function describeResult(r) {
  if (r === null) return "accept";
  if (r === true) return "match";
  if (r === false) return "no match";
  if (typeof r === "string") return `fault: ${r.length > 60 ? `${r.slice(0, 57)}...` : r}`;
  return String(r);
}

const rows = [];
async function row(kind, label, bytes, fn, extra = {}) {
  process.stderr.write(`  ${kind} ${label} ... `);
  const m = await measure(fn);
  process.stderr.write(`${fmt(m.ns)} ns\n`);
  rows.push({ kind, case: label, bytes, nsPerCheck: round(m.ns), nsMin: round(m.min), nsMax: round(m.max), batchSize: m.n, result: m.first, ...extra(m) });
}
const round = (x) => Math.round(x * 10) / 10;
const fmt = (x) => (x >= 100 ? Math.round(x).toLocaleString("en-US") : x.toFixed(1));
const none = () => ({});

const started = Date.now();
process.stderr.write("constraint benchmarks\n");

// --- path ------------------------------------------------------------------------------------------
{
  const check = ok(compilePathCheck({ root: "/workspace" }));
  await row("path", "typical `src/index.ts`", 12, () => check("src/index.ts"), none);
  let worst = "";
  while (worst.length + 9 <= 4090) worst += "a/%2e%2e/";
  worst += "a";
  await row("path", "worst: 4 KB of `a/%2e%2e/`", worst.length, () => check(worst), none);
}

// --- url -------------------------------------------------------------------------------------------
{
  const hosts = ok(DomainSet.from(["api.github.com", "*.githubusercontent.com", "example.com"])).set;
  const deny = ok(CidrSet.from(BUILTIN_CIDR_SETS.internal ?? ["10.0.0.0/8", "127.0.0.0/8", "::1/128"])).set;
  const check = compileUrlCheck({ schemes: ["https"], hosts, deny });
  const typical = "https://api.github.com/repos/x";
  await row("url", "typical `https://api.github.com/repos/x`", typical.length, () => check(typical), none);
  let worst = "https://raw.githubusercontent.com/";
  while (worst.length + 12 <= 8000) worst += "a%2Fb/%2e%2e/";
  worst += "?q=" + "x".repeat(8190 - worst.length - 3);
  await row("url", "worst: 8 KB URL with escapes", worst.length, () => check(worst), none);
}

// --- ip --------------------------------------------------------------------------------------------
{
  const allow = ok(CidrSet.from(["10.0.0.0/8", "2001:db8::/32"])).set;
  const deny = ok(CidrSet.from(["10.0.0.0/24", "2001:db8:dead::/48"])).set;
  const check = compileIpCheck({ allow, deny });
  for (const [label, v] of [
    ["IPv4", "10.1.2.3"],
    ["IPv6", "2001:db8:1:2:3:4:5:6"],
    ["IPv4-mapped IPv6", "::ffff:10.9.9.9"],
  ]) {
    await row("ip", `${label} \`${v}\``, v.length, () => check(v), none);
  }
}

// --- sql -------------------------------------------------------------------------------------------
{
  // A parser that needs asynchronous loading may export an initialiser; call any that exists.
  for (const [name, f] of Object.entries(sqlMod)) {
    if (typeof f === "function" && /^(init|load|preload|ready)/i.test(name) && f.length === 0) await f();
  }
  const check = sqlMod.compileSqlCheck({ readonly: true, dialect: "postgresql" });
  const q = (i) => `SELECT id, name, created_at FROM users WHERE org_id = ${i} AND name LIKE 'a%' ORDER BY created_at DESC LIMIT 50`;
  await row("sql", "postgresql read-only SELECT, distinct (parse)", q(1000).length, (i) => check(q(1_000_000 + i)), none);
  const w = (i) => `WITH recent AS (SELECT id FROM events WHERE ts > now() - interval '1 day' AND kind = ${i}) SELECT u.id, count(*) FROM users u JOIN recent r ON r.id = u.id GROUP BY u.id HAVING count(*) > 1`;
  await row("sql", "postgresql WITH + JOIN + GROUP BY, distinct (parse)", w(1000).length, (i) => check(w(1_000_000 + i)), none);
  const ins = (i) => `DELETE FROM users WHERE id = ${i}`;
  await row("sql", "postgresql DELETE, distinct (parse, refused)", ins(1000).length, (i) => check(ins(1_000_000 + i)), none);
  const same = q(7);
  check(same);
  await row("sql", "postgresql SELECT, repeated (memo hit)", same.length, () => check(same), none);
}

// --- pattern ---------------------------------------------------------------------------------------
{
  for (const source of ["^(a+)+$", "^[a-z0-9_./-]+$"]) {
    const p = ok(compileLinearPattern(source));
    const perByte = {};
    for (const [size, label] of [
      [1024, "1 KB"],
      [100 * 1024, "100 KB"],
    ]) {
      const matching = "a".repeat(size);
      const attack = "a".repeat(size - 1) + "!";
      for (const [what, s] of [
        ["match", matching],
        ["no match (`a…a!`)", attack],
      ]) {
        await row("pattern", `\`${source}\` ${label}, ${what}`, s.length, () => p.test(s), (m) => {
          const nsPerByte = round((m.ns / s.length) * 100) / 100;
          (perByte[what] ??= []).push(nsPerByte);
          return { nsPerByte };
        });
      }
    }
  }
  // The same attack against V8's backtracking RegExp, at a size where it still finishes.
  const n = 22;
  const js = /^(a+)+$/;
  const t0 = nowNs();
  js.test("a".repeat(n) + "!");
  const jsMs = Number(nowNs() - t0) / 1e6;
  rows.push({ kind: "pattern", case: `(reference) JS RegExp \`^(a+)+$\` on ${n + 1} bytes \`a…a!\`, one run`, bytes: n + 1, nsPerCheck: round(jsMs * 1e6), result: "no match", note: "exponential: doubles with each added `a`" });
  process.stderr.write(`  pattern JS RegExp reference (${n + 1} bytes) ... ${jsMs.toFixed(1)} ms\n`);
}

// --- JSON Schema -----------------------------------------------------------------------------------
{
  const schema = {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    type: "object",
    properties: {
      owner: { type: "string", pattern: "^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$" },
      repo: { type: "string", pattern: "^[A-Za-z0-9_.-]{1,100}$" },
      title: { type: "string", minLength: 1, maxLength: 256 },
      body: { type: "string", maxLength: 65536 },
      labels: { type: "array", items: { type: "string", maxLength: 50 }, uniqueItems: true, maxItems: 20 },
      assignees: { type: "array", items: { type: "string", pattern: "^[A-Za-z0-9-]+$" }, maxItems: 10 },
      milestone: { anyOf: [{ type: "integer", minimum: 1 }, { type: "null" }] },
      options: {
        type: "object",
        properties: { draft: { type: "boolean" }, notify: { enum: ["none", "owners", "all"] } },
        additionalProperties: false,
      },
    },
    required: ["owner", "repo", "title"],
    additionalProperties: false,
  };
  const check = ok(compileJsonSchemaCheck(schema, "args")).check;
  const typical = { owner: "octo-org", repo: "mcp-policy", title: "Fix the parser", body: "Steps to reproduce:\n1. ...", labels: ["bug", "parser"], assignees: ["alice"], milestone: 3, options: { draft: false, notify: "owners" } };
  const bytes = JSON.stringify(typical).length;
  await row("json-schema", "GitHub-like create_issue input, valid", bytes, () => check(typical), none);
  const invalid = { ...typical, repo: "bad repo name!" };
  await row("json-schema", "same, invalid (pattern fault)", JSON.stringify(invalid).length, () => check(invalid), none);
  const big = { ...typical, body: "a".repeat(60_000), labels: Array.from({ length: 20 }, (_, i) => `label-${i}`) };
  await row("json-schema", "same, 60 KB body + 20 labels", JSON.stringify(big).length, () => check(big), none);
  const text = JSON.stringify(schema);
  await row("json-schema", "compile (uncached: distinct schema text each time)", text.length, (i) => {
    const r = compileJsonSchemaCheck({ ...schema, title: `schema ${i}` }, "args");
    return "check" in r ? null : r.error;
  }, none);
  await row("json-schema", "compile (cached: same schema object)", text.length, () => ("check" in compileJsonSchemaCheck(schema, "args") ? null : "error"), none);
}

const elapsed = (Date.now() - started) / 1000;
process.stderr.write(`done in ${elapsed.toFixed(1)} s\n`);

if (JSON_OUT) {
  const doc = {
    benchmark: "constraints",
    date: new Date().toISOString(),
    node: process.version,
    cpu: os.cpus()[0]?.model ?? "unknown",
    cpus: os.cpus().length,
    loadavg: os.loadavg().map((x) => Math.round(x * 100) / 100),
    method: { batches: BATCHES, batchMs: BATCH_MS, statistic: "median ns per check over batches" },
    elapsedSeconds: Math.round(elapsed * 10) / 10,
    results: rows,
  };
  process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
} else {
  const out = [];
  out.push(`Constraint checks — node ${process.version}, ${os.cpus()[0]?.model ?? "unknown cpu"} ×${os.cpus().length}, load ${os.loadavg()[0].toFixed(2)}; median of ${BATCHES} batches.`);
  out.push("");
  out.push("| constraint | case | input bytes | ns / check | ns / byte | result |");
  out.push("|---|---|---:|---:|---:|---|");
  for (const r of rows) {
    const perByte = r.nsPerByte !== undefined ? r.nsPerByte.toFixed(2) : "";
    out.push(`| ${r.kind} | ${r.case} | ${r.bytes.toLocaleString("en-US")} | ${fmt(r.nsPerCheck)} | ${perByte} | ${r.result.replace(/\|/g, "\\|")} |`);
  }
  out.push("");
  out.push(`Total run: ${elapsed.toFixed(1)} s.`);
  process.stdout.write(`${out.join("\n")}\n`);
}

// Decisions with history rules (issue 14): p50 and p99 per call, for 10 and 100 history rules over a
// session of 1,000 events, (a) `policy.decide` with `session.history` given (the compiled function,
// pure) and (b) the engine, `engine.authorize` + `commit` per call, on MemoryStore and on RedisStore
// (a throwaway redis-server on a free loopback port, bench/lib/redis.mjs). Standalone: uses dist/
// (run `npm run build` first; `npm run bench` runs it as part of bench/run.mjs).
//
//   node bench/history.mjs            markdown table on stdout (progress on stderr), then one JSON line
//   node bench/history.mjs --json     a JSON document on stdout instead
//   node bench/history.mjs --job J    one measurement (used by the above; prints one JSON line)
//
// Inputs (bench/lib/history-gen.mjs): N deny rules on `tool "*"` cycling through after / no ... since /
// count / sum / previous / count over a glob / max, most with `where event.args.to == args.to`; every
// call evaluates all N. The session: 1,000 events, one a second, over 20 tools and 10 payees.
//
// Method: every job runs in its own process, BENCH_REPEAT (default 5) times; each call is timed alone
// with process.hrtime.bigint() (the timer's own cost, measured as an empty pair, is reported, not
// subtracted); warm-up HISTORY_WARMUP_MS (default 500), then HISTORY_MS (default 2000) of calls. The
// table gives the median process's p50 and p99 and the range (min – max) of each over the processes.
// - decide-N: a pool of 64 requests sharing ONE history array (a host that keeps its history and
//   hands the same array over; the compiled index of it is built on the first call and reused);
// - decide-distinct-100: decide-100 with every rule's predicate distinct (lib/history-gen.mjs `distinct`):
//   the default policy's 100 rules share 26 predicates, which the compiled function answers once per
//   decision; this job measures the cost when nothing is shared;
// - decide-fresh-N: the same, but each call gets a fresh copy of the array holding the same event
//   objects (as the engine's MemoryStore answers a new array per load): the compiled index finds the
//   copy's events in its log and reuses it after pointer compares (codegen/history.ts); the request
//   check still validates every event of a new array;
// - interpret-N: the reference interpreter (`policy.interpret`) on the decide-N pool, for the ratio;
// - mem-N / redis-N: one session on one engine; warm-up fills it to 1,000 retained events (the
//   policy retains 1,000), so every timed call decides over 1,000 events and appends one (the oldest
//   drops). A call: `await engine.authorize(req)`, then `await a.commit({}, result)` when allowed.
// Agreement: on the decide pool, `decide` and `interpret` must give the same decisions (counted).
// Nothing here asserts: the targets (decide-100 and mem-100 p50 at most 10 µs) are reported as met or missed.
import fs from "node:fs";
import os from "node:os";
import { fileURLToPath } from "node:url";
import { historyEvents, historyPolicy, historyRequests } from "./lib/history-gen.mjs";

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
if (!fs.existsSync(here("../dist/index.js"))) {
  console.error("dist/ is missing: run `npm run build` first.");
  process.exit(1);
}
const REPEAT = Number(process.env.BENCH_REPEAT ?? 5);
const WARMUP_MS = Number(process.env.HISTORY_WARMUP_MS ?? 500);
const MEASURE_MS = Number(process.env.HISTORY_MS ?? 2000);
const TARGET_NS = 10_000;
const EVENTS = 1000;
const SIZES = [10, 100];
const END = 1_800_000_000_000; // the last event's time (epoch ms); requests come 0.5 s later
const RESULT = Object.freeze({ content: [{ type: "text", text: "ok" }] });

const JOBS = [...SIZES.flatMap((n) => [`decide-${n}`, `decide-fresh-${n}`, `interpret-${n}`, `mem-${n}`, `redis-${n}`]), "decide-distinct-100"];

function quantiles(samples, count) {
  const s = Float64Array.from(samples.subarray(0, count)).sort();
  const q = (p) => s[Math.min(count - 1, Math.floor(p * count))];
  return { p50Ns: q(0.5), p90Ns: q(0.9), p99Ns: q(0.99), maxNs: s[count - 1], calls: count };
}

/** The cost of an empty process.hrtime.bigint() pair (median of 100,000). */
function timerCost() {
  const n = 100_000;
  const xs = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    xs[i] = Number(process.hrtime.bigint() - t0);
  }
  return xs.sort()[n >> 1];
}

const tallyInto = (effects, d) => {
  const k = d.effect === "allow" ? "allow" : `${d.effect} (${d.reasons[0]?.code ?? "?"})`;
  effects[k] = (effects[k] ?? 0) + 1;
};

async function decideJob(kind, n) {
  const { compilePolicy } = await import("../dist/index.js");
  const distinct = kind === "decide-distinct";
  const policy = compilePolicy(historyPolicy(n, distinct), { filename: `history-${n}.mcppolicy`, readFile: null });
  const history = historyEvents(EVENTS, END);
  const reqs = historyRequests(64, END + 500);
  // As in a session past its retention: the events before the first kept one were dropped.
  for (const r of reqs) {
    r.session.history = history;
    r.session.historyDroppedUntil = history[0].at - 1000;
  }
  // Agreement of the two evaluators on the pool (also for the fresh-array pool: the same decisions).
  let mismatches = 0;
  for (const r of reqs) if (JSON.stringify(policy.decide(r)) !== JSON.stringify(policy.interpret(r))) mismatches++;
  const call =
    kind === "decide" || kind === "decide-distinct" ? (r) => policy.decide(r) : kind === "interpret" ? (r) => policy.interpret(r) : (r) => policy.decide({ ...r, session: { ...r.session, history: r.session.history.slice() } });
  const effects = {};
  const cap = 4_000_000;
  const samples = new Float64Array(cap);
  let count = 0;
  let i = 0;
  let checksum = 0;
  const w0 = Date.now();
  while (Date.now() - w0 < WARMUP_MS) {
    checksum += call(reqs[i]).effect.length;
    i = (i + 1) & 63;
  }
  const c0 = process.cpuUsage();
  const start = Date.now();
  while (count < cap && (count & 1023 || Date.now() - start < MEASURE_MS)) {
    const r = reqs[i];
    i = (i + 1) & 63;
    const t0 = process.hrtime.bigint();
    const d = call(r);
    samples[count++] = Number(process.hrtime.bigint() - t0);
    checksum += d.effect.length;
    if (count <= 64) tallyInto(effects, d);
  }
  const cpu = process.cpuUsage(c0);
  return { ...quantiles(samples, count), cpuNsPerCall: ((cpu.user + cpu.system) * 1000) / count, effectsOfPool: effects, mismatches, checksum, timerNs: timerCost() };
}

async function engineJob(kind, n) {
  const { compilePolicy, createEngine, MemoryStore } = await import("../dist/index.js");
  const policy = compilePolicy(historyPolicy(n), { filename: `history-${n}.mcppolicy`, readFile: null });
  // A simulated clock, one call a second (the store stamps events with it, requests carry it as
  // `time`), so the 1,000 retained events span 16.7 minutes as in historyEvents.
  let clock = END;
  const now = () => clock;
  let store;
  if (kind === "redis") {
    const url = process.env.HISTORY_REDIS_URL;
    if (!url) throw new Error("HISTORY_REDIS_URL is not set (the Redis jobs are started by `node bench/history.mjs`)");
    const { RedisStore } = await import("../dist/redis.js");
    store = new RedisStore({ url, prefix: `bench-history:${n}:${process.pid}:`, timeoutMs: 2000, now });
  } else store = new MemoryStore({ now });
  const engine = createEngine(policy, { store, timeoutMs: 2000 });
  const close = () => engine.close();
  const reqs = historyRequests(64, undefined);
  const effects = {};
  let i = 0;
  let committed = 0;
  const one = async () => {
    clock += 1000;
    const r = reqs[i];
    r.time = clock;
    i = (i + 1) & 63;
    const a = await engine.authorize(r);
    if (a.effect === "allow") {
      const s = await a.commit({}, RESULT);
      if (s.applied !== false) committed++;
    }
    return a;
  };
  // Fill the session past its 1,000 retained events, then warm up.
  for (let k = 0; k < EVENTS + 50; k++) await one();
  const w0 = Date.now();
  while (Date.now() - w0 < WARMUP_MS) await one();
  committed = 0;
  const cap = 2_000_000;
  const samples = new Float64Array(cap);
  let count = 0;
  const c0 = process.cpuUsage();
  const start = Date.now();
  while (count < cap && (count < 100 || Date.now() - start < MEASURE_MS)) {
    const t0 = process.hrtime.bigint();
    const a = await one();
    samples[count++] = Number(process.hrtime.bigint() - t0);
    tallyInto(effects, a);
  }
  const cpu = process.cpuUsage(c0);
  // The session really holds 1,000 events (read back through the store, as the engine does).
  const { sessionKeyOf } = await import("../dist/runtime/session-facts.js");
  const facts = await store.sessionLoad({ key: sessionKeyOf(reqs[0]), maxEntries: EVENTS });
  await close();
  return { ...quantiles(samples, count), cpuNsPerCall: ((cpu.user + cpu.system) * 1000) / count, effects, committed, sessionEvents: facts.events.length, timerNs: timerCost() };
}

const jobArg = process.argv.indexOf("--job");
if (jobArg >= 0) {
  const job = process.argv[jobArg + 1];
  const m = /^(decide|decide-fresh|decide-distinct|interpret|mem|redis)-(\d+)$/.exec(job ?? "");
  if (!m) {
    console.error(`unknown job ${job}; jobs: ${JOBS.join(", ")}`);
    process.exit(2);
  }
  const [, kind, size] = m;
  const result = kind === "mem" || kind === "redis" ? await engineJob(kind, Number(size)) : await decideJob(kind, Number(size));
  process.stdout.write(`${JSON.stringify({ job, ...result })}\n`);
  process.exit(0);
}

// ---- the driver ----
const JSON_OUT = process.argv.includes("--json");
const { redisAvailable, startRedis } = await import("./lib/redis.mjs");
const { runJobProcess } = await import("./lib/job-process.mjs");

const runOnce = (job, env) => runJobProcess(fileURLToPath(import.meta.url), job, env);

const median = (xs) => {
  const s = xs.slice().sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** A job in REPEAT processes: the process with the median p50, with every process's p50 and p99. */
async function job(name, env) {
  const runs = [];
  for (let k = 0; k < REPEAT; k++) {
    process.stderr.write(`  ${name} ${k + 1}/${REPEAT} ... `);
    const t = Date.now();
    runs.push(await runOnce(name, env));
    process.stderr.write(`${((Date.now() - t) / 1000).toFixed(1)} s\n`);
  }
  const sorted = runs.slice().sort((a, b) => a.p50Ns - b.p50Ns);
  return { ...sorted[(sorted.length - 1) >> 1], p50s: runs.map((r) => r.p50Ns), p99s: runs.map((r) => r.p99Ns) };
}

const started = Date.now();
const loadStart = os.loadavg();
process.stderr.write("history benchmarks\n");
const env = { ...process.env };
const R = {};
for (const name of JOBS.filter((j) => !j.startsWith("redis-"))) R[name] = await job(name, env);
const redisVersion = redisAvailable();
if (redisVersion) {
  const redis = await startRedis();
  try {
    for (const name of JOBS.filter((j) => j.startsWith("redis-"))) R[name] = await job(name, { ...env, HISTORY_REDIS_URL: redis.url });
  } finally {
    await redis.stop();
  }
} else process.stderr.write("  redis-server is not installed: the Redis rows are skipped\n");
const loadEnd = os.loadavg();
const elapsed = (Date.now() - started) / 1000;

const int = (x) => Math.round(x).toLocaleString("en-US");
const us = (nsv) => (nsv < 10_000 ? (nsv / 1000).toFixed(2) : nsv < 100_000 ? (nsv / 1000).toFixed(1) : int(nsv / 1000));
const range = (xs) => `${us(Math.min(...xs))} – ${us(Math.max(...xs))}`;
const LABEL = {
  decide: "`policy.decide`, history array reused",
  "decide-fresh": "`policy.decide`, a fresh copy of the array per call",
  "decide-distinct": "`policy.decide`, history array reused, every rule's predicate distinct",
  interpret: "`policy.interpret` (reference scan)",
  mem: "engine, MemoryStore: `authorize` + `commit`",
  redis: "engine, RedisStore (loopback): `authorize` + `commit`",
};
const rows = [];
for (const name of JOBS) {
  const r = R[name];
  if (!r) continue;
  const [, kind, n] = /^(.*)-(\d+)$/.exec(name);
  const eff = Object.entries(r.effectsOfPool ?? r.effects).map(([k, v]) => `${k} ${int(v)}`).join(", ");
  rows.push(`| ${LABEL[kind]} | ${n} | ${us(r.p50Ns)} | ${range(r.p50s)} | ${us(r.p99Ns)} | ${range(r.p99s)} | ${int(r.calls)} | ${eff} |`);
}
const ratio = (a, b) => (R[a] && R[b] ? `${(R[a].p50Ns / R[b].p50Ns).toFixed(2)}x` : "n/a");
const target = R["decide-100"];
const met = target.p50Ns <= TARGET_NS;
const out = [];
out.push(`History rules — node ${process.version}, ${os.cpus()[0]?.model ?? "unknown cpu"} ×${os.cpus().length}; ${redisVersion ? `redis-server ${redisVersion} on loopback` : "no redis-server"}; ${EVENTS} events of history.`);
out.push("");
out.push("| path | rules | p50 µs | p50 range µs | p99 µs | p99 range µs | calls timed | effects |");
out.push("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
out.push(...rows);
out.push("");
out.push("| target | measured | status |", "| --- | --- | ---: |");
out.push(`| \`policy.decide\`, 100 history rules over 1,000 events, p50 at most 10 µs | ${us(target.p50Ns)} µs (p99 ${us(target.p99Ns)} µs) | ${met ? "met" : "**missed**"} |`);
const engine = R["mem-100"];
if (engine) out.push(`| the engine on MemoryStore (\`authorize\` + \`commit\`: load, decide, record), same rules and history, p50 at most 10 µs | ${us(engine.p50Ns)} µs (p99 ${us(engine.p99Ns)} µs) | ${engine.p50Ns <= TARGET_NS ? "met" : "**missed**"} |`);
out.push("");
out.push(`- ratios (p50, same run): 100 vs 10 rules: decide ${ratio("decide-100", "decide-10")}, MemoryStore ${ratio("mem-100", "mem-10")}, Redis ${ratio("redis-100", "redis-10")}; interpret / decide: ${ratio("interpret-10", "decide-10")} (10), ${ratio("interpret-100", "decide-100")} (100); fresh array / reused: ${ratio("decide-fresh-100", "decide-100")} (100); MemoryStore engine / decide: ${ratio("mem-100", "decide-100")} (100).`);
out.push(`- decide vs interpret on the 64-request pool, decisions that differ: ${JOBS.filter((j) => R[j]?.mismatches !== undefined).map((j) => `${j} ${R[j].mismatches}`).join(", ")}.`);
out.push(`- timer cost (an empty hrtime pair, included in every figure): ${R["decide-100"].timerNs} ns; ${REPEAT} processes per job, warm-up ${WARMUP_MS} ms, then ${MEASURE_MS} ms of calls; the median process (by p50) is shown, ranges over all processes.`);
out.push(`- load average (1/5/15 min) at start ${loadStart.map((x) => x.toFixed(2)).join(" / ")}, at end ${loadEnd.map((x) => x.toFixed(2)).join(" / ")}; run ${elapsed.toFixed(0)} s.`);
const summary = { benchmark: "history", date: new Date().toISOString(), node: process.version, cpu: os.cpus()[0]?.model ?? "unknown", cpus: os.cpus().length, redis: redisVersion ?? null, target: { what: "decide-100 p50 ns", limitNs: TARGET_NS, p50Ns: target.p50Ns, met }, engineTarget: engine ? { what: "mem-100 p50 ns", limitNs: TARGET_NS, p50Ns: engine.p50Ns, met: engine.p50Ns <= TARGET_NS } : null, results: R };
if (JSON_OUT) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
else {
  out.push("");
  out.push(JSON.stringify({ history: { targetMet: met, ...Object.fromEntries(Object.entries(R).map(([k, r]) => [k, Math.round(r.p50Ns)])) } }));
  process.stdout.write(`${out.join("\n")}\n`);
}

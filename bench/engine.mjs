// The stateful engine: what `engine.authorize` costs on top of `policy.decide`, on the embedded
// MemoryStore (per call) and on a real redis-server over loopback (throughput and latency with many
// calls in flight). Standalone: uses the built files in dist/ (run `npm run build` first).
//
//   node bench/engine.mjs            markdown tables on stdout (progress on stderr), then one JSON line
//   node bench/engine.mjs --json     a JSON document on stdout instead
//   node bench/engine.mjs --job J    one measurement (used by the above; prints one JSON line)
//
// Every measurement runs in its own process (this script started again with `--job`), BENCH_REPEAT
// (default 3) times; the fastest process is reported and every process's figure is listed. The Redis
// jobs share one throwaway redis-server (bench/lib/redis.mjs: loopback, free port, no persistence),
// started here and stopped at the end; each job uses its own key prefix.
//
// MemoryStore method: a pool of 1,000 requests (distinct principal, session and client) is cycled
// through; a batch is 1,000 sequential `await engine.authorize(req)` calls timed with
// process.hrtime.bigint(), ns/call = batch time / 1,000; warm-up ENGINE_WARMUP_MS (default 500) of
// batches, then batches until ENGINE_BUDGET_MS (default 2000) has passed (at least 10, at most 5,000);
// the median batch is reported with p10/p90 and the median process CPU time per call.
//
// Redis method: one engine (one RedisStore, one connection), or 4 engines (4 connections); a fixed
// number of calls in flight (each completion starts the next call at once), warm-up ENGINE_REDIS_WARMUP_MS
// (default 1000), then ENGINE_REDIS_MS (default 3000) measured: authorizations/s = calls completed in
// the window / its length, latency per call with process.hrtime.bigint() (p50, p99, max). The store and
// engine timeouts are 2,000 ms so a slow answer shows as latency, not as a denial. Every result is
// counted: calls not allowed are reported by reason, and Redis's own command statistics (INFO
// commandstats) must show one script call per authorization, so every call really reached Redis.
//
// Burst method (`redis-burst1000`): one engine, one RedisStore with every option at its default (store
// and engine timeouts, queue, in-flight bound), a warm-up call, then BURST_ROUNDS (default 10) rounds of
// two bursts of 1,000 `authorize` calls issued at once and awaited together: one principal with a limit
// of 10 calls per hour (a fresh principal each round), then 1,000 fresh principals each far under that
// limit. Counted: calls allowed and denied by reason per burst, and each burst's wall time; after the
// rounds, the counters in Redis summed must equal the calls allowed (nothing charged for a denied call).
//
// `--compare DIR` (DIR: another built checkout, e.g. the commit before a change: `git archive <rev> | tar -x
// -C DIR`, link node_modules, tsc) runs every MemoryStore job and every Redis throughput job on DIR's
// dist/ as well, process by process in turn with this checkout's (before, after, before, after, ...), so
// both share the machine's load, and adds a before/after table. The jobs are this script's either way;
// only the library differs (ENGINE_LIB_ROOT tells a job which dist/ to import).
//
// Nothing here asserts: the targets (MemoryStore authorize with one rate limit and one session budget,
// median under 2 µs; the burst: exactly the limit for one principal and no denial for 1,000 under
// their limits, in every round) are reported as met or missed.
import fs from "node:fs";
import os from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
if (!fs.existsSync(here("../dist/index.js"))) {
  console.error("dist/ is missing: run `npm run build` first.");
  process.exit(1);
}
/** The library a job measures: this checkout's dist/, or ENGINE_LIB_ROOT's (`--compare`). */
const LIB_ROOT = process.env.ENGINE_LIB_ROOT ? resolve(process.env.ENGINE_LIB_ROOT) : here("..");
const lib = (file) => import(pathToFileURL(join(LIB_ROOT, file)).href);
const compareAt = process.argv.indexOf("--compare");
const COMPARE = compareAt > 0 ? resolve(process.argv[compareAt + 1] ?? "") : undefined;
if (COMPARE !== undefined && !fs.existsSync(join(COMPARE, "dist/index.js"))) {
  console.error(`--compare ${COMPARE}: dist/ is missing there (build it first)`);
  process.exit(1);
}

const TARGET_NS = 2000;
const POOL = 1000;
const BATCH = 1000;
const REPEAT = Number(process.env.BENCH_REPEAT ?? 3);
const WARMUP_MS = Number(process.env.ENGINE_WARMUP_MS ?? 500);
const BUDGET_MS = Number(process.env.ENGINE_BUDGET_MS ?? 2000);
const REDIS_WARMUP_MS = Number(process.env.ENGINE_REDIS_WARMUP_MS ?? 1000);
const REDIS_MS = Number(process.env.ENGINE_REDIS_MS ?? 3000);
const REDIS_TIMEOUT_MS = 2000;

// Limits large enough never to deny during a run (the rate bucket refills at 1,000,000 per second per
// principal, far above what one process can ask), except `capped`, which denies every call after a
// session's first. Each budgeted tool has exactly two budgets: one rate limit, one session budget.
const POLICY = `
policy "engine-bench" version "1.0.0"
default deny

role agent { allow tool search, chat, free, capped }

tool search {
  limit rate 1000000 per second burst 1000000 by principal
  limit calls 1000000000 by session
}
tool chat {
  limit rate 1000000 per second burst 1000000 by principal
  limit tokens total 1000000000000 by session
}
tool capped {
  limit rate 1000000 per second burst 1000000 by principal
  limit calls 1 by session
}
`;

/** The pool: POOL requests for `tool`, each with its own principal, session and client address. */
function pool(tool) {
  return Array.from({ length: POOL }, (_, i) => ({
    principal: { id: `user-${i}`, roles: ["agent"] },
    method: "tools/call",
    tool,
    arguments: { q: `query ${i % 17}` },
    session: { id: `s-${i}` },
    client: { ip: `10.1.${i >> 8}.${i & 255}` },
  }));
}

const ESTIMATE = Object.freeze({ estimate: Object.freeze({ inputTokens: 100, outputTokens: 50 }) });
const USAGE = Object.freeze({ inputTokens: 120, outputTokens: 40 });

// ---------------------------------------------------------------------------------------------------
// MemoryStore jobs: one batch function per job, so each process has one monomorphic call site.

const MEM_JOBS = {
  "mem-decide": { label: "`policy.decide` alone (no engine, no store)", budgets: "(2, not charged)", tool: "search" },
  "mem-free": { label: "`engine.authorize`, a tool with no budgets (skips the store)", budgets: "0", tool: "free" },
  "mem-authorize": { label: "`engine.authorize`, 1 rate limit + 1 session budget (`calls`): **the target**", budgets: "2 counters", tool: "search" },
  "mem-denied": { label: "`engine.authorize`, denied by the session budget (`calls 1 by session`, used up)", budgets: "2 checked, 0 charged", tool: "capped" },
  "mem-commit": { label: "`engine.authorize` (with an estimate) + `commit(usage)`, 1 rate limit + 1 session `tokens total` budget", budgets: "2 counters, then 1 settled", tool: "chat" },
};

async function memJob(job) {
  const { compilePolicy, createEngine, MemoryStore } = await lib("dist/index.js");
  const policy = compilePolicy(POLICY, { filename: "engine-bench.mcppolicy", readFile: null });
  const store = new MemoryStore();
  const engine = createEngine(policy, { store });
  const reqs = pool(MEM_JOBS[job].tool);
  let i = 0;
  let calls = 0;
  let allowed = 0;
  const codes = {};
  const tally = (r) => {
    calls++;
    if (r.effect === "allow") allowed++;
    else codes[r.reasons[0]?.code ?? r.effect] = (codes[r.reasons[0]?.code ?? r.effect] ?? 0) + 1;
  };
  let runBatch;
  switch (job) {
    case "mem-decide":
      runBatch = (n) => {
        for (let k = 0; k < n; k++) {
          const d = policy.decide(reqs[i]);
          i = i + 1 === POOL ? 0 : i + 1;
          calls++;
          if (d.effect === "allow") allowed++;
          else codes[d.effect] = (codes[d.effect] ?? 0) + 1;
        }
      };
      break;
    case "mem-free":
    case "mem-authorize":
    case "mem-denied":
      runBatch = async (n) => {
        for (let k = 0; k < n; k++) {
          const r = await engine.authorize(reqs[i]);
          i = i + 1 === POOL ? 0 : i + 1;
          tally(r);
        }
      };
      break;
    case "mem-commit":
      runBatch = async (n) => {
        for (let k = 0; k < n; k++) {
          const r = await engine.authorize(reqs[i], ESTIMATE);
          i = i + 1 === POOL ? 0 : i + 1;
          tally(r);
          const s = await r.commit(USAGE);
          if (!s.applied) codes.commit_not_applied = (codes.commit_not_applied ?? 0) + 1;
        }
      };
      break;
  }

  // Warm-up (for `capped` it also uses up every session's one call, so every timed call is denied).
  const w0 = process.hrtime.bigint();
  const warmNs = BigInt(WARMUP_MS) * 1_000_000n;
  let warmBatches = 0;
  while (warmBatches < 20 || process.hrtime.bigint() - w0 < warmNs) {
    await runBatch(BATCH);
    warmBatches++;
  }
  const before = { calls, allowed, codes: { ...codes } };

  const per = [];
  const cpu = [];
  const start = process.hrtime.bigint();
  const budget = BigInt(BUDGET_MS) * 1_000_000n;
  for (let b = 0; b < 5000; b++) {
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    await runBatch(BATCH);
    const t1 = process.hrtime.bigint();
    const c1 = process.cpuUsage(c0);
    per.push(Number(t1 - t0) / BATCH);
    cpu.push(((c1.user + c1.system) * 1000) / BATCH);
    if (per.length >= 10 && t1 - start > budget) break;
  }
  const timedCodes = {};
  for (const [k, v] of Object.entries(codes)) if (v - (before.codes[k] ?? 0) > 0) timedCodes[k] = v - (before.codes[k] ?? 0);

  // Were the calls really charged? The session counters (a window of 0) must add up to every allowed
  // call (`calls`), or to the committed tokens (`tokens total`). Reads the store's internal map: a
  // check only, skipped if the store's layout changes.
  let check;
  const slots = store.counters;
  if (slots instanceof Map && job !== "mem-decide") {
    let sessionSum = 0;
    let buckets = 0;
    for (const s of slots.values()) {
      if (s.b === 0) sessionSum += s.a;
      else buckets++;
    }
    const expected = job === "mem-commit" ? allowed * (USAGE.inputTokens + USAGE.outputTokens) : job === "mem-denied" ? POOL : job === "mem-free" ? 0 : allowed;
    check = { sessionCounterSum: sessionSum, expected, ok: sessionSum === expected, rateBuckets: buckets };
  }
  const m = median(per);
  return {
    medianNs: m,
    p10Ns: quantile(per, 0.1),
    p90Ns: quantile(per, 0.9),
    perSecond: 1e9 / m,
    medianCpuNs: median(cpu),
    batches: per.length,
    warmupCalls: before.calls,
    timedCalls: calls - before.calls,
    timedAllowed: allowed - before.allowed,
    timedNotAllowed: timedCodes,
    check,
  };
}

// ---------------------------------------------------------------------------------------------------
// Redis jobs: `redis-c<in flight>` on one engine, `redis-c<in flight>x<engines>` on several.

// `redis-ping-c1` is the reference: a bare ioredis PING on one connection, no engine (the loopback floor).
const REDIS_JOBS = ["redis-ping-c1", "redis-c1", "redis-c16", "redis-c64", "redis-c256", "redis-c256x4"];
const BURST_JOB = "redis-burst1000";
const BURST_ROUNDS = Number(process.env.BURST_ROUNDS ?? 10);
const BURST_LIMIT = 10;

function parseRedisJob(job) {
  const m = /^redis-(ping-)?c(\d+)(?:x(\d+))?$/.exec(job);
  if (!m) throw new Error(`bad job ${job}`);
  return { ping: m[1] !== undefined, concurrency: Number(m[2]), engines: Number(m[3] ?? 1) };
}

/** Script calls (EVAL + EVALSHA), their server time, and the server's CPU seconds, from INFO. */
async function redisStats(client) {
  const text = `${await client.info("commandstats")}\n${await client.info("cpu")}`;
  const cmd = (name) => {
    const m = new RegExp(`cmdstat_${name}:calls=(\\d+),usec=(\\d+)`).exec(text);
    return m ? { calls: Number(m[1]), usec: Number(m[2]) } : { calls: 0, usec: 0 };
  };
  const num = (name) => Number(new RegExp(`${name}:([\\d.]+)`).exec(text)?.[1] ?? 0);
  const ev = cmd("eval");
  const sha = cmd("evalsha");
  return { scripts: ev.calls + sha.calls, scriptUsec: ev.usec + sha.usec, cpuS: num("used_cpu_sys") + num("used_cpu_user") };
}

async function redisJob(job) {
  const url = process.env.ENGINE_REDIS_URL;
  if (!url) throw new Error("ENGINE_REDIS_URL is not set (the Redis jobs are started by `node bench/engine.mjs`)");
  const { ping, concurrency, engines: nEngines } = parseRedisJob(job);
  const { compilePolicy, createEngine } = await lib("dist/index.js");
  const { RedisStore } = await lib("dist/redis.js");
  const { Redis } = await import("ioredis");
  const policy = compilePolicy(POLICY, { filename: "engine-bench.mcppolicy", readFile: null });
  const prefix = `bench:${job}:${process.pid}:`;
  const engines = ping ? [] : Array.from({ length: nEngines }, () => createEngine(policy, { store: new RedisStore({ url, prefix, timeoutMs: REDIS_TIMEOUT_MS }), timeoutMs: REDIS_TIMEOUT_MS }));
  const admin = new Redis(url, { maxRetriesPerRequest: 1 });
  // The reference: the same kind of client as the store's own, doing a bare PING.
  const pinger = ping ? new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 0, commandTimeout: REDIS_TIMEOUT_MS }) : undefined;
  const PONG = { effect: "allow", reasons: [] };
  const reqs = pool("search");

  const statsBefore = await redisStats(admin);
  // Connect every engine and load the script on its connection (EVAL once), outside the figures.
  for (const e of engines) {
    const r = await e.authorize(reqs[0]);
    if (r.effect !== "allow") throw new Error(`the first call on a fresh engine was not allowed: ${JSON.stringify(r.reasons)}`);
  }
  if (pinger) {
    await new Promise((resolve) => (pinger.status === "ready" ? resolve() : pinger.once("ready", resolve)));
    await pinger.ping();
  }
  let issued = ping ? 1 : nEngines;

  // phase: warmup -> measure (recorded) -> drain (still loaded, not recorded) -> stop.
  let phase = "warmup";
  let measureStart = 0n;
  let completed = 0;
  let timed = 0;
  let allowed = 0;
  const codes = {};
  const lat = [];
  let next = 0;
  async function loop(engine) {
    while (phase !== "stop") {
      const req = reqs[next];
      next = next + 1 === POOL ? 0 : next + 1;
      issued++;
      const t0 = process.hrtime.bigint();
      const r = engine ? await engine.authorize(req) : (await pinger.ping()) === "PONG" ? PONG : { effect: "error", reasons: [] };
      const t1 = process.hrtime.bigint();
      if (phase === "measure") {
        completed++;
        if (t0 >= measureStart) {
          // a call wholly inside the window: its latency and its result
          timed++;
          lat.push(Number(t1 - t0));
          if (r.effect === "allow") allowed++;
          else codes[r.reasons[0]?.code ?? r.effect] = (codes[r.reasons[0]?.code ?? r.effect] ?? 0) + 1;
          continue;
        }
      }
      if (r.effect !== "allow") codes[`outside the window: ${r.reasons[0]?.code ?? r.effect}`] = (codes[`outside the window: ${r.reasons[0]?.code ?? r.effect}`] ?? 0) + 1;
    }
  }
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const loops = Array.from({ length: concurrency }, (_, k) => loop(engines[k % nEngines]));
  await sleep(REDIS_WARMUP_MS);
  const s0 = await redisStats(admin);
  const c0 = process.cpuUsage();
  measureStart = process.hrtime.bigint();
  phase = "measure";
  await sleep(REDIS_MS);
  const measureEnd = process.hrtime.bigint();
  phase = "drain";
  const cpu = process.cpuUsage(c0);
  const s1 = await redisStats(admin);
  phase = "stop";
  await Promise.all(loops);
  const statsAfter = await redisStats(admin);
  for (const e of engines) await e.close();
  await pinger?.quit();
  await admin.quit();

  const windowS = Number(measureEnd - measureStart) / 1e9;
  const sorted = Float64Array.from(lat).sort();
  const q = (p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] / 1000;
  const perCall = Math.max(1, completed);
  return {
    ping,
    concurrency,
    engines: ping ? 0 : nEngines,
    windowMs: windowS * 1000,
    completed,
    perSecond: completed / windowS,
    p50Us: q(0.5),
    p90Us: q(0.9),
    p99Us: q(0.99),
    maxUs: sorted[sorted.length - 1] / 1000,
    timedCalls: timed,
    timedAllowed: allowed,
    notAllowed: codes,
    // every authorization this process issued, and the script calls Redis counted meanwhile: equal when
    // every call reached Redis exactly once
    issued,
    scriptCalls: statsAfter.scripts - statsBefore.scripts,
    // per call completed in the window: this process's CPU time, redis-server's CPU time, and the time
    // the server spent running the scripts (INFO commandstats usec)
    clientCpuUsPerCall: (cpu.user + cpu.system) / perCall,
    serverCpuUsPerCall: ((s1.cpuS - s0.cpuS) * 1e6) / perCall,
    scriptUsPerCall: ping ? 0 : (s1.scriptUsec - s0.scriptUsec) / perCall,
  };
}

/** 1,000 calls at once on one engine with the default timeouts: exactly the limit, no denial under it. */
async function burstJob() {
  const url = process.env.ENGINE_REDIS_URL;
  if (!url) throw new Error("ENGINE_REDIS_URL is not set (the Redis jobs are started by `node bench/engine.mjs`)");
  const { compilePolicy, createEngine } = await lib("dist/index.js");
  const { RedisStore } = await lib("dist/redis.js");
  const { Redis } = await import("ioredis");
  const policy = compilePolicy(`policy "burst"\nrole agent { allow tool fetch }\ntool fetch { limit calls ${BURST_LIMIT} per hour by principal }`, { filename: "burst.mcppolicy", readFile: null });
  const prefix = `bench:burst:${process.pid}:`;
  const engine = createEngine(policy, { store: new RedisStore({ url, prefix }) });
  const admin = new Redis(url, { maxRetriesPerRequest: 1 });
  const call = (who) => ({ principal: { id: who, roles: ["agent"] }, tool: "fetch" });
  const tally = (rs, codes) => {
    let allowed = 0;
    for (const r of rs) {
      if (r.effect === "allow") allowed++;
      else codes[r.reasons[0]?.code ?? r.effect] = (codes[r.reasons[0]?.code ?? r.effect] ?? 0) + 1;
    }
    return allowed;
  };
  if ((await engine.authorize(call("warm"))).effect !== "allow") throw new Error("the warm-up call was not allowed");
  const rounds = [];
  let allowedTotal = 1;
  for (let k = 0; k < BURST_ROUNDS; k++) {
    const oneCodes = {};
    const manyCodes = {};
    let t0 = process.hrtime.bigint();
    const one = tally(await Promise.all(Array.from({ length: 1000 }, () => engine.authorize(call(`one-${k}`)))), oneCodes);
    const oneMs = Number(process.hrtime.bigint() - t0) / 1e6;
    t0 = process.hrtime.bigint();
    const many = tally(await Promise.all(Array.from({ length: 1000 }, (_, i) => engine.authorize(call(`many-${k}-${i}`)))), manyCodes);
    const manyMs = Number(process.hrtime.bigint() - t0) / 1e6;
    allowedTotal += one + many;
    rounds.push({ one, oneCodes, oneMs, many, manyCodes, manyMs });
  }
  // Cancels of late reservations run in the background: give them a moment before summing the counters.
  await new Promise((r) => setTimeout(r, 1000));
  let charged = 0;
  for (const key of await admin.keys(`${prefix}b:*`)) charged += Number(await admin.hget(key, "a"));
  await engine.close();
  await admin.quit();
  const times = rounds.flatMap((r) => [r.oneMs, r.manyMs]);
  const met = rounds.every((r) => r.one === BURST_LIMIT && r.many === 1000 && (r.oneCodes.budget_exceeded ?? 0) === 1000 - BURST_LIMIT) && charged === allowedTotal;
  return { rounds, limit: BURST_LIMIT, allowedTotal, charged, met, medianBurstMs: median(times), maxBurstMs: Math.max(...times), perSecond: (2000 * rounds.length) / (times.reduce((a, b) => a + b, 0) / 1000) };
}

// ---------------------------------------------------------------------------------------------------

function median(xs) {
  const s = xs.slice().sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}
function quantile(xs, p) {
  const s = xs.slice().sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))];
}

const jobArg = process.argv.indexOf("--job");
if (jobArg >= 0) {
  const job = process.argv[jobArg + 1];
  let result;
  if (job in MEM_JOBS) result = await memJob(job);
  else if (REDIS_JOBS.includes(job)) result = await redisJob(job);
  else if (job === BURST_JOB) result = await burstJob();
  else {
    console.error(`unknown job ${job}; jobs: ${[...Object.keys(MEM_JOBS), ...REDIS_JOBS, BURST_JOB].join(", ")}`);
    process.exit(2);
  }
  process.stdout.write(JSON.stringify({ job, ...result }) + "\n");
  process.exit(0);
}

// ---- the driver ----
const JSON_OUT = process.argv.includes("--json");
const { redisAvailable, startRedis } = await import("./lib/redis.mjs");
const { runJobProcess } = await import("./lib/job-process.mjs");

const runOnce = (job, env) => runJobProcess(fileURLToPath(import.meta.url), job, env);

/** The before side of `--compare`: job name -> its best run on COMPARE's dist/. */
const BEFORE = {};

/**
 * A job in REPEAT processes: the best run (lowest median, or highest throughput), with every run's
 * figure. `compare`: with `--compare`, each process on this checkout follows one on COMPARE's dist/
 * (their best goes to BEFORE).
 */
async function job(name, env, better, compare = false) {
  const runs = [];
  const before = [];
  const once = async (e, what, into) => {
    process.stderr.write(`  ${name}${what} ${into.length + 1}/${REPEAT} ... `);
    const t = Date.now();
    into.push(await runOnce(name, e));
    process.stderr.write(`${((Date.now() - t) / 1000).toFixed(1)} s\n`);
  };
  for (let k = 0; k < REPEAT; k++) {
    if (compare && COMPARE !== undefined) await once({ ...env, ENGINE_LIB_ROOT: COMPARE }, " (before)", before);
    await once(env, "", runs);
  }
  const best = (xs) => ({ ...xs.reduce((a, b) => (better(b, a) ? b : a)), runs: xs });
  if (before.length > 0) BEFORE[name] = best(before);
  return best(runs);
}

const started = Date.now();
const loadStart = os.loadavg();
process.stderr.write("engine benchmarks\n");
const env = { ...process.env };
const R = {};
for (const name of Object.keys(MEM_JOBS)) R[name] = await job(name, env, (b, a) => b.medianNs < a.medianNs, true);

const redisVersion = redisAvailable();
let redisNote;
if (redisVersion) {
  const redis = await startRedis();
  try {
    for (const name of REDIS_JOBS) R[name] = await job(name, { ...env, ENGINE_REDIS_URL: redis.url }, (b, a) => b.perSecond > a.perSecond, true);
    // The burst: every process must meet it; the one reported is the worst (a miss, else the slowest burst).
    R[BURST_JOB] = await job(BURST_JOB, { ...env, ENGINE_REDIS_URL: redis.url }, (b, a) => (b.met !== a.met ? !b.met : b.maxBurstMs > a.maxBurstMs));
  } finally {
    await redis.stop();
  }
} else {
  redisNote = "redis-server is not installed: the Redis rows were skipped.";
  process.stderr.write(`  ${redisNote}\n`);
}
const loadEnd = os.loadavg();
const elapsed = (Date.now() - started) / 1000;
process.stderr.write(`done in ${elapsed.toFixed(1)} s\n`);

// ---- formatting ----
const int = (x) => Math.round(x).toLocaleString("en-US");
const ns = (x) => (x < 100 ? x.toFixed(1) : int(x));
const us = (x) => (x < 10 ? x.toFixed(2) : x < 100 ? x.toFixed(1) : int(x));
const codesText = (c) => Object.entries(c).map(([k, v]) => `${int(v)} ${k}`).join(", ");

const target = R["mem-authorize"];
const targetMet = target.medianNs < TARGET_NS;
const memRows = Object.entries(MEM_JOBS).map(([name, { label, budgets }]) => {
  const r = R[name];
  const denied = codesText(r.timedNotAllowed);
  return [label, budgets, ns(r.medianNs), `${ns(r.p10Ns)} – ${ns(r.p90Ns)}`, int(r.perSecond), ns(r.medianCpuNs), int(r.batches), `${int(r.timedAllowed)} / ${int(r.timedCalls)}${denied ? ` (${denied})` : ""}`];
});
const memTable = [
  "| call (MemoryStore, sequential awaits) | budgets | median ns/call | p10 – p90 ns | calls/s (median) | median CPU ns/call | batches of 1,000 | allowed / timed calls |",
  "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |",
  ...memRows.map((r) => `| ${r.join(" | ")} |`),
];

const redisTable = [];
if (redisVersion) {
  redisTable.push(
    "| calls (RedisStore, loopback) | connections | in flight | calls/s | p50 µs | p90 µs | p99 µs | max µs | calls timed | not allowed | one script per call | client CPU µs/call | redis-server CPU µs/call | script µs/call |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | ---: | ---: | ---: |",
  );
  for (const name of REDIS_JOBS) {
    const r = R[name];
    const bad = codesText(r.notAllowed);
    const what = r.ping ? "reference: bare ioredis `PING`, no engine" : `\`engine.authorize\`, 1 rate limit + 1 session budget, ${r.engines} engine${r.engines === 1 ? "" : "s"}`;
    const match = r.ping ? "—" : r.scriptCalls === r.issued ? `yes (${int(r.scriptCalls)})` : `**no**: ${int(r.scriptCalls)} scripts, ${int(r.issued)} calls`;
    redisTable.push(`| ${what} | ${Math.max(1, r.engines)} | ${r.concurrency} | ${int(r.perSecond)} | ${us(r.p50Us)} | ${us(r.p90Us)} | ${us(r.p99Us)} | ${us(r.maxUs)} | ${int(r.timedCalls)} | ${bad ? `**${bad}**` : "0"} | ${match} | ${us(r.clientCpuUsPerCall)} | ${us(r.serverCpuUsPerCall)} | ${r.ping ? "—" : us(r.scriptUsPerCall)} |`);
  }
}

const burstTable = [];
const burstRows = [];
if (redisVersion) {
  const b = R[BURST_JOB];
  const all = b.runs.flatMap((r) => r.rounds);
  const codesOf = (key) => {
    const c = {};
    for (const r of all) for (const [k, v] of Object.entries(r[key])) c[k] = (c[k] ?? 0) + v;
    return c;
  };
  const oneCounts = [...new Set(all.map((r) => r.one))].sort((x, y) => x - y);
  const manyCounts = [...new Set(all.map((r) => r.many))].sort((x, y) => x - y);
  const ms = (xs) => `${int(median(xs))} (${int(Math.min(...xs))} – ${int(Math.max(...xs))})`;
  burstTable.push(
    "| burst (RedisStore defaults, 1 engine, 1,000 calls issued at once) | rounds | allowed per burst | denied, by reason (all rounds) | burst ms: median (min – max) |",
    "| --- | ---: | --- | --- | ---: |",
    `| one principal, limit ${b.limit} per hour | ${all.length} | ${oneCounts.join(", ")} | ${codesText(codesOf("oneCodes")) || "0"} | ${ms(all.map((r) => r.oneMs))} |`,
    `| 1,000 principals, each under its limit | ${all.length} | ${manyCounts.map(int).join(", ")} | ${codesText(codesOf("manyCodes")) || "0"} | ${ms(all.map((r) => r.manyMs))} |`,
  );
  const oneMet = all.every((r) => r.one === b.limit && (r.oneCodes.budget_exceeded ?? 0) === 1000 - b.limit);
  const manyMet = all.every((r) => r.many === 1000);
  const chargedOk = b.runs.every((r) => r.charged === r.allowedTotal);
  burstRows.push(
    `| 1,000 concurrent \`authorize\` on one engine, RedisStore defaults: exactly the limit (${b.limit}) for one principal, every round | ${oneCounts.join(", ")} allowed per burst (${all.length} bursts in ${b.runs.length} processes) | ${oneMet ? "met" : "**missed**"} |`,
    `| 1,000 concurrent \`authorize\` for 1,000 principals under their limits: zero denials, every round | ${manyCounts.map(int).join(", ")} allowed per burst; counters in Redis ${chargedOk ? "equal" : "**differ from**"} the calls allowed | ${manyMet && chargedOk ? "met" : "**missed**"} |`,
  );
}

const targetRow = `| \`engine.authorize\` on MemoryStore, 1 rate limit + 1 session budget, median under 2 µs | ${ns(target.medianNs)} ns (CPU ${ns(target.medianCpuNs)} ns; \`decide\` alone ${ns(R["mem-decide"].medianNs)} ns) | ${targetMet ? "met" : "**missed**"} |`;

const notes = [];
notes.push(`- the store really charged the calls (session counters summed after the run, MemoryStore): ${Object.keys(MEM_JOBS).filter((n) => R[n].check).map((n) => `${n} ${R[n].check.ok ? "ok" : `**mismatch** (${int(R[n].check.sessionCounterSum)} vs ${int(R[n].check.expected)} expected)`}`).join(", ")}.`);
notes.push(`- \`authorize\` over \`decide\`: +${ns(target.medianNs - R["mem-decide"].medianNs)} ns with two counters, +${ns(R["mem-free"].medianNs - R["mem-decide"].medianNs)} ns with none (the async call and the Authorization object).`);
if (redisVersion) {
  notes.push(`- Redis: redis-server ${redisVersion} on 127.0.0.1, on the same ${os.cpus().length}-core machine as the client (the two compete for the cores); store and engine \`timeoutMs\` ${int(REDIS_TIMEOUT_MS)}; warm-up ${int(REDIS_WARMUP_MS)} ms, then ${int(REDIS_MS)} ms timed per job; the tool \`search\` (2 counters) over the 1,000-request pool; the best of ${REPEAT} processes by throughput is reported.`);
} else notes.push(`- ${redisNote}`);
notes.push(`- every process's figure (${REPEAT} fresh processes per job; the fastest is reported): ${Object.keys(MEM_JOBS).map((n) => `${n} ${R[n].runs.map((r) => ns(r.medianNs)).join(" / ")} ns`).join("; ")}${redisVersion ? `; ${REDIS_JOBS.map((n) => `${n} ${R[n].runs.map((r) => int(r.perSecond)).join(" / ")} /s`).join("; ")}; ${BURST_JOB} slowest burst ${R[BURST_JOB].runs.map((r) => `${int(r.maxBurstMs)}`).join(" / ")} ms, median ${R[BURST_JOB].runs.map((r) => `${int(r.medianBurstMs)}`).join(" / ")} ms` : ""}.`);
if (redisVersion) notes.push(`- burst: ${BURST_ROUNDS} rounds per process, each a burst for one principal (limit ${BURST_LIMIT} per hour) then a burst for 1,000 principals; RedisStore and engine options at their defaults (in flight: 100 ms; queue: 1,000 ms; at most 128 in flight; engine 2,000 ms); the worst process is reported (a miss, else the slowest burst).`);
notes.push(`- load average (1/5/15 min) at start ${loadStart.map((x) => x.toFixed(2)).join(" / ")}, at end ${loadEnd.map((x) => x.toFixed(2)).join(" / ")}; engine run ${elapsed.toFixed(0)} s.`);

// Before/after (`--compare`): the same jobs on the other checkout's dist/, in the same run.
const compareTable = [];
if (COMPARE !== undefined) {
  const pct = (after, before) => `${after >= before ? "+" : ""}${(((after - before) / before) * 100).toFixed(1)}%`;
  compareTable.push(
    `| job (before: \`${COMPARE}\`; after: this checkout; same run, processes in turn) | before | after | change | before CPU | after CPU |`,
    "| --- | ---: | ---: | ---: | ---: | ---: |",
  );
  for (const name of Object.keys(MEM_JOBS)) {
    const a = R[name];
    const b = BEFORE[name];
    if (b) compareTable.push(`| \`${name}\`: ${MEM_JOBS[name].label}, median ns/call | ${ns(b.medianNs)} | ${ns(a.medianNs)} | ${pct(a.medianNs, b.medianNs)} | ${ns(b.medianCpuNs)} ns | ${ns(a.medianCpuNs)} ns |`);
  }
  for (const name of REDIS_JOBS) {
    const a = R[name];
    const b = BEFORE[name];
    if (a && b && !a.ping) compareTable.push(`| \`${name}\`: RedisStore, ${a.concurrency} in flight, ${a.engines} engine${a.engines === 1 ? "" : "s"}, calls/s (client CPU µs/call) | ${int(b.perSecond)} | ${int(a.perSecond)} | ${pct(a.perSecond, b.perSecond)} | ${us(b.clientCpuUsPerCall)} µs | ${us(a.clientCpuUsPerCall)} µs |`);
  }
  notes.push(`- before/after: every process's figure before (\`${COMPARE}\`): ${Object.keys(BEFORE).map((n) => `${n} ${BEFORE[n].runs.map((r) => (r.medianNs !== undefined ? `${ns(r.medianNs)} ns` : `${int(r.perSecond)} /s`)).join(" / ")}`).join("; ")}.`);
}

const summary = {
  benchmark: "engine",
  date: new Date().toISOString(),
  node: process.version,
  cpu: os.cpus()[0]?.model ?? "unknown",
  cpus: os.cpus().length,
  redis: redisVersion ?? null,
  target: { what: "MemoryStore authorize, 1 rate limit + 1 session budget, median ns/call", limitNs: TARGET_NS, medianNs: target.medianNs, met: targetMet },
  elapsedSeconds: Math.round(elapsed * 10) / 10,
  results: R,
  ...(COMPARE !== undefined && { compare: { before: COMPARE, results: BEFORE } }),
};

if (JSON_OUT) {
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
} else {
  const out = [];
  out.push(`Engine — node ${process.version}, ${os.cpus()[0]?.model ?? "unknown cpu"} ×${os.cpus().length}, load ${loadStart[0].toFixed(2)}; ${redisVersion ? `redis-server ${redisVersion} on loopback` : "no redis-server"}.`);
  out.push("");
  out.push(...memTable);
  out.push("");
  if (redisVersion) {
    out.push(...redisTable);
    out.push("");
  }
  if (redisVersion) {
    out.push(...burstTable);
    out.push("");
  }
  if (compareTable.length > 0) out.push(...compareTable, "");
  out.push("| target | measured | status |", "| --- | --- | ---: |", targetRow, ...burstRows);
  out.push("");
  out.push(...notes);
  out.push("");
  // The machine line (bench/run.mjs reads it): the target and each job's headline figures.
  const line = { engine: { redis: redisVersion ?? null, targetMet, medianNs: target.medianNs, ...Object.fromEntries(Object.entries(R).map(([k, r]) => [k, r.medianNs ?? Math.round(r.perSecond)])) } };
  out.push(JSON.stringify(line));
  process.stdout.write(`${out.join("\n")}\n`);
}

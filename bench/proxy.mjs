// The stdio proxy's overhead (issue 12): a `tools/call` of `echo` on test/fixtures/servers/echo-server.mjs
// (a real SDK McpServer) straight to the server ("direct"), through a Node process that pipes bytes ("pipe":
// bench/lib/line-relay.mjs --raw, one more process and two more pipes), through a bare Node line relay
// ("relay": the same plus line splitting and JSON.parse + JSON.stringify per message, no policy: the floor of
// any Node proxy that reads messages) and through `mcppolicy proxy` (dist/cli/main.js) with
// bench/policies/proxy.mcppolicy, the principal from bench/policies/proxy-principal.json (or the environment).
// A benchmark, not a test: nothing asserts a timing; the target (the proxy adds at most 100 µs at p50) is
// reported as met or missed. Every answer IS checked (the echoed text, no error), so a proxy that denies or
// drops calls fails the run instead of timing the error path.
//
//   node bench/proxy.mjs                      direct, relay and proxy; markdown tables
//   node bench/proxy.mjs --direct-only        no proxy: direct, pipe and relay only (proves the harness)
//   node bench/proxy.mjs --json               ... one JSON line instead
//   node bench/proxy.mjs --principal-env      the principal from MCPPOLICY_PRINCIPAL instead of --principal
//   node bench/proxy.mjs --proxy-flag F ...   pass F to `mcppolicy proxy` (repeatable: `--proxy-flag --audit
//                                             --proxy-flag /tmp/a.jsonl`)
//   node bench/proxy.mjs --cpu-prof DIR       run the middle processes (pipe, relay, proxy) of the latency
//                                             part under node --cpu-prof: DIR/<target>.cpuprofile, written
//                                             when each exits; the steady state (start-up left out):
//                                             `node bench/lib/profile-window.mjs DIR/proxy.cpuprofile`
//   node bench/proxy.mjs --skip-cold | --skip-latency | --skip-enforcer
//
// Method. The client is a raw JSON-RPC line client (spawn, write lines, match answers by id), not the SDK
// client, so its own cost is small and the same for every target. Latency of one call = from just before its
// line is written to the client's stdin pipe to the arrival of the chunk holding its answer
// (performance.now()). Every target's process stays up for the whole latency part; after
// `initialize` + `notifications/initialized` and PROXY_WARMUP calls (default 2000) each, the targets take
// turns: PROXY_ROUNDS rounds (default 30) of PROXY_CALLS calls (default 300) per target, the order rotated
// each round, so slow spells of this shared machine fall on every target alike. With 16 calls in flight, 16
// loops each keep one call outstanding. Reported per target: p50 and p99 over all samples, the spread of the
// per-round p50s (min - max), and the CPU time per call of the middle process (pipe, relay, proxy) and of the server
// (/proc/PID/stat utime + stime over the timed rounds), and calls/s over the timed rounds. Added latency = target p50 - direct p50; the paired
// figure = median over rounds of (target's round p50 - direct's round p50), with its min - max.
// Cold start: PROXY_COLD_RUNS (default 9) fresh spawns per target, interleaved; time from spawn to the answer
// of the first tools/call (initialize, answer, notifications/initialized, tools/call), median and min - max.
// The enforcer alone (bench/lib/enforcer-loop.mjs; not with --direct-only; --skip-enforcer): createEnforcer in
// this process, the server's answer given back at once, PROXY_ENFORCER_CALLS (default 20,000) calls one at a
// time, without audit and with a JSONL audit file (the proxy's --audit): mcppolicy's own cost per call.
import { spawn } from "node:child_process";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import { fileURLToPath } from "node:url";

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const argv = process.argv.slice(2);
const has = (f) => argv.includes(f);
const values = (f) => argv.flatMap((a, i) => (a === f && i + 1 < argv.length ? [argv[i + 1]] : []));

const SERVER = here("../test/fixtures/servers/echo-server.mjs");
const RELAY = here("./lib/line-relay.mjs");
const CLI = here("../dist/cli/main.js");
const POLICY = here("./policies/proxy.mcppolicy");
const PRINCIPAL_FILE = here("./policies/proxy-principal.json");
const WARMUP = Number(process.env.PROXY_WARMUP ?? 2000);
const ROUNDS = Number(process.env.PROXY_ROUNDS ?? 30);
const CALLS = Number(process.env.PROXY_CALLS ?? 300);
const COLD_RUNS = Number(process.env.PROXY_COLD_RUNS ?? 9);
const ENFORCER_CALLS = Number(process.env.PROXY_ENFORCER_CALLS ?? 20_000);
const IN_FLIGHT = [1, 16];
const TEXT = "the quick brown fox jumps over the lazy dog, 0123456789 abcdefghij"; // 67 bytes of arguments
const CLK_TCK = Number(safe(() => execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim(), "100"));

function safe(f, dflt) {
  try {
    return f();
  } catch {
    return dflt;
  }
}

// ---- targets ----
const cpuProfDir = values("--cpu-prof")[0];
const targets = [
  { name: "direct", command: process.execPath, args: [SERVER], env: process.env },
  { name: "pipe", command: process.execPath, args: [RELAY, "--raw", "--", process.execPath, SERVER], env: process.env },
  { name: "relay", command: process.execPath, args: [RELAY, "--", process.execPath, SERVER], env: process.env },
];
if (!has("--direct-only") && !(has("--skip-latency") && has("--skip-cold"))) {
  if (!fs.existsSync(CLI) || !fs.existsSync(here("../dist/cli/proxy.js"))) {
    console.error("dist/cli/proxy.js is missing: build first (`npm run build`), or run with --direct-only.");
    process.exit(1);
  }
  const principalEnv = has("--principal-env");
  const env = { ...process.env };
  if (principalEnv) env.MCPPOLICY_PRINCIPAL = fs.readFileSync(PRINCIPAL_FILE, "utf8");
  else delete env.MCPPOLICY_PRINCIPAL;
  const args = [CLI, "proxy", "--policy", POLICY, ...(principalEnv ? [] : ["--principal", PRINCIPAL_FILE]), ...values("--proxy-flag"), "--", process.execPath, SERVER];
  targets.push({ name: "proxy", command: process.execPath, args, env });
}
// Profiles of the middle processes (pipe, relay, proxy), from the latency part only (cold starts would add one
// profile per run), written as DIR/<target>.cpuprofile when each exits. Node refuses --cpu-prof in
// NODE_OPTIONS: it goes on the middle process's own command line (the server it spawns is not profiled).
if (cpuProfDir) {
  fs.mkdirSync(cpuProfDir, { recursive: true });
  for (const t of targets) if (t.name !== "direct") t.latencyArgs = ["--cpu-prof", `--cpu-prof-dir=${cpuProfDir}`, `--cpu-prof-name=${t.name}.cpuprofile`, ...t.args];
}
const MIDDLES = targets.filter((t) => t.name !== "direct");

// ---- the raw JSON-RPC line client ----
/** Every child still running: killed when the bench fails, so a broken target never leaves the run hanging. */
const live = new Set();
const fail = (err) => {
  console.error(`bench/proxy.mjs: ${err?.stack ?? err}`);
  for (const c of live) c.kill("SIGKILL");
  process.exit(1);
};
process.on("unhandledRejection", fail);
process.on("uncaughtException", fail);
class LineClient {
  constructor(target, args = target.args) {
    this.target = target;
    this.child = spawn(target.command, args, { stdio: ["pipe", "pipe", "inherit"], env: target.env });
    live.add(this.child);
    this.child.on("exit", () => live.delete(this.child));
    this.pending = new Map();
    this.nextId = 1;
    this.tail = "";
    this.child.stdout.setEncoding("utf8");
    this.child.stdout.on("data", (chunk) => this.onData(chunk, performance.now()));
    this.child.stdin.on("error", () => {}); // EPIPE after an early exit: the exit handler reports it
    this.exited = new Promise((resolve) =>
      this.child.on("exit", (code, signal) => {
        this.gone = `${target.name} exited (${code ?? signal})`;
        for (const p of this.pending.values()) p.reject(new Error(`${this.gone} with calls pending`));
        this.pending.clear();
        resolve({ code, signal });
      }),
    );
  }
  onData(chunk, at) {
    const text = this.tail + chunk;
    let start = 0;
    let nl;
    while ((nl = text.indexOf("\n", start)) >= 0) {
      const line = text.slice(start, nl);
      start = nl + 1;
      if (line.length > 0) this.onLine(line, at);
    }
    this.tail = text.slice(start);
  }
  onLine(line, at) {
    const msg = JSON.parse(line);
    if (typeof msg.method === "string") {
      // A request from the server side (the proxy's own traffic, if any): answer it so nothing waits on us.
      if (msg.id !== undefined) this.write({ jsonrpc: "2.0", id: msg.id, error: { code: -32601, message: "the bench client serves nothing" } });
      return;
    }
    const p = this.pending.get(msg.id);
    if (!p) throw new Error(`${this.target.name}: an answer to no request: ${line.slice(0, 200)}`);
    this.pending.delete(msg.id);
    p.resolve({ msg, at });
  }
  write(message) {
    this.child.stdin.write(`${JSON.stringify(message)}\n`);
  }
  /** Resolves { msg, at, sent }: the answer, when its chunk arrived, when the request was handed to the pipe. */
  request(method, params) {
    const id = this.nextId++;
    const line = `${JSON.stringify({ jsonrpc: "2.0", id, method, params })}\n`;
    return new Promise((resolve, reject) => {
      if (this.gone !== undefined) return reject(new Error(`${this.gone} before ${method}`));
      this.pending.set(id, { resolve: (r) => resolve({ ...r, sent }), reject });
      const sent = performance.now();
      this.child.stdin.write(line);
    });
  }
  async initialize() {
    const { msg } = await this.request("initialize", { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "mcppolicy-bench", version: "1.0.0" } });
    if (!msg.result) throw new Error(`${this.target.name}: initialize failed: ${JSON.stringify(msg)}`);
    this.write({ jsonrpc: "2.0", method: "notifications/initialized" });
  }
  /** One tools/call of echo; its latency in µs. Throws unless the answer is the echoed text. */
  async echo() {
    const { msg, at, sent } = await this.request("tools/call", { name: "echo", arguments: { text: TEXT } });
    const content = msg.result?.content;
    if (msg.error || msg.result?.isError || !Array.isArray(content) || content[0]?.text !== TEXT) {
      throw new Error(`${this.target.name}: tools/call echo did not come back as sent: ${JSON.stringify(msg).slice(0, 400)}`);
    }
    return (at - sent) * 1000;
  }
  /** Closes stdin and waits for the exit (bounded: SIGKILL after 5 s). */
  async close() {
    this.child.stdin.end();
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 5000);
    const r = await this.exited;
    clearTimeout(timer);
    return r;
  }
}

/** `calls` echo calls with `inFlight` loops each keeping one call outstanding; the latencies in µs. */
async function burst(client, calls, inFlight) {
  const out = [];
  let left = calls;
  const loop = async () => {
    while (left > 0) {
      left--;
      out.push(await client.echo());
    }
  };
  await Promise.all(Array.from({ length: inFlight }, loop));
  return out;
}

// ---- CPU time of a process, from /proc ----
function cpuMs(pid) {
  const stat = safe(() => fs.readFileSync(`/proc/${pid}/stat`, "utf8"), undefined);
  if (stat === undefined) return NaN;
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK; // utime, stime (fields 14, 15)
}
function childPid(pid) {
  const text = safe(() => fs.readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim(), "");
  return text ? Number(text.split(/\s+/)[0]) : undefined;
}

// ---- statistics ----
const sortNum = (xs) => Float64Array.from(xs).sort();
const pct = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
const median = (xs) => {
  const s = sortNum(xs);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

// ---- latency ----
async function latency() {
  const clients = targets.map((t) => new LineClient(t, t.latencyArgs));
  for (const c of clients) await c.initialize();
  await new Promise((r) => setTimeout(r, 200)); // let a proxy finish its own start-up traffic (its tools/list)
  for (const c of clients) {
    c.pids = { middle: c.target.name === "direct" ? undefined : c.child.pid, server: c.target.name === "direct" ? c.child.pid : childPid(c.child.pid) };
  }
  const results = [];
  for (const inFlight of IN_FLIGHT) {
    for (const c of clients) await burst(c, WARMUP, inFlight);
    const per = clients.map(() => ({ samples: [], roundP50: [], cpuMiddle: 0, cpuServer: 0, ms: 0 }));
    for (let r = 0; r < ROUNDS; r++) {
      for (let k = 0; k < clients.length; k++) {
        const i = (k + r) % clients.length;
        const c = clients[i];
        const m0 = c.pids.middle ? cpuMs(c.pids.middle) : 0;
        const s0 = cpuMs(c.pids.server);
        const b0 = performance.now();
        const xs = await burst(c, CALLS, inFlight);
        per[i].ms += performance.now() - b0;
        per[i].cpuMiddle += (c.pids.middle ? cpuMs(c.pids.middle) : 0) - m0;
        per[i].cpuServer += cpuMs(c.pids.server) - s0;
        per[i].roundP50.push(median(xs));
        for (const x of xs) per[i].samples.push(x);
      }
    }
    const direct = per[0];
    clients.forEach((c, i) => {
      const s = sortNum(per[i].samples);
      const n = s.length;
      const paired = per[i].roundP50.map((x, r) => x - direct.roundP50[r]);
      results.push({
        inFlight,
        target: c.target.name,
        samples: n,
        p50: pct(s, 0.5),
        p99: pct(s, 0.99),
        roundP50Min: Math.min(...per[i].roundP50),
        roundP50Max: Math.max(...per[i].roundP50),
        pairedAdded: median(paired),
        pairedAddedMin: Math.min(...paired),
        pairedAddedMax: Math.max(...paired),
        middleCpuUsPerCall: c.pids.middle ? (per[i].cpuMiddle * 1000) / n : undefined,
        serverCpuUsPerCall: (per[i].cpuServer * 1000) / n,
        callsPerSecond: (n * 1000) / per[i].ms,
      });
    });
  }
  for (const c of clients) {
    const { code, signal } = await c.close();
    if (code !== 0) console.error(`note: ${c.target.name} exited with ${code ?? signal} after stdin closed`);
  }
  return results;
}

// ---- cold start ----
async function coldStart() {
  const times = targets.map(() => []);
  for (let r = 0; r < COLD_RUNS; r++) {
    for (let i = 0; i < targets.length; i++) {
      const t0 = performance.now();
      const c = new LineClient(targets[i]);
      await c.initialize();
      await c.echo();
      times[i].push(performance.now() - t0);
      await c.close();
    }
  }
  return targets.map((t, i) => ({ target: t.name, runs: times[i].length, medianMs: median(times[i]), minMs: Math.min(...times[i]), maxMs: Math.max(...times[i]), timesMs: times[i] }));
}

// ---- the enforcer alone, in process ----
async function enforcerInProcess() {
  const { measureEnforcer } = await import("./lib/enforcer-loop.mjs");
  const policyText = fs.readFileSync(POLICY, "utf8");
  const principal = JSON.parse(fs.readFileSync(PRINCIPAL_FILE, "utf8"));
  const auditPath = `${os.tmpdir()}/mcppolicy-bench-proxy-${process.pid}.jsonl`;
  const rows = [];
  for (const variant of ["no audit", "audit to a JSONL file"]) {
    const r = await measureEnforcer({ policyText, principal, calls: ENFORCER_CALLS, warmup: WARMUP, audit: variant === "no audit" ? undefined : auditPath });
    const s = sortNum(r.samples);
    rows.push({ variant, samples: s.length, p50: pct(s, 0.5), p99: pct(s, 0.99), cpuUsPerCall: r.cpuUsPerCall });
  }
  fs.rmSync(auditPath, { force: true });
  return rows;
}

// ---- run ----
const loadStart = os.loadavg();
const started = Date.now();
const lat = has("--skip-latency") ? [] : await latency();
const cold = has("--skip-cold") ? [] : await coldStart();
const inProcess = has("--direct-only") || has("--skip-enforcer") ? [] : await enforcerInProcess();
const loadEnd = os.loadavg();
const machine = {
  nproc: os.cpus().length,
  cpu: os.cpus()[0]?.model ?? "unknown",
  node: process.version,
  os: `${os.type()} ${os.release()} ${os.arch()}`,
  at: new Date().toISOString(),
  seconds: Math.round((Date.now() - started) / 1000),
  loadStart,
  loadEnd,
};
const config = { warmup: WARMUP, rounds: ROUNDS, callsPerRound: CALLS, coldRuns: COLD_RUNS, enforcerCalls: ENFORCER_CALLS, proxyFlags: values("--proxy-flag"), principal: has("--principal-env") ? "env" : "file" };

if (has("--json")) {
  console.log(JSON.stringify({ machine, config, latency: lat, cold, enforcer: inProcess }));
} else {
  const us = (x) => (x === undefined || Number.isNaN(x) ? "–" : Math.round(x).toLocaleString("en-US"));
  const signed = (x) => `${x >= 0 ? "+" : "−"}${us(Math.abs(x))}`;
  const out = [];
  out.push(`- ${machine.nproc} CPUs (${machine.cpu}), Node ${machine.node}, ${machine.os}; ${machine.at}; ${machine.seconds} s; load average ${loadStart.map((x) => x.toFixed(2)).join(" / ")} at start, ${loadEnd.map((x) => x.toFixed(2)).join(" / ")} at end`);
  out.push(`- ${WARMUP} warm-up calls per target and concurrency, then ${ROUNDS} rounds x ${CALLS} calls per target, targets in turn; principal from ${config.principal}${config.proxyFlags.length ? `; proxy flags ${config.proxyFlags.join(" ")}` : ""}`);
  if (lat.length) {
    out.push("");
    out.push("| calls in flight | path | samples | p50 µs | p99 µs | round p50s µs (min – max) | added at p50 µs (vs direct) | ratio p50 | paired added µs: median (min – max) | added at p99 µs | CPU µs/call: middle process | CPU µs/call: server | calls/s |");
    out.push("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (const r of lat) {
      const d = lat.find((x) => x.inFlight === r.inFlight && x.target === "direct");
      const self = r.target === "direct";
      out.push(`| ${r.inFlight} | ${r.target} | ${r.samples.toLocaleString("en-US")} | ${us(r.p50)} | ${us(r.p99)} | ${us(r.roundP50Min)} – ${us(r.roundP50Max)} | ${self ? "" : signed(r.p50 - d.p50)} | ${self ? "" : `${(r.p50 / d.p50).toFixed(2)}x`} | ${self ? "" : `${signed(r.pairedAdded)} (${signed(r.pairedAddedMin)} – ${signed(r.pairedAddedMax)})`} | ${self ? "" : signed(r.p99 - d.p99)} | ${us(r.middleCpuUsPerCall)} | ${us(r.serverCpuUsPerCall)} | ${us(r.callsPerSecond)} |`);
    }
    const p = lat.find((x) => x.inFlight === 1 && x.target === "proxy");
    const d = lat.find((x) => x.inFlight === 1 && x.target === "direct");
    if (p) {
      const added = p.p50 - d.p50;
      out.push("");
      out.push(`- target: the proxy adds at most 100 µs at p50 (1 call in flight): ${signed(added)} µs (paired ${signed(p.pairedAdded)} µs): ${added <= 100 ? "met" : "**missed**"}`);
    }
  }
  if (cold.length) {
    out.push("");
    out.push(`| cold start: spawn to the first tools/call answered (${COLD_RUNS} runs each) | median ms | min – max ms | added at median ms |`);
    out.push("|---|---:|---:|---:|");
    const d = cold[0];
    for (const c of cold) out.push(`| ${c.target} | ${c.medianMs.toFixed(0)} | ${c.minMs.toFixed(0)} – ${c.maxMs.toFixed(0)} | ${c === d ? "" : `+${(c.medianMs - d.medianMs).toFixed(0)}`} |`);
  }
  if (inProcess.length) {
    out.push("");
    out.push(`| the enforcer alone, in process (${ENFORCER_CALLS.toLocaleString("en-US")} calls, one at a time, after ${WARMUP} warm-up) | p50 µs | p99 µs | CPU µs/call |`);
    out.push("|---|---:|---:|---:|");
    for (const r of inProcess) out.push(`| ${r.variant} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.cpuUsPerCall.toFixed(1)} |`);
  }
  console.log(out.join("\n"));
}

// Issue 13: the Streamable HTTP gateway's overhead and throughput. A `tools/call` of `echo` on the trivial
// hand-written upstream (bench/lib/gateway-upstream.mjs, its own process) straight to it ("direct"), through
// a bare node:http relay process that parses nothing (bench/lib/gateway-relay.mjs: "relay", the floor of any
// Node HTTP gateway), through `mcppolicy serve` with the memory store ("memory") and through a second gateway process on a throwaway
// redis-server ("redis"); API-key auth on (a key made here, in the design's format), a policy that allows
// `echo` for the key's role with a `limit calls` budget, so every call is authenticated, decided and counted.
// A benchmark, not a test: nothing asserts a timing; the targets (the gateway adds at most 0.5 ms at p50 with
// 16 in flight; one gateway process sustains >= 5,000 authorized calls/s) are reported as met or missed.
// Every answer IS checked (the echoed text): denials and failures are counted, reported in the notes and
// left out of the allowed calls/s, so a gateway that denies or drops calls cannot pass for a fast one.
//
//   node bench/gateway.mjs                    direct, memory, redis at 1, 16, 64 in flight; markdown + JSON line
//   node bench/gateway.mjs --json             one JSON line only
//   node bench/gateway.mjs --direct-only      the upstream alone (proves the harness; no dist/ needed)
//   node bench/gateway.mjs --cpu-prof DIR     the gateways and the relay run under node --cpu-prof: DIR/gateway-{memory,redis}.cpuprofile, DIR/relay.cpuprofile
//                                             (steady state: node bench/lib/profile-window.mjs DIR/gateway-memory.cpuprofile)
//   node bench/gateway.mjs --no-redis         without the Redis gateway
//   node bench/gateway.mjs --no-relay         without the bare relay
//
// Method. One load client (bench/lib/gateway-load.mjs: node:http keep-alive, one session per loop, N loops
// each keeping one call outstanding) in this process; upstream, gateways and redis-server in their own
// processes, all up for the whole run. GW_REPS rounds (default 3); in each, for N in 1, 16, 64, every target in
// turn (order rotated per round) gets GW_WARMUP_MS (default 500) of warm-up and GW_MS (default 2000) timed.
// Reported per target and N: the median over rounds of p50, p99 and calls/s, with the rounds' min – max (the
// spread), added p50 vs direct paired per round, and the CPU time per call of the gateway and the upstream
// (/proc/PID/stat over the timed part; 10 ms ticks). With ~3 busy processes on 2 cores, calls/s measures the
// machine as much as the gateway: 1e6 / (gateway CPU µs per call) is what one gateway process could do on a
// core of its own, and is reported beside it.
import { mkdtempSync, rmSync, writeFileSync, existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { runLoad } from "./lib/gateway-load.mjs";
import { apiKey, cpuMs, gatewayYaml, spawnGateway, spawnRelay, spawnUpstream, writeKeysFile, CLI } from "./lib/gateway-procs.mjs";
import { redisAvailable, startRedis } from "./lib/redis.mjs";

const argv = process.argv.slice(2);
const has = (f) => argv.includes(f);
const value = (f) => {
  const i = argv.indexOf(f);
  return i >= 0 ? argv[i + 1] : undefined;
};
const JSON_ONLY = has("--json");
const DIRECT_ONLY = has("--direct-only");
const PROF = value("--cpu-prof");
const REPS = Number(process.env.GW_REPS ?? 3);
const MS = Number(process.env.GW_MS ?? 2000);
const WARMUP = Number(process.env.GW_WARMUP_MS ?? 500);
const IN_FLIGHT = (process.env.GW_IN_FLIGHT ?? "1,16,64").split(",").map(Number);
const TEXT = "the quick brown fox jumps over the lazy dog, 0123456789 abcdefghij";
const log = (s) => process.stderr.write(s);

const POLICY = `// bench/gateway.mjs: the key's principal has role agent, which may call echo (a string argument), counted.
policy "gateway-bench" version "1.0.0"
default deny

role agent {
  allow "agent-echo" tool echo
}

tool echo {
  args { text: string }
  limit calls 1000000000 per day by principal
}
`;

const haveServe = existsSync(CLI) && existsSync(path.join(path.dirname(CLI), "serve.js"));
if (!DIRECT_ONLY && !haveServe) {
  console.error("dist/cli/serve.js is missing: build a checkout that has `mcppolicy serve` (npm run build), or pass --direct-only.");
  process.exit(1);
}

const dir = mkdtempSync(path.join(os.tmpdir(), "mcppolicy-gw-bench-"));
const started = Date.now();
const loadStart = os.loadavg();
const upstream = await spawnUpstream();
const relay = has("--no-relay") ? undefined : await spawnRelay(upstream.url, { nodeArgs: PROF ? ["--cpu-prof", "--cpu-prof-dir", PROF, "--cpu-prof-name", "relay.cpuprofile"] : [] });
const targets = [{ name: "direct", url: upstream.url, headers: {}, pid: undefined }];
if (relay) targets.push({ name: "relay", url: relay.url, headers: {}, pid: relay.pid });
let redis;
const gateways = [];
try {
  if (!DIRECT_ONLY) {
    const policy = path.join(dir, "policy.mcppolicy");
    writeFileSync(policy, POLICY);
    const key = apiKey("bench");
    const keysFile = writeKeysFile(path.join(dir, "keys.json"), [{ ...key, principal: { id: "bench", roles: ["agent"] } }]);
    const headers = { authorization: `Bearer ${key.key}` };
    const stores = [{ name: "memory", store: "memory" }];
    if (!has("--no-redis")) {
      if (redisAvailable()) {
        redis = await startRedis();
        stores.push({ name: "redis", store: redis.url, storePrefix: "gwbench:" });
      } else log("redis-server is not installed: no Redis row\n");
    }
    for (const s of stores) {
      const file = path.join(dir, `gateway-${s.name}.yaml`);
      writeFileSync(file, gatewayYaml({ policy, upstreams: [{ name: "bench", url: upstream.url }], store: s.store, storePrefix: s.storePrefix, keysFile, logLevel: "info" }));
      const nodeArgs = PROF ? ["--cpu-prof", "--cpu-prof-dir", PROF, "--cpu-prof-name", `gateway-${s.name}.cpuprofile`] : [];
      const gw = await spawnGateway(file, { nodeArgs });
      gateways.push(gw);
      targets.push({ name: s.name, url: gw.url, headers, pid: gw.pid });
    }
  }

  log(`gateway bench: ${targets.map((t) => t.name).join(", ")} x in flight ${IN_FLIGHT.join(", ")} x ${REPS} rounds (${WARMUP} + ${MS} ms each)\n`);
  /** results[target][n] = per-round records */
  const results = Object.fromEntries(targets.map((t) => [t.name, Object.fromEntries(IN_FLIGHT.map((n) => [n, []]))]));
  for (let rep = 0; rep < REPS; rep++) {
    for (const n of IN_FLIGHT) {
      const order = targets.map((_, i) => targets[(i + rep) % targets.length]);
      for (const t of order) {
        let c0;
        const cpu0 = {};
        const r = await runLoad({
          url: t.url,
          inFlight: n,
          durationMs: MS,
          warmupMs: WARMUP,
          headers: t.headers,
          args: { text: TEXT },
          stopOnError: false,
          onTimed: () => {
            c0 = process.cpuUsage();
            cpu0.gateway = t.pid ? cpuMs(t.pid) : undefined;
            cpu0.upstream = cpuMs(upstream.pid);
          },
        });
        const c1 = process.cpuUsage(c0);
        const gwMs = t.pid && cpu0.gateway !== undefined ? cpuMs(t.pid) - cpu0.gateway : undefined;
        const upMs = cpu0.upstream !== undefined ? cpuMs(upstream.pid) - cpu0.upstream : undefined;
        const rec = {
          ...r,
          gatewayCpuUsPerCall: gwMs !== undefined ? (gwMs * 1000) / r.calls : undefined,
          upstreamCpuUsPerCall: upMs !== undefined ? (upMs * 1000) / r.calls : undefined,
          clientCpuUsPerCall: (c1.user + c1.system) / r.calls,
        };
        results[t.name][n].push(rec);
        const deniedText = Object.entries(r.denied).map(([k, v]) => `${v} denied ${k}`).join(", ");
        log(`  round ${rep + 1} n=${n} ${t.name}: ${Math.round(r.callsPerSec)} calls/s${deniedText ? ` (${deniedText})` : ""}, p50 ${Math.round(r.p50Us)} µs, p99 ${Math.round(r.p99Us)} µs${rec.gatewayCpuUsPerCall ? `, gateway CPU ${Math.round(rec.gatewayCpuUsPerCall)} µs/call` : ""}\n`);
        // Not fatal: a failure under load is a finding, reported in the notes (and left out of allowed calls/s).
        if (r.errors > 0) log(`    ${r.errors} FAILED (${JSON.stringify(r.failed)}); first: ${r.firstError}\n`);
      }
    }
  }
  const loadEnd = os.loadavg();

  // ---- summary ----
  const median = (xs) => {
    const s = xs.filter((x) => typeof x === "number" && Number.isFinite(x)).sort((a, b) => a - b);
    if (s.length === 0) return undefined;
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  };
  const span = (xs) => [Math.min(...xs), Math.max(...xs)];
  const summary = {};
  for (const t of targets) {
    summary[t.name] = {};
    for (const n of IN_FLIGHT) {
      const rs = results[t.name][n];
      const direct = results.direct[n];
      const added = t.name === "direct" ? undefined : rs.map((r, i) => r.p50Us - direct[i].p50Us);
      summary[t.name][n] = {
        p50Us: median(rs.map((r) => r.p50Us)),
        p50Range: span(rs.map((r) => r.p50Us)),
        p99Us: median(rs.map((r) => r.p99Us)),
        callsPerSec: median(rs.map((r) => r.allowedPerSec)),
        callsRange: span(rs.map((r) => r.allowedPerSec)),
        denied: rs.reduce((acc, r) => {
          for (const [k, v] of Object.entries(r.denied)) acc[k] = (acc[k] ?? 0) + v;
          return acc;
        }, {}),
        failed: rs.reduce((acc, r) => {
          for (const [k, v] of Object.entries(r.failed)) acc[k] = (acc[k] ?? 0) + v;
          return acc;
        }, {}),
        firstErrors: rs.map((r) => r.firstError).filter(Boolean),
        addedP50Us: added && median(added),
        addedRange: added && span(added),
        gatewayCpuUsPerCall: median(rs.map((r) => r.gatewayCpuUsPerCall)),
        upstreamCpuUsPerCall: median(rs.map((r) => r.upstreamCpuUsPerCall)),
        clientCpuUsPerCall: median(rs.map((r) => r.clientCpuUsPerCall)),
        rounds: rs.map((r) => ({ p50Us: r.p50Us, p99Us: r.p99Us, callsPerSec: r.allowedPerSec, calls: r.calls, denied: r.denied, failed: r.failed })),
      };
    }
  }
  const cpu = os.cpus();
  const machine = {
    cpu: `${cpu[0]?.model ?? "unknown"}, ${cpu.length} cores`,
    memoryGiB: +(os.totalmem() / 2 ** 30).toFixed(1),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    redis: redis?.version,
    loadStart,
    loadEnd,
    at: new Date().toISOString(),
    seconds: Math.round((Date.now() - started) / 1000),
  };
  const out = { gateway: { machine, reps: REPS, ms: MS, warmupMs: WARMUP, summary } };

  if (!JSON_ONLY) {
    const int = (x) => (x === undefined ? "" : Math.round(x).toLocaleString("en-US"));
    const signed = (x) => (x === undefined ? "" : `${x >= 0 ? "+" : ""}${int(x)}`);
    const rows = [];
    for (const n of IN_FLIGHT) {
      for (const t of targets) {
        const s = summary[t.name][n];
        const capacity = s.gatewayCpuUsPerCall ? int(1e6 / s.gatewayCpuUsPerCall) : "";
        rows.push(
          `| ${n} | ${t.name} | ${int(s.p50Us)} (${int(s.p50Range[0])} – ${int(s.p50Range[1])}) | ${int(s.p99Us)} | ${t.name === "direct" ? "" : `${signed(s.addedP50Us)} (${signed(s.addedRange[0])} – ${signed(s.addedRange[1])})`} | ${int(s.callsPerSec)} (${int(s.callsRange[0])} – ${int(s.callsRange[1])}) | ${int(s.gatewayCpuUsPerCall)} | ${capacity} | ${int(s.upstreamCpuUsPerCall)} | ${int(s.clientCpuUsPerCall)} |`,
        );
      }
    }
    console.log(`| in flight | path | p50 µs (rounds min – max) | p99 µs | added p50 µs vs direct (paired: median, min – max) | allowed calls/s (min – max) | gateway CPU µs/call | 1e6 / gateway CPU µs (one core) | upstream CPU µs/call | client CPU µs/call |`);
    console.log(`| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |`);
    for (const r of rows) console.log(r);
    if (summary.memory) {
      const m16 = summary.memory[16];
      const best = Math.max(...IN_FLIGHT.map((n) => summary.memory[n].callsPerSec));
      const status = (ok) => (ok ? "met" : "**missed**");
      console.log("");
      console.log("| target | measured | status |");
      console.log("| --- | --- | --- |");
      if (m16) console.log(`| gateway adds at most 0.5 ms at p50, 16 in flight (memory store) | ${signed(m16.addedP50Us)} µs (rounds ${signed(m16.addedRange[0])} – ${signed(m16.addedRange[1])}) | ${status(m16.addedP50Us <= 500)} |`);
      const top = IN_FLIGHT.at(-1);
      const topCpu = summary.memory[top].gatewayCpuUsPerCall;
      console.log(`| one gateway process >= 5,000 authorized calls/s (API key, memory store) | ${int(best)} calls/s with client, upstream and gateway on ${cpu.length} cores${topCpu ? `; ${int(1e6 / topCpu)} per core of gateway CPU at ${top} in flight` : ""} | ${status(best >= 5000)} |`);
    }
    console.log("");
    for (const t of targets) {
      for (const n of IN_FLIGHT) {
        const d = summary[t.name][n].denied;
        const text = Object.entries(d).map(([k, v]) => `${v} \`${k}\``).join(", ");
        if (text) console.log(`- ${t.name}, ${n} in flight: timed calls denied (answered, not counted as allowed): ${text}`);
        const f = summary[t.name][n].failed;
        const ftext = Object.entries(f).map(([k, v]) => `${v} ${k}`).join(", ");
        if (ftext) console.log(`- **${t.name}, ${n} in flight: timed calls FAILED: ${ftext}**; first: \`${summary[t.name][n].firstErrors[0]?.slice(0, 300)}\``);
      }
    }
    console.log(`- machine: ${machine.cpu}, ${machine.memoryGiB} GiB, ${machine.os}, Node ${machine.node}${machine.redis ? `, redis-server ${machine.redis}` : ""}; load average at start ${loadStart.map((x) => x.toFixed(2)).join(" / ")}, at end ${loadEnd.map((x) => x.toFixed(2)).join(" / ")}; ${REPS} rounds of ${WARMUP} + ${MS} ms per cell; run ${machine.seconds} s at ${machine.at}`);
  }
  console.log(JSON.stringify(out));
} finally {
  for (const g of gateways) await g.stop();
  await relay?.stop();
  await upstream.stop();
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
}

// Processes and files around the gateway for its benchmark and its scale-out, fault and load tests:
// the trivial upstream (gateway-upstream.mjs) in its own process, `mcppolicy serve --config FILE`
// (dist/cli/main.js) in its own process, the YAML config and the API key file they read.
//
// GUARANTEES
// - `spawnGateway` resolves once the gateway logged `{"msg":"listening","url":...}` on stderr (the CLI
//   contract), with that URL; it rejects with the gateway's stderr when the process exits first or does not
//   listen within `readyMs`. Its stderr is kept (last 200 lines) for failure messages, and every log line is
//   parsed when it is JSON. `heap()` works when the gateway was spawned with `heapProbe: true`: the process
//   runs with `--expose-gc` and bench/lib/gateway-heap-probe.mjs preloaded, and answers over the IPC channel
//   with process.memoryUsage() after full collections.
// - `apiKey(id)` makes a key in the design's format (`mcpp_<id>_<43 chars base64url of 32 random bytes>`) and
//   its stored hash (`sha256:<hex of sha256(key)>`); `writeKeysFile` writes `{ keys: [{ id, hash, principal,
//   created }] }` (JSON, which is also YAML), mode 0600.
// - `cpuMs(pid)` reads user + system CPU time of a process from /proc/PID/stat (Linux), undefined elsewhere.
// - Every process spawned here is killed (SIGKILL) when this process exits or is interrupted.
import { spawn, execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { stopOnExit } from "../../scripts/lib/local-service.mjs";
import { httpRequest } from "./gateway-load.mjs";

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
export const CLI = here("../../dist/cli/main.js");
export const UPSTREAM = here("./gateway-upstream.mjs");
export const HEAP_PROBE = here("./gateway-heap-probe.mjs");
export const RELAY = here("./gateway-relay.mjs");

const children = new Set();
let hooked = false;
function track(child) {
  if (!hooked) {
    hooked = true;
    stopOnExit(() => {
      for (const c of children) {
        try {
          c.kill("SIGKILL");
        } catch {
          // gone
        }
      }
    });
  }
  children.add(child);
  child.once("exit", () => children.delete(child));
}

const exited = (c) => c.exitCode !== null || c.signalCode !== null;
const waitExit = (c) => (exited(c) ? Promise.resolve() : new Promise((r) => c.once("exit", () => r())));

async function stopChild(child, graceMs = 5000) {
  if (exited(child)) return;
  child.kill("SIGTERM");
  const force = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await waitExit(child);
  clearTimeout(force);
}

/** The trivial upstream in its own process: { url, pid, child, stats(), stop() }. */
export function spawnUpstream({ nodeArgs = [] } = {}) {
  return spawnScript(UPSTREAM, [], nodeArgs);
}

/** The bare node:http relay (gateway-relay.mjs) in front of `upstreamUrl`, in its own process. */
export function spawnRelay(upstreamUrl, { nodeArgs = [] } = {}) {
  return spawnScript(RELAY, ["--upstream", upstreamUrl], nodeArgs);
}

/** A script that prints {"url"} on its first stdout line once it listens. */
async function spawnScript(script, args, nodeArgs) {
  const child = spawn(process.execPath, [...nodeArgs, script, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  track(child);
  let err = "";
  child.stderr.on("data", (d) => (err = (err + d).slice(-4000)));
  const line = await new Promise((resolve, reject) => {
    let buf = "";
    const timer = setTimeout(() => reject(new Error(`${script} did not start: ${err}`)), 20_000);
    child.stdout.on("data", (d) => {
      buf += d;
      const nl = buf.indexOf("\n");
      if (nl >= 0) {
        clearTimeout(timer);
        resolve(buf.slice(0, nl));
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited (${code}): ${err}`));
    });
  });
  const { url } = JSON.parse(line);
  const statsUrl = new URL("/stats", url);
  return {
    url,
    pid: child.pid,
    child,
    async stats() {
      const r = await httpRequest(statsUrl, { method: "GET" });
      return JSON.parse(r.body);
    },
    stop: () => stopChild(child),
  };
}

/** A new API key and its stored hash. */
export function apiKey(id) {
  const key = `mcpp_${id}_${randomBytes(32).toString("base64url")}`;
  return { id, key, hash: `sha256:${createHash("sha256").update(key).digest("hex")}` };
}

/** Writes the key file the gateway reads (`auth.apiKeys.file`). */
export function writeKeysFile(file, entries) {
  const keys = entries.map(({ id, hash, principal }) => ({ id, hash, principal, created: new Date().toISOString() }));
  writeFileSync(file, JSON.stringify({ keys }, null, 2) + "\n", { mode: 0o600 });
  return file;
}

const q = (s) => JSON.stringify(String(s));

/**
 * The gateway's YAML (keys as src/gateway/config/types.ts and docs/gateway-config.md).
 * @param {{ policy: string, upstreams: {name: string, url: string}[], store?: string, storePrefix?: string, keysFile?: string, anonymous?: object, port?: number, logLevel?: string, extra?: string }} o
 */
export function gatewayYaml(o) {
  const lines = [
    "listen:",
    "  host: 127.0.0.1",
    `  port: ${o.port ?? 0}`,
    `policy: ${q(o.policy)}`,
    `store: ${q(o.store ?? "memory")}`,
  ];
  if (o.storePrefix) lines.push(`storePrefix: ${q(o.storePrefix)}`);
  lines.push("upstreams:");
  for (const u of o.upstreams) lines.push(`  - name: ${q(u.name)}`, `    url: ${q(u.url)}`);
  lines.push("auth:");
  if (o.keysFile) lines.push("  apiKeys:", `    file: ${q(o.keysFile)}`);
  if (o.anonymous) lines.push("  anonymous:", `    principal: ${JSON.stringify(o.anonymous)}`);
  lines.push("log:", `  level: ${o.logLevel ?? "info"}`);
  if (o.extra) lines.push(o.extra);
  return lines.join("\n") + "\n";
}

/**
 * `node [nodeArgs] dist/cli/main.js serve --config FILE` until it logs `listening`.
 * @returns {Promise<{ url: string, pid: number, child: import("node:child_process").ChildProcess, logs: object[], stderr: () => string, heap: () => Promise<object>, stop: () => Promise<void>, kill: () => Promise<void>, alive: () => boolean }>}
 */
export async function spawnGateway(configFile, { nodeArgs = [], env = process.env, heapProbe = false, readyMs = 30_000 } = {}) {
  const args = [...(heapProbe ? ["--expose-gc", "--import", HEAP_PROBE] : []), ...nodeArgs, CLI, "serve", "--config", configFile];
  const child = spawn(process.execPath, args, { stdio: heapProbe ? ["ignore", "pipe", "pipe", "ipc"] : ["ignore", "pipe", "pipe"], env });
  track(child);
  const tail = [];
  const logs = [];
  let partial = "";
  let onLine;
  child.stderr.on("data", (d) => {
    partial += d;
    let nl;
    while ((nl = partial.indexOf("\n")) >= 0) {
      const line = partial.slice(0, nl);
      partial = partial.slice(nl + 1);
      tail.push(line);
      if (tail.length > 200) tail.shift();
      if (line.startsWith("{")) {
        try {
          const rec = JSON.parse(line);
          if (logs.length < 10_000) logs.push(rec);
          onLine?.(rec);
        } catch {
          // not a log record
        }
      }
    }
  });
  child.stdout.on("data", () => {});
  const stderr = () => tail.join("\n");
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the gateway did not log "listening" within ${readyMs} ms:\n${stderr()}`)), readyMs);
    onLine = (rec) => {
      if (rec.msg === "listening" && typeof rec.url === "string") {
        clearTimeout(timer);
        resolve(rec.url);
      }
    };
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the gateway exited (${code ?? signal}) before listening:\n${stderr()}`));
    });
  });
  onLine = undefined;
  let heapWaiters = [];
  if (heapProbe) {
    child.on("message", (m) => {
      if (m && m.type === "heap") {
        const w = heapWaiters;
        heapWaiters = [];
        for (const f of w) f(m);
      }
    });
  }
  return {
    url,
    pid: child.pid,
    child,
    logs,
    stderr,
    alive: () => !exited(child),
    heap() {
      if (!heapProbe) return Promise.reject(new Error("spawned without heapProbe"));
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("no heap answer within 30 s")), 30_000);
        heapWaiters.push((m) => {
          clearTimeout(timer);
          resolve(m);
        });
        child.send({ type: "heap" });
      });
    },
    stop: () => stopChild(child, 15_000),
    kill: async () => {
      if (exited(child)) return;
      child.kill("SIGKILL");
      await waitExit(child);
    },
  };
}

let clkTck;
/** User + system CPU time of a process so far, in ms (Linux /proc), or undefined. */
export function cpuMs(pid) {
  try {
    clkTck ??= Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // fields[0] is field 3 (state); utime is field 14, stime field 15.
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / clkTck;
  } catch {
    return undefined;
  }
}

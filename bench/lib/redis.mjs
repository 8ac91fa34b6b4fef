// A throwaway redis-server, for the engine benchmarks and (through test/helpers/redis-server.ts) the
// tests: loopback only, a free port, no persistence (`--save "" --appendonly no`), a scratch directory.
// Plain JS so the benchmarks run it without a build; redis.d.mts gives its types.
//
//   const redis = await startRedis();   // resolves once the server answers PING
//   ... redis.url (redis://127.0.0.1:<port>), redis.port, redis.version ...
//   await redis.kill();                 // SIGKILL, as a crash would
//   await redis.restart();              // the same port again, once it answers PING
//   await redis.stop();                 // SIGTERM, wait for the exit, remove the directory
//
// `redisAvailable()` says whether the binary is installed. A server started here is killed when this
// process exits, also on SIGINT / SIGTERM, so an interrupted benchmark leaves no redis-server behind.
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createConnection } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, stopOnExit } from "../../scripts/lib/local-service.mjs";

const BINARY = process.env.REDIS_SERVER ?? "redis-server";

/** The server's version line (`Redis server v=7.0.15 ...` -> `7.0.15`), or undefined when it is not installed. */
export function redisAvailable() {
  try {
    const r = spawnSync(BINARY, ["--version"], { encoding: "utf8", timeout: 5000 });
    if (r.status !== 0) return undefined;
    return /v=(\S+)/.exec(r.stdout)?.[1] ?? r.stdout.trim();
  } catch {
    return undefined;
  }
}

const running = new Set();
const dirs = new Set();

function killAll() {
  for (const child of running) {
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
  }
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
}

function installHooks() {
  stopOnExit(killAll);
}


/** One PING over a raw socket: true when the server answers +PONG. */
function ping(port) {
  return new Promise((resolve) => {
    const sock = createConnection({ port, host: "127.0.0.1" });
    let buf = "";
    const finish = (ok) => {
      clearTimeout(timer);
      sock.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => finish(false), 500);
    sock.on("connect", () => sock.write("PING\r\n"));
    sock.on("data", (d) => {
      buf += d.toString("latin1");
      if (buf.includes("\r\n")) finish(buf.startsWith("+PONG"));
    });
    sock.on("error", () => finish(false));
  });
}

function waitExit(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

async function launch(port, dir, ms = 10_000) {
  const args = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir, "--daemonize", "no", "--protected-mode", "yes", "--loglevel", "warning", "--logfile", ""];
  const child = spawn(BINARY, args, { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  const keep = (d) => {
    out = (out + d.toString()).slice(-4000);
  };
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  child.on("error", (err) => keep(Buffer.from(String(err))));
  running.add(child);
  child.once("exit", () => running.delete(child));
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`redis-server exited (${child.exitCode ?? child.signalCode}) on port ${port}: ${out.trim()}`);
    if (await ping(port)) return child;
    await new Promise((r) => setTimeout(r, 25));
  }
  child.kill("SIGKILL");
  await waitExit(child);
  throw new Error(`redis-server did not answer PING on port ${port} within ${ms} ms: ${out.trim()}`);
}

/** Start a redis-server on a free loopback port; throws when the binary is missing or it cannot start. */
export async function startRedis() {
  const version = redisAvailable();
  if (!version) throw new Error(`${BINARY} is not installed`);
  installHooks();
  const dir = mkdtempSync(join(tmpdir(), "mcppolicy-bench-redis-"));
  dirs.add(dir);
  let child;
  let port = 0;
  let lastError;
  // Another process may take the port between choosing it and binding it: try a few.
  for (let attempt = 0; attempt < 5 && !child; attempt++) {
    port = await freePort();
    try {
      child = await launch(port, dir);
    } catch (err) {
      lastError = err;
    }
  }
  if (!child) {
    rmSync(dir, { recursive: true, force: true });
    dirs.delete(dir);
    throw lastError instanceof Error ? lastError : new Error(String(lastError));
  }
  let current = child;
  const end = async (signal) => {
    const c = current;
    if (c.exitCode !== null || c.signalCode !== null) return;
    c.kill(signal);
    // A server that ignores SIGTERM for 5 s is killed.
    const force = setTimeout(() => c.kill("SIGKILL"), 5000);
    await waitExit(c);
    clearTimeout(force);
  };
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    version,
    get pid() {
      return current.pid;
    },
    async stop() {
      await end("SIGTERM");
      rmSync(dir, { recursive: true, force: true });
      dirs.delete(dir);
    },
    kill: () => end("SIGKILL"),
    async restart() {
      await end("SIGTERM");
      mkdirSync(dir, { recursive: true });
      dirs.add(dir);
      current = await launch(port, dir);
    },
  };
}

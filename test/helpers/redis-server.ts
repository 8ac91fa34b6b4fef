/**
 * Starts a real, throwaway `redis-server` for tests: loopback only, a free port, no persistence, and a
 * scratch directory. `startRedis()` answers once the server replies to PING. Every server started here
 * is killed when the test process exits, even if a test forgets to stop it.
 *
 * `redisAvailable` says whether the binary is installed. Suites skip when it is not, except under CI
 * (`process.env.CI` set), where `startRedis()` throws so the run fails rather than silently skipping.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

const BINARY = "redis-server";

export const redisAvailable: boolean = (() => {
  try {
    return spawnSync(BINARY, ["--version"], { stdio: "ignore", timeout: 5000 }).status === 0;
  } catch {
    return false;
  }
})();

export interface RedisHandle {
  readonly port: number;
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  /** Shut the server down (SIGTERM) and wait for it to exit. */
  stop(): Promise<void>;
  /** Kill the server at once (SIGKILL), as a crash would, and wait for it to exit. */
  kill(): Promise<void>;
  /** Start the server again on the same port (after stop or kill) and wait until it answers. */
  restart(): Promise<void>;
}

const running = new Set<ChildProcess>();
const dirs = new Set<string>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const child of running) {
      try {
        child.kill("SIGKILL");
      } catch {
        // already gone
      }
    }
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => (port ? resolve(port) : reject(new Error("no free port"))));
    });
  });
}

/** One PING over a raw socket: true when the server answers +PONG. */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createConnection({ port, host: "127.0.0.1" });
    let buf = "";
    const finish = (ok: boolean): void => {
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

function waitExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

function spawnServer(port: number, dir: string): { child: ChildProcess; output: () => string } {
  const child = spawn(
    BINARY,
    [
      "--port", String(port),
      "--bind", "127.0.0.1",
      "--save", "",
      "--appendonly", "no",
      "--dir", dir,
      "--daemonize", "no",
      "--protected-mode", "yes",
      "--loglevel", "warning",
      "--logfile", "",
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let out = "";
  const keep = (d: Buffer): void => {
    out = (out + d.toString()).slice(-4000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  child.on("error", (err) => keep(Buffer.from(String(err))));
  running.add(child);
  child.once("exit", () => running.delete(child));
  return { child, output: () => out };
}

/** Spawn on `port` and wait (up to `ms`) for PING; throws with the server's output when it fails. */
async function launch(port: number, dir: string, ms = 10_000): Promise<ChildProcess> {
  const { child, output } = spawnServer(port, dir);
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`redis-server exited (${child.exitCode ?? child.signalCode}) on port ${port}: ${output().trim()}`);
    }
    if (await ping(port)) return child;
    await new Promise((r) => setTimeout(r, 25));
  }
  child.kill("SIGKILL");
  await waitExit(child);
  throw new Error(`redis-server did not answer PING on port ${port} within ${ms} ms: ${output().trim()}`);
}

/**
 * Start a redis-server on a free loopback port. Throws when the binary is missing or the server cannot
 * start (under CI that must fail the run; elsewhere callers skip on `redisAvailable`).
 */
export async function startRedis(): Promise<RedisHandle> {
  if (!redisAvailable) {
    throw new Error(`${BINARY} is not installed${process.env.CI ? " (required under CI)" : ""}`);
  }
  installExitHook();
  const dir = mkdtempSync(join(tmpdir(), "mcppolicy-redis-"));
  dirs.add(dir);
  let child: ChildProcess | undefined;
  let port = 0;
  let lastError: unknown;
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
  let current: ChildProcess = child;
  const end = async (signal: NodeJS.Signals): Promise<void> => {
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
    async stop() {
      await end("SIGTERM");
      rmSync(dir, { recursive: true, force: true });
    },
    kill: () => end("SIGKILL"),
    async restart() {
      await end("SIGTERM");
      mkdirSync(dir, { recursive: true });
      current = await launch(port, dir);
    },
  };
}

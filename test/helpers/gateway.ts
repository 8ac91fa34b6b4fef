/**
 * Test helpers for the gateway: real upstream processes (test/fixtures/servers/gateway-upstream.mjs over
 * Streamable HTTP, echo-server.mjs over stdio), a gateway started in this process from YAML text (the same
 * loader the CLI uses), its log lines captured, and raw HTTP requests on loopback.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { parseGatewayConfig } from "../../src/gateway/config/index.js";
import { startGateway, type Gateway } from "../../src/gateway/gateway.js";
import { createLogger } from "../../src/gateway/logger.js";

const here = path.dirname(fileURLToPath(import.meta.url));
export const HTTP_UPSTREAM = path.join(here, "..", "fixtures", "servers", "gateway-upstream.mjs");
export const ECHO_SERVER = path.join(here, "..", "fixtures", "servers", "echo-server.mjs");

export interface Upstream {
  readonly url: string;
  readonly port: number;
  readonly child: ChildProcess;
  stop(): Promise<void>;
}

/** An http-upstream.mjs process; `port` 0 takes a free one. */
export async function startHttpUpstream(options: { name?: string; port?: number } = {}): Promise<Upstream> {
  const child = spawn(process.execPath, [HTTP_UPSTREAM, "--port", String(options.port ?? 0), "--name", options.name ?? "up"], { stdio: ["ignore", "pipe", "inherit"] });
  const url = await new Promise<string>((resolve, reject) => {
    let buf = "";
    const timer = setTimeout(() => reject(new Error("http-upstream did not start")), 15_000);
    child.stdout!.on("data", (c: Buffer) => {
      buf += c.toString();
      const nl = buf.indexOf("\n");
      if (nl >= 0) {
        clearTimeout(timer);
        resolve((JSON.parse(buf.slice(0, nl)) as { url: string }).url);
      }
    });
    child.once("exit", (code) => reject(new Error(`http-upstream exited ${code}`)));
  });
  return {
    url,
    port: Number(new URL(url).port),
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGKILL");
      }),
  };
}

export function tempDir(prefix = "mcppolicy-gw-"): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

export interface TestGateway {
  readonly gateway: Gateway;
  readonly url: string;
  readonly dir: string;
  /** Log lines so far, parsed. */
  readonly logs: Record<string, unknown>[];
  close(): Promise<void>;
}

/** Writes `policy` and the YAML (with `{{dir}}` replaced by the temp folder) and starts a gateway in this process. */
export async function startTestGateway(yaml: string, policy: string, files: Record<string, string> = {}): Promise<TestGateway> {
  const dir = tempDir();
  writeFileSync(path.join(dir, "policy.mcppolicy"), policy);
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  const file = path.join(dir, "gateway.yaml");
  const text = yaml.replaceAll("{{dir}}", dir);
  writeFileSync(file, text);
  const loaded = parseGatewayConfig(text, file);
  if (!loaded.ok) throw new Error(`bad test config: ${JSON.stringify(loaded.diagnostics.map((d) => d.message))}`);
  const logs: Record<string, unknown>[] = [];
  const out = new Writable({
    write(chunk, _enc, cb) {
      for (const line of chunk.toString().split("\n")) if (line.trim()) logs.push(JSON.parse(line) as Record<string, unknown>);
      cb();
    },
  });
  const gateway = await startGateway(loaded.config, { logger: createLogger({ level: "debug", out }) });
  return { gateway, url: gateway.url, dir, logs, close: () => gateway.close() };
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One raw HTTP request (no keep-alive), for the protocol's edges. */
export function rawRequest(url: string, options: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {}): Promise<RawResponse> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: u.hostname, port: u.port, path: u.pathname + u.search, method: options.method ?? "POST", headers: { connection: "close", ...options.headers }, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}

export const JSON_HEADERS = { "content-type": "application/json", accept: "application/json, text/event-stream" };

/** initialize + notifications/initialized over raw HTTP; the session id. */
export async function rawSession(url: string, headers: Record<string, string> = {}): Promise<string> {
  const init = await rawRequest(url, {
    headers: { ...JSON_HEADERS, ...headers },
    body: JSON.stringify({ jsonrpc: "2.0", id: 0, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "raw", version: "1" } } }),
  });
  if (init.status !== 200) throw new Error(`initialize: ${init.status} ${init.body}`);
  const sid = String(init.headers["mcp-session-id"]);
  const ok = await rawRequest(url, { headers: { ...JSON_HEADERS, ...headers, "mcp-session-id": sid }, body: JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }) });
  if (ok.status !== 202) throw new Error(`initialized: ${ok.status}`);
  return sid;
}

/** Writes `text` on a bare TCP connection to the URL's host and port and returns all it got back until the server closed it. */
export function rawSocketText(url: string, text: string): Promise<string> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect(Number(u.port), u.hostname, () => socket.write(text));
    let got = "";
    socket.on("data", (c) => (got += c.toString()));
    socket.on("close", () => resolve(got));
    socket.on("error", () => resolve(got));
  });
}

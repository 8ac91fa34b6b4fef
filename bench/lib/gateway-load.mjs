// A raw Streamable HTTP MCP client on node:http and a load generator built on it, for the gateway's
// benchmark and its tests. Raw on purpose: the SDK's client costs more per call than the gateway we time,
// and is the same for every target anyway; the tests use the SDK client beside it to prove interop.
//
// GUARANTEES
// - `McpHttpSession`: `open()` = POST initialize (remembers `Mcp-Session-Id` and the negotiated protocol
//   version, sent on every later request as the spec asks) + POST notifications/initialized (202 expected);
//   `request(method, params)` resolves with the JSON-RPC response to its own id, whether the server answered
//   with `application/json` or with an SSE stream (messages before the response, e.g. progress, are
//   skipped); an HTTP status other than 200 resolves as `{ httpStatus, body }` so callers see 401/404/429/503
//   instead of a throw; a transport error (refused, reset) or no answer within `timeoutMs` rejects.
//   `close()` = DELETE (errors ignored). Requests ride one keep-alive agent given by the caller.
// - `runLoad(options)`: `inFlight` loops, each with its own session (one "agent" per loop), each keeping one
//   `tools/call` outstanding, for `durationMs` after `warmupMs` (or until `totalCalls` calls were made, when
//   given). Every answer is checked (the echoed text, no error): a wrong answer is counted in `errors` and the
//   first one kept in `firstError`, so a gateway that drops or garbles calls cannot pass for a fast one. A
//   timed call answered with a policy denial (-32010/-32011 with a reason code) is an answer, not an error:
//   counted in `denied` by reason code (e.g. `budget_unavailable` when the store timed out) and left out of
//   `allowed` and `allowedPerSec`. Any other wrong answer is an error, counted in `failed` by kind (a JSON-RPC
//   error code, `HTTP <status>`, `transport`, `wrong answer`) and left out of `allowed`; after 1,000 errors the
//   run stops (unless `stopOnError: false`).
//   `client: "raw"` (default) gives each loop its own connection through gateway-rawhttp.mjs (cheap);
//   `client: "http"` uses node:http with one keep-alive agent.
//   Latency of a call = from just before `http.request` to the end of its response body (performance.now());
//   only calls started after the warm-up count. `sessionCalls` (optional) closes a loop's session after that
//   many calls and opens a new one (session churn, for the memory test).
import http from "node:http";
import { performance } from "node:perf_hooks";
import { RawHttpConnection } from "./gateway-rawhttp.mjs";

export const ACCEPT = "application/json, text/event-stream";

/** A keep-alive agent for `sockets` connections at most. */
export function keepAliveAgent(sockets = 64) {
  return new http.Agent({ keepAlive: true, maxSockets: sockets, maxFreeSockets: sockets, keepAliveMsecs: 1000 });
}

/** One HTTP request; resolves with status, headers, body text. */
export function httpRequest(url, { method = "POST", headers = {}, body, agent, timeoutMs = 30_000 } = {}) {
  const u = typeof url === "string" ? new URL(url) : url;
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, path: u.pathname + u.search, method, headers, agent: agent ?? false }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: chunks.length === 1 ? chunks[0].toString("utf8") : Buffer.concat(chunks).toString("utf8") });
      });
      res.on("error", (e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
    const timer = setTimeout(() => {
      req.destroy(new Error(`no answer within ${timeoutMs} ms: ${method} ${u.pathname}`));
    }, timeoutMs);
    req.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    req.end(body);
  });
}

/** The JSON-RPC response with this id in a response body (JSON, or SSE events), or undefined. */
export function findResponse(contentType, body, id) {
  if (typeof contentType === "string" && contentType.startsWith("text/event-stream")) {
    for (const event of body.split(/\r?\n\r?\n/)) {
      const data = event
        .split(/\r?\n/)
        .filter((l) => l.startsWith("data:"))
        .map((l) => l.slice(5).replace(/^ /, ""))
        .join("\n");
      if (!data) continue;
      let msg;
      try {
        msg = JSON.parse(data);
      } catch {
        continue;
      }
      if (msg && msg.id === id && ("result" in msg || "error" in msg)) return msg;
    }
    return undefined;
  }
  if (!body) return undefined;
  const msg = JSON.parse(body);
  return msg && msg.id === id ? msg : undefined;
}

export class McpHttpSession {
  /**
   * @param {string} url the MCP endpoint
   * @param {{ agent?: http.Agent, raw?: boolean, headers?: Record<string,string>, protocolVersion?: string, timeoutMs?: number, clientName?: string }} [options]
   *   `raw`: the session's own connection through gateway-rawhttp.mjs instead of node:http and the agent.
   */
  constructor(url, options = {}) {
    this.url = new URL(url);
    this.conn = options.raw ? new RawHttpConnection(this.url.hostname, Number(this.url.port), { timeoutMs: options.timeoutMs ?? 30_000 }) : undefined;
    this.agent = this.conn ? undefined : (options.agent ?? keepAliveAgent(4));
    this.extra = options.headers ?? {};
    this.asked = options.protocolVersion ?? "2025-11-25";
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.clientName = options.clientName ?? "bench-load";
    this.nextId = 1;
    this.sessionId = undefined;
    this.protocolVersion = undefined;
    this.initializeResult = undefined;
  }

  headers() {
    const h = { "content-type": "application/json", accept: ACCEPT, ...this.extra };
    if (this.sessionId) h["mcp-session-id"] = this.sessionId;
    if (this.protocolVersion) h["mcp-protocol-version"] = this.protocolVersion;
    return h;
  }

  send(method, body) {
    if (this.conn) return this.conn.request(method, this.url.pathname, this.headers(), body);
    return httpRequest(this.url, { method, headers: this.headers(), body, agent: this.agent, timeoutMs: this.timeoutMs });
  }

  /** initialize + notifications/initialized; throws with the status and body when either is refused. */
  async open() {
    const id = this.nextId++;
    const body = JSON.stringify({ jsonrpc: "2.0", id, method: "initialize", params: { protocolVersion: this.asked, capabilities: {}, clientInfo: { name: this.clientName, version: "1.0.0" } } });
    const res = await this.send("POST", body);
    if (res.status !== 200) throw new Error(`initialize: HTTP ${res.status} ${res.body.slice(0, 300)}`);
    const msg = findResponse(res.headers["content-type"], res.body, id);
    if (!msg || msg.error) throw new Error(`initialize: ${JSON.stringify(msg?.error ?? res.body).slice(0, 300)}`);
    const sid = res.headers["mcp-session-id"];
    if (typeof sid === "string") this.sessionId = sid;
    this.protocolVersion = msg.result.protocolVersion;
    this.initializeResult = msg.result;
    const ok = await this.send("POST", '{"jsonrpc":"2.0","method":"notifications/initialized"}');
    if (ok.status !== 202) throw new Error(`notifications/initialized: HTTP ${ok.status} ${ok.body.slice(0, 300)}`);
    return this;
  }

  /** One request; its JSON-RPC response, or `{ httpStatus, body }` for a status other than 200. */
  async request(method, params) {
    const id = this.nextId++;
    const res = await this.send("POST", JSON.stringify({ jsonrpc: "2.0", id, method, params }));
    if (res.status !== 200) return { httpStatus: res.status, body: res.body, headers: res.headers };
    const msg = findResponse(res.headers["content-type"], res.body, id);
    if (!msg) throw new Error(`${method}: no response with id ${id} in ${res.body.slice(0, 300)}`);
    return msg;
  }

  callTool(name, args) {
    return this.request("tools/call", { name, arguments: args });
  }

  async close() {
    try {
      if (this.sessionId) await this.send("DELETE");
    } catch {
      // best effort
    }
    this.sessionId = undefined;
    this.conn?.close();
  }
}

/** The text of a tools/call result's first content item, or undefined. */
export const resultText = (msg) => msg?.result?.content?.[0]?.text;

const pct = (sorted, p) => (sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]);

/**
 * N loops in flight against `url`, each on its own session, calling `tool` with `args` and checking the
 * answer's text is `expect`.
 * @returns {Promise<{ inFlight: number, calls: number, errors: number, firstError?: string, seconds: number, callsPerSec: number, p50Us: number, p99Us: number, meanUs: number }>}
 */
export async function runLoad({ url, inFlight, durationMs = 3000, warmupMs = 1000, totalCalls, headers = {}, tool = "echo", args = { text: "the quick brown fox jumps over the lazy dog" }, expect = args.text, sessionCalls, timeoutMs = 30_000, agent, client = "raw", stopOnError = true, onTimed }) {
  const raw = client === "raw";
  const ownAgent = raw ? undefined : (agent ?? keepAliveAgent(inFlight + 2));
  const samples = [];
  let calls = 0; // timed calls (after the warm-up)
  let made = 0; // every call
  let errors = 0;
  let firstError;
  const denied = {};
  let deniedCount = 0;
  const failed = {};
  const t0 = performance.now();
  let timedFrom = Infinity;
  let timedTo = 0;
  const counting = typeof totalCalls === "number";
  let stop = false;
  const openSession = () => new McpHttpSession(url, { agent: ownAgent, raw, headers, timeoutMs }).open();
  const sessions = await Promise.all(Array.from({ length: inFlight }, openSession));
  const start = performance.now();
  const warmEnd = start + warmupMs;
  const end = warmEnd + durationMs;
  let timedStarted = false;
  const loop = async (i) => {
    let s = sessions[i];
    let used = 0;
    while (!stop) {
      if (counting ? made >= totalCalls : performance.now() >= end) break;
      made++;
      if (sessionCalls && used >= sessionCalls) {
        await s.close();
        s = await openSession();
        used = 0;
      }
      used++;
      const a = performance.now();
      let msg;
      try {
        msg = await s.callTool(tool, args);
      } catch (e) {
        msg = { transportError: String(e?.message ?? e) };
      }
      const b = performance.now();
      const timed = counting ? true : a >= warmEnd;
      if (timed) {
        if (!timedStarted) {
          timedStarted = true;
          onTimed?.();
        }
        if (a < timedFrom) timedFrom = a;
        if (b > timedTo) timedTo = b;
        calls++;
        samples.push(b - a);
      }
      if (resultText(msg) === expect && !msg.result?.isError) continue;
      const code = msg?.error?.data?.reasons?.[0]?.code;
      if ((msg?.error?.code === -32010 || msg?.error?.code === -32011) && typeof code === "string") {
        // A policy denial (e.g. budget_unavailable when the store did not answer in time): an answer, counted apart.
        if (timed) {
          denied[code] = (denied[code] ?? 0) + 1;
          deniedCount++;
        }
      } else {
        errors++;
        const kind = msg?.transportError ? "transport" : typeof msg?.error?.code === "number" ? String(msg.error.code) : msg?.httpStatus ? `HTTP ${msg.httpStatus}` : "wrong answer";
        if (timed) failed[kind] = (failed[kind] ?? 0) + 1;
        firstError ??= JSON.stringify(msg).slice(0, 500);
        if (stopOnError && errors > 1000) stop = true;
      }
    }
    sessions[i] = s;
  };
  await Promise.all(sessions.map((_, i) => loop(i)));
  await Promise.all(sessions.map((s) => s.close()));
  if (ownAgent && !agent) ownAgent.destroy();
  samples.sort((x, y) => x - y);
  const seconds = (timedTo - timedFrom) / 1000;
  const mean = samples.reduce((x, y) => x + y, 0) / (samples.length || 1);
  return {
    inFlight,
    calls,
    errors,
    ...(firstError !== undefined && { firstError }),
    denied,
    failed,
    allowed: calls - deniedCount - Object.values(failed).reduce((x, y) => x + y, 0),
    seconds,
    callsPerSec: calls / seconds,
    allowedPerSec: (calls - deniedCount - Object.values(failed).reduce((x, y) => x + y, 0)) / seconds,
    p50Us: pct(samples, 0.5) * 1000,
    p99Us: pct(samples, 0.99) * 1000,
    meanUs: mean * 1000,
    setupMs: start - t0,
  };
}

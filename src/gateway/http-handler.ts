/**
 * The gateway's HTTP front: the MCP endpoint (Streamable HTTP, spec 2025-11-25 and 2025-06-18), health,
 * readiness and the OAuth protected resource metadata. Every request is checked in this order, and the
 * first failure answers it (docs/gateway.md lists the statuses):
 *   path (404) → draining (503) → Host and Origin against DNS rebinding (403) → authentication
 *   (401/403/429, with WWW-Authenticate) → method (405) → headers (406 Accept, 415 Content-Type,
 *   400 MCP-Protocol-Version) → body size (413) → one JSON-RPC message (400) → session (400 without one,
 *   404 unknown or another subject's) → per-session limits (429, 400 duplicate id).
 * GUARANTEES: authentication runs on EVERY request (tokens are validated each time, never cached per
 * session) and before any body is read; a session answers only the subject that opened it (another one gets
 * 404, as for a session that does not exist); a JSON-RPC request is answered exactly once (its POST, or the
 * SSE stream it became); nothing here throws into Node's HTTP server (a fault answers 500 when it still can).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { isSupportedProtocolVersion, MCP_ERROR_CODES, parseMessageText, type Caller } from "../mcp/index.js";
import { requestFactsOf, type AuthOutcome, type Authenticator } from "./auth/index.js";
import type { GatewayConfig } from "./config/types.js";
import { isLoopback } from "./config/values.js";
import type { Logger } from "./logger.js";
import type { GatewaySession } from "./session.js";

export interface SessionTable {
  get(id: string): GatewaySession | undefined;
  /** A new session for `subject`; undefined when the gateway holds as many as it may. */
  create(subject: string, caller: Caller): GatewaySession | undefined;
  end(id: string, reason: string): Promise<void>;
}

export interface HandlerDeps {
  readonly config: GatewayConfig;
  readonly logger: Logger;
  readonly authenticator: Authenticator;
  readonly sessions: SessionTable;
  readonly draining: () => boolean;
  /** The body of /readyz and whether it is ready. */
  readonly readiness: () => { ready: boolean; body: Record<string, unknown> };
}

type Auth = Extract<AuthOutcome, { ok: true }>;

const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]", "::1"]);

export function isLoopbackHost(host: string): boolean {
  return LOOPBACK_HOSTS.has(host.toLowerCase()) || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** `host[:port]` → host (brackets kept for IPv6), lower case; undefined when malformed. */
export function hostnameOf(hostHeader: string): string | undefined {
  const h = hostHeader.trim().toLowerCase();
  if (h === "" || h.length > 255) return undefined;
  if (h.startsWith("[")) {
    const end = h.indexOf("]");
    if (end < 0) return undefined;
    const rest = h.slice(end + 1);
    if (rest !== "" && !/^:\d{1,5}$/.test(rest)) return undefined;
    return h.slice(0, end + 1);
  }
  const m = /^([a-z0-9.-]+)(?::(\d{1,5}))?$/.exec(h);
  return m ? m[1] : undefined;
}

function jsonRpcError(res: ServerResponse, status: number, code: number, message: string, headers: Record<string, string> = {}, id: string | number | null = null): void {
  if (res.headersSent || res.destroyed) return;
  const body = JSON.stringify({ jsonrpc: "2.0", id, error: { code, message } });
  try {
    res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body), ...headers });
    res.end(body);
  } catch {
    // the client went away
  }
}

function sendJson(res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  const body = JSON.stringify(value);
  try {
    res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body), ...headers });
    res.end(body);
  } catch {
    // the client went away
  }
}

type BodyResult = { ok: true; text: string } | { ok: false; status: 413 | 400 };

function readBody(req: IncomingMessage, max: number): Promise<BodyResult> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > max) return Promise.resolve({ ok: false, status: 413 });
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on("data", (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > max) {
        done = true;
        chunks.length = 0;
        resolve({ ok: false, status: 413 });
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => {
      if (done) return;
      done = true;
      resolve({ ok: true, text: chunks.length === 1 ? (chunks[0] as Buffer).toString("utf8") : Buffer.concat(chunks).toString("utf8") });
    });
    req.on("error", () => {
      if (done) return;
      done = true;
      resolve({ ok: false, status: 400 });
    });
  });
}

export function createRequestListener(deps: HandlerDeps): (req: IncomingMessage, res: ServerResponse) => void {
  const { config, logger } = deps;
  const listen = config.listen;
  // The same test as the config's (E1016: no authentication only on loopback).
  const loopback = isLoopback(listen.host);
  const allowedHosts = listen.allowedHosts?.map((h) => hostnameOf(h) ?? h.toLowerCase()) ?? (loopback ? [...LOOPBACK_HOSTS] : undefined);
  const allowedOrigins = new Set(listen.allowedOrigins.map((o) => o.toLowerCase().replace(/\/$/, "")));
  const maxBody = config.limits.maxBodyBytes;

  const originAllowed = (origin: string): boolean => {
    const o = origin.toLowerCase();
    if (allowedOrigins.has(o)) return true;
    if (!loopback) return false;
    try {
      const u = new URL(o);
      return (u.protocol === "http:" || u.protocol === "https:") && isLoopbackHost(u.hostname);
    } catch {
      return false;
    }
  };

  const corsHeaders = (origin: string | undefined): Record<string, string> =>
    origin !== undefined
      ? { "access-control-allow-origin": origin, vary: "Origin", "access-control-expose-headers": "Mcp-Session-Id, WWW-Authenticate, MCP-Protocol-Version" }
      : {};

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    const pathname = q < 0 ? url : url.slice(0, q);
    if (pathname === "/healthz") return sendJson(res, 200, { status: "ok" });
    if (pathname === "/readyz") {
      const r = deps.readiness();
      return sendJson(res, r.ready ? 200 : 503, r.body);
    }
    if (deps.authenticator.metadataPaths.includes(pathname)) {
      const doc = deps.authenticator.protectedResourceMetadata();
      if (!doc) return sendJson(res, 404, { error: "not_found" });
      if (req.method !== "GET" && req.method !== "HEAD") return sendJson(res, 405, { error: "method_not_allowed" }, { allow: "GET" });
      return sendJson(res, 200, doc, { "cache-control": "max-age=300", "access-control-allow-origin": "*" });
    }
    if (pathname !== listen.path) return sendJson(res, 404, { error: "not_found" });
    if (deps.draining()) return jsonRpcError(res, 503, MCP_ERROR_CODES.UPSTREAM_UNAVAILABLE, "the gateway is shutting down", { connection: "close", "retry-after": "1" });

    // DNS rebinding: the Host a browser was tricked into using, and the Origin of the page, must be ours.
    if (allowedHosts) {
      const host = hostnameOf(String(req.headers.host ?? ""));
      if (host === undefined || !allowedHosts.includes(host)) return jsonRpcError(res, 403, MCP_ERROR_CODES.INVALID_REQUEST, "Forbidden: this Host is not allowed");
    }
    const origin = typeof req.headers.origin === "string" ? req.headers.origin : undefined;
    if (origin !== undefined && !originAllowed(origin)) return jsonRpcError(res, 403, MCP_ERROR_CODES.INVALID_REQUEST, "Forbidden: this Origin is not allowed");
    const cors = corsHeaders(origin);
    if (req.method === "OPTIONS") {
      res.writeHead(204, {
        ...cors,
        "access-control-allow-methods": "GET, POST, DELETE",
        "access-control-allow-headers": "Authorization, Content-Type, Accept, Mcp-Session-Id, MCP-Protocol-Version, Last-Event-ID, X-API-Key",
        "access-control-max-age": "600",
      });
      res.end();
      return;
    }

    const auth = await deps.authenticator.authenticate(requestFactsOf(req));
    if (!auth.ok) {
      logger.info("request refused", { status: auth.status, error: auth.body.error, ip: req.socket.remoteAddress });
      return sendJson(res, auth.status, auth.body, { ...auth.headers, ...cors });
    }
    for (const [k, v] of Object.entries(cors)) res.setHeader(k, v);

    switch (req.method) {
      case "POST":
        return post(req, res, auth);
      case "GET":
        return get(req, res, auth);
      case "DELETE":
        return del(req, res, auth);
      default:
        return jsonRpcError(res, 405, MCP_ERROR_CODES.INVALID_REQUEST, "Method Not Allowed", { allow: "GET, POST, DELETE" });
    }
  }

  function sessionOf(req: IncomingMessage, res: ServerResponse, auth: Auth): GatewaySession | undefined {
    const sid = req.headers["mcp-session-id"];
    if (typeof sid !== "string" || sid === "") {
      jsonRpcError(res, 400, MCP_ERROR_CODES.INVALID_REQUEST, "Bad Request: Mcp-Session-Id header is required");
      return undefined;
    }
    const session = deps.sessions.get(sid);
    if (!session || session.closed || session.subject !== auth.subject) {
      jsonRpcError(res, 404, MCP_ERROR_CODES.INVALID_REQUEST, "Session not found");
      return undefined;
    }
    return session;
  }

  const versionOk = (req: IncomingMessage, res: ServerResponse): boolean => {
    const v = req.headers["mcp-protocol-version"];
    if (v === undefined || isSupportedProtocolVersion(v)) return true;
    jsonRpcError(res, 400, MCP_ERROR_CODES.INVALID_REQUEST, `Bad Request: unsupported MCP-Protocol-Version ${JSON.stringify(String(v)).slice(0, 40)}`);
    return false;
  };

  const callerOf = (auth: Auth, session: GatewaySession): Caller => ({ principal: auth.principal, client: auth.client, session: { id: session.id } });

  async function post(req: IncomingMessage, res: ServerResponse, auth: Auth): Promise<void> {
    const ctype = String(req.headers["content-type"] ?? "");
    if (!/^application\/json\s*(;|$)/i.test(ctype)) return jsonRpcError(res, 415, MCP_ERROR_CODES.INVALID_REQUEST, "Unsupported Media Type: Content-Type must be application/json");
    const accept = String(req.headers.accept ?? "*/*");
    const acceptsJson = /application\/json|application\/\*|\*\/\*/i.test(accept);
    const acceptsSse = /text\/event-stream|text\/\*|\*\/\*/i.test(accept);
    if (!acceptsJson) return jsonRpcError(res, 406, MCP_ERROR_CODES.INVALID_REQUEST, "Not Acceptable: the client must accept application/json");
    if (!versionOk(req, res)) return;
    const body = await readBody(req, maxBody);
    if (!body.ok) {
      if (body.status === 413) {
        jsonRpcError(res, 413, MCP_ERROR_CODES.MESSAGE_TOO_LARGE, `the message is over the gateway's limit of ${maxBody} bytes`, { connection: "close" });
        res.once("finish", () => req.destroy());
      } else jsonRpcError(res, 400, MCP_ERROR_CODES.PARSE_ERROR, "the request body could not be read");
      return;
    }
    const parsed = parseMessageText(body.text, { maxBytes: maxBody });
    if (parsed.kind === "invalid") return jsonRpcError(res, 400, parsed.error.error.code, parsed.error.error.message, {}, parsed.error.id);

    if (parsed.kind === "request" && parsed.message.method === "initialize") {
      const session = deps.sessions.create(auth.subject, { principal: auth.principal, client: auth.client });
      if (!session) return jsonRpcError(res, 503, MCP_ERROR_CODES.UPSTREAM_UNAVAILABLE, "the gateway holds as many sessions as it may; try again later", { "retry-after": "5" }, parsed.message.id);
      logger.info("session opened", { session: session.id, subject: auth.subject, via: auth.via });
      session.channel.expect(parsed.message.id, res, acceptsSse);
      return session.fromClient(parsed.message, callerOf(auth, session));
    }
    const session = sessionOf(req, res, auth);
    if (!session) return;
    if (parsed.kind === "request") {
      const id = parsed.message.id;
      if (session.channel.has(id)) return jsonRpcError(res, 400, MCP_ERROR_CODES.INVALID_REQUEST, "a request with this id is already in flight in this session", {}, null);
      if (session.channel.pending >= config.limits.maxInFlightPerSession) {
        return jsonRpcError(res, 429, MCP_ERROR_CODES.INVALID_REQUEST, `too many requests in flight in this session (at most ${config.limits.maxInFlightPerSession})`, { "retry-after": "1" }, id);
      }
      session.channel.expect(id, res, acceptsSse);
      return session.fromClient(parsed.message, callerOf(auth, session));
    }
    res.writeHead(202, { "mcp-session-id": session.id });
    res.end();
    return session.fromClient(parsed.message, callerOf(auth, session));
  }

  function get(req: IncomingMessage, res: ServerResponse, auth: Auth): void {
    const accept = String(req.headers.accept ?? "");
    if (!/text\/event-stream|\*\/\*/i.test(accept)) return jsonRpcError(res, 406, MCP_ERROR_CODES.INVALID_REQUEST, "Not Acceptable: the client must accept text/event-stream");
    if (!versionOk(req, res)) return;
    const session = sessionOf(req, res, auth);
    if (!session) return;
    session.lastSeen = Date.now();
    const last = req.headers["last-event-id"];
    const r = session.channel.openGet(res, typeof last === "string" ? last : undefined);
    if (r === "conflict") return jsonRpcError(res, 409, MCP_ERROR_CODES.INVALID_REQUEST, "Conflict: this session already has an open SSE stream");
    if (r === "unknown-event") return jsonRpcError(res, 400, MCP_ERROR_CODES.INVALID_REQUEST, "Bad Request: unknown Last-Event-ID (the events are no longer kept)");
  }

  async function del(req: IncomingMessage, res: ServerResponse, auth: Auth): Promise<void> {
    if (!versionOk(req, res)) return;
    const session = sessionOf(req, res, auth);
    if (!session) return;
    await deps.sessions.end(session.id, "the client ended the session");
    logger.info("session ended by the client", { session: session.id, subject: auth.subject });
    res.writeHead(200, { "content-length": "0" });
    res.end();
  }

  return (req, res) => {
    handle(req, res).catch((e) => {
      logger.error("request failed", { error: (e as Error)?.message ?? String(e) });
      jsonRpcError(res, 500, MCP_ERROR_CODES.INTERNAL_ERROR, "internal error");
    });
  };
}

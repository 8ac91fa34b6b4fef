/**
 * The link to an upstream MCP server over Streamable HTTP (2025-11-25, and 2025-06-18 servers), written on
 * node:http/https (the SDK's client transport is too slow for the gateway's hot path).
 * GUARANTEES (with link.ts's):
 * - Each message is one POST (`Accept: application/json, text/event-stream`, the configured headers,
 *   `Mcp-Session-Id` once the upstream gave one, `MCP-Protocol-Version` from the initialize result that
 *   passed through), its body serialised once, over a keep-alive agent shared per upstream (agents.ts).
 * - Answers: 202 for a notification or response; `application/json` (one message, or an array of them);
 *   `text/event-stream`, every message of which is emitted with `related` = the POST's request id. A POST's
 *   stream that ends before the response of its request arrived is resumed with GET + `Last-Event-ID` after
 *   the server's `retry` (default 1 s), as long as the server keeps giving event ids (SEP-1699 polling),
 *   at most 5 times in a row without one; a stream that cannot be resumed answers its request -32013.
 * - After `notifications/initialized` was accepted, a standalone GET stream carries the server's unrelated
 *   messages (`related` undefined); 405 (or another 4xx but 408/409/429) = the server has none; it is
 *   reopened (with `Last-Event-ID`) after it ends, after the server's `retry` or with backoff, while the
 *   link lives.
 * - 404 on anything sent with a session id: the upstream session is gone -> onClose. A connection refused,
 *   reset or timed out -> onClose (a reset on a reused keep-alive socket before any answer is retried once
 *   on a new connection: the server closed an idle socket and never saw the request).
 * - Per request: an HTTP error with a JSON-RPC error body -> that error, for the request's id; any other
 *   HTTP error, a non-JSON body, a stream ended without the answer, no answer within `requestTimeoutMs`
 *   (`connectTimeoutMs` for initialize, whose timeout closes the link) -> -32013 for its id; an answer or
 *   an event over `maxMessageBytes` -> -32012 for its id (never buffered whole: reading stops at the cap).
 *   A request that timed out is cancelled upstream (`notifications/cancelled`). A client's
 *   `notifications/cancelled` drops the stream of the request it names (no answer is emitted for it).
 * - close(): DELETE with the session id (errors ignored, at most 5 s), then every socket of this link's
 *   exchanges is destroyed.
 */
import http, { type ClientRequest, type IncomingMessage, type OutgoingHttpHeaders, type RequestOptions } from "node:http";
import https from "node:https";
import type { Socket } from "node:net";
import type { UpstreamConfig } from "../config/types.js";
import { DEFAULT_MAX_SERVER_MESSAGE_BYTES, errorResponse, MCP_ERROR_CODES, type JsonRpcId, type JsonRpcMessage } from "../../mcp/index.js";
import { acquireAgent, releaseAgent } from "./agents.js";
import { Deadlines, type Deadlined } from "./deadlines.js";
import { requestIdOf, responseIdOf, type LinkEvents, type LinkOptions, type UpstreamLink } from "./link.js";
import { SseParser } from "./sse-parser.js";

/** Resumptions in a row without a new event id before a request is given up. */
const MAX_RESUMES = 5;
/** Wait before resuming a stream when the server gave no `retry`. */
const DEFAULT_RETRY_MS = 1000;
/** The longest close() waits for its DELETE. */
const DELETE_TIMEOUT_MS = 5000;
const RESOLVED: Promise<void> = Promise.resolve();
const ignore = (): void => {};

/** A request in flight. */
interface Pending extends Deadlined {
  /** The exchange now carrying its answer: the POST, or a GET resuming its stream. */
  req: ClientRequest | undefined;
  /** Answered, failed, expired or cancelled: every later event about it is ignored. */
  done: boolean;
  lastEventId: string | undefined;
  retryMs: number | undefined;
  resumes: number;
  timer: NodeJS.Timeout | undefined;
  readonly init: boolean;
}

export function openHttpLink(upstream: UpstreamConfig, events: LinkEvents, options?: LinkOptions): UpstreamLink {
  return new HttpLink(upstream, events, options);
}

class HttpLink implements UpstreamLink {
  readonly kind = "http" as const;
  readonly #up: UpstreamConfig;
  readonly #events: LinkEvents;
  readonly #max: number;
  readonly #request: typeof http.request;
  readonly #agentKey: string;
  readonly #agent: http.Agent;
  readonly #target: { protocol: string; hostname: string; port: string | undefined; path: string };
  readonly #userHeaders: Record<string, string>;
  /** Reused by every POST (node:http copies options and headers when a request is made). */
  readonly #postHeaders: OutgoingHttpHeaders;
  readonly #postOptions: RequestOptions;
  readonly #pending: Deadlines<Pending>;
  #sessionId: string | undefined;
  #protocolVersion: string | undefined;
  #closed = false;
  #closing: Promise<void> | undefined;
  #agentHeld = true;
  /** The standalone GET stream. */
  #get: ClientRequest | undefined;
  #getStarted = false;
  #getTimer: NodeJS.Timeout | undefined;
  #getLastEventId: string | undefined;
  #getRetryMs: number | undefined;
  #getDelay: number;

  constructor(upstream: UpstreamConfig, events: LinkEvents, options?: LinkOptions) {
    if (upstream.url === undefined) throw new TypeError(`upstream \`${upstream.name}\` has no url`);
    const url = new URL(upstream.url);
    if (url.protocol !== "http:" && url.protocol !== "https:") throw new TypeError(`upstream \`${upstream.name}\`: url must be http(s), got \`${url.protocol}\``);
    this.#up = upstream;
    this.#events = events;
    const max = options?.maxMessageBytes;
    this.#max = typeof max === "number" && Number.isSafeInteger(max) && max > 0 ? max : DEFAULT_MAX_SERVER_MESSAGE_BYTES;
    const secure = url.protocol === "https:";
    this.#request = secure ? https.request : http.request;
    this.#agentKey = `${upstream.name}\n${url.origin}`;
    this.#agent = acquireAgent(this.#agentKey, secure);
    this.#target = { protocol: url.protocol, hostname: url.hostname.replace(/^\[(.*)\]$/, "$1"), port: url.port === "" ? undefined : url.port, path: url.pathname + url.search };
    const user: Record<string, string> = {};
    for (const [k, v] of Object.entries(upstream.headers ?? {})) user[k.toLowerCase()] = v;
    this.#userHeaders = user;
    this.#postHeaders = { ...user, accept: "application/json, text/event-stream", "content-type": "application/json", "content-length": 0 };
    this.#postOptions = { ...this.#target, method: "POST", agent: this.#agent, headers: this.#postHeaders };
    this.#pending = new Deadlines<Pending>(Math.min(upstream.requestTimeoutMs, upstream.connectTimeoutMs), (p) => this.#expired(p));
    this.#getDelay = upstream.backoff.initialMs;
  }

  send(message: JsonRpcMessage): Promise<void> {
    const id = requestIdOf(message);
    if (this.#closed) {
      if (id !== undefined) queueMicrotask(() => this.#emit(errorResponse(id, MCP_ERROR_CODES.UPSTREAM_UNAVAILABLE, `upstream \`${this.#up.name}\`: the link is closed`), id));
      return RESOLVED;
    }
    let body: string;
    try {
      body = JSON.stringify(message);
    } catch (err) {
      if (id !== undefined) queueMicrotask(() => this.#emit(errorResponse(id, MCP_ERROR_CODES.INTERNAL_ERROR, `cannot serialise the request: ${(err as Error).message}`), id));
      return RESOLVED;
    }
    const method = (message as { method?: unknown }).method;
    if (id !== undefined) {
      const init = method === "initialize";
      const p: Pending = {
        id,
        deadline: Date.now() + (init ? this.#up.connectTimeoutMs : this.#up.requestTimeoutMs),
        req: undefined,
        done: false,
        lastEventId: undefined,
        retryMs: undefined,
        resumes: 0,
        timer: undefined,
        init,
      };
      this.#pending.add(p);
      this.#post(body, p, false, undefined, false);
      return RESOLVED;
    }
    if (method === "notifications/cancelled") this.#forget((message as { params?: { requestId?: unknown } }).params?.requestId);
    return new Promise<void>((resolve) => this.#post(body, undefined, false, resolve, method === "notifications/initialized"));
  }

  close(): Promise<void> {
    if (this.#closing !== undefined) return this.#closing;
    const sessionId = this.#closed ? undefined : this.#sessionId;
    this.#shutdown(false);
    this.#closing = (sessionId === undefined ? RESOLVED : this.#delete(sessionId)).then(() => this.#releaseAgent());
    return this.#closing;
  }

  // ───────────────────────── POST ─────────────────────────

  #post(body: string, p: Pending | undefined, retried: boolean, done: (() => void) | undefined, initialized: boolean): void {
    this.#postHeaders["content-length"] = Buffer.byteLength(body);
    let req: ClientRequest;
    try {
      req = this.#request(this.#postOptions);
    } catch (err) {
      done?.();
      this.#fail(`cannot send to ${this.#up.url}: ${(err as Error).message}`);
      return;
    }
    if (p !== undefined) p.req = req;
    let answered = false;
    req.once("socket", this.#onSocket);
    req.once("response", (res: IncomingMessage) => {
      answered = true;
      this.#postResponse(res, p, done, initialized);
    });
    req.on("error", (err: NodeJS.ErrnoException) => {
      if (answered) return; // the response's own handlers see it
      if (this.#closed || p?.done === true) return done?.();
      if (!retried && req.reusedSocket && err.code === "ECONNRESET") return this.#post(body, p, true, done, initialized);
      done?.();
      this.#fail(`cannot reach ${this.#up.url}: ${err.message}`);
    });
    req.end(body);
  }

  #postResponse(res: IncomingMessage, p: Pending | undefined, done: (() => void) | undefined, initialized: boolean): void {
    if (this.#sessionId === undefined) this.#learnSession(res);
    const status = res.statusCode ?? 0;
    if (this.#closed || p?.done === true) {
      res.resume();
      return done?.();
    }
    if (status === 404 && this.#sessionId !== undefined) {
      res.resume();
      done?.();
      return this.#fail(`the upstream session is gone (HTTP 404)`);
    }
    if (p === undefined) {
      // A notification or a response: accepted or refused, nothing waits for an answer.
      res.resume();
      done?.();
      if (initialized && status >= 200 && status < 300 && !this.#getStarted) {
        this.#getStarted = true;
        this.#openGet(undefined);
      }
      return;
    }
    const type = contentType(res);
    if (status >= 200 && status < 300) {
      if (type === "text/event-stream") return this.#readSse(res, p);
      if (status === 202 || status === 204) {
        res.resume();
        return this.#failRequest(p, `accepted the request without answering it (HTTP ${status})`);
      }
    }
    this.#readBody(res, p, status);
  }

  #readBody(res: IncomingMessage, p: Pending, status: number): void {
    const max = this.#max;
    const declared = Number(res.headers["content-length"]);
    if (declared > max) {
      res.destroy();
      return this.#tooLarge(p, declared);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    res.on("data", (chunk: Buffer) => {
      if (over) return;
      size += chunk.length;
      if (size > max) {
        over = true;
        res.destroy();
        this.#tooLarge(p, size);
        return;
      }
      chunks.push(chunk);
    });
    res.on("error", ignore); // `close` follows and decides
    res.once("close", () => {
      if (over || p.done || this.#closed) return;
      if (!res.complete) return this.#fail("the connection was reset while the upstream answered");
      // INVARIANT: one concat per body (none for a body that came in one chunk).
      this.#answered(p, status, chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size));
    });
  }

  #answered(p: Pending, status: number, body: Buffer): void {
    p.req = undefined; // complete: its socket went back to the pool
    let value: unknown;
    let json = false;
    if (body.length > 0) {
      try {
        value = JSON.parse(body.toString("utf8"));
        json = true;
      } catch {
        // not JSON: answered below
      }
    }
    if (status >= 200 && status < 300) {
      if (!json) return this.#failRequest(p, `answered with a body that is not JSON (HTTP ${status})`, { status });
      if (Array.isArray(value)) for (const m of value) this.#deliver(m, p.id);
      else this.#deliver(value, p.id);
      if (!p.done) this.#failRequest(p, `answered HTTP ${status} without the response to the request`, { status });
      return;
    }
    if (json && isErrorBody(value)) {
      // The server's JSON-RPC error (an HTTP-level one has id null): it answers this request.
      const e = value as { id?: unknown; error: unknown };
      return this.#deliver(e.id === p.id ? value : { jsonrpc: "2.0", id: p.id, error: e.error }, p.id);
    }
    this.#failRequest(p, `answered HTTP ${status}${json ? "" : " with a body that is not JSON"}`, { status });
  }

  // ───────────────────────── SSE ─────────────────────────

  /** Reads an event stream: a POST's or a GET resuming it (`p` given), or the standalone GET (`p` undefined). */
  #readSse(res: IncomingMessage, p: Pending | undefined, resumed = false): void {
    const related = p?.id;
    let stop = false;
    const parser = new SseParser(this.#max, {
      onId: (id) => {
        if (p === undefined) this.#getLastEventId = id;
        else {
          p.lastEventId = id;
          p.resumes = 0;
        }
      },
      onRetry: (ms) => {
        if (p === undefined) this.#getRetryMs = ms;
        else p.retryMs = ms;
      },
      onEvent: (data) => {
        if (this.#closed) return;
        let message: unknown;
        try {
          message = JSON.parse(data);
        } catch {
          if (p === undefined || p.done) return; // the standalone stream skips it
          stop = true;
          res.destroy();
          return this.#failRequest(p, "sent an event that is not JSON");
        }
        this.#deliver(message, related);
        // A resumed stream has served its purpose once the answer came: a server that keeps it open must
        // not hold a pooled socket (the rest of this chunk is still read).
        if (resumed && p !== undefined && p.done && !stop) {
          stop = true;
          setImmediate(() => res.destroy());
        }
      },
      onOversize: (bytes) => {
        if (p === undefined || p.done) return;
        stop = true;
        res.destroy();
        this.#tooLarge(p, bytes);
      },
    });
    res.on("data", (chunk: Buffer) => {
      if (!stop) parser.push(chunk);
    });
    res.on("error", ignore); // `close` follows and decides
    res.once("close", () => {
      if (stop || this.#closed) return;
      if (p === undefined) return this.#getEnded(false);
      if (p.done) return;
      p.req = undefined;
      if (p.lastEventId !== undefined) return this.#resume(p);
      if (!res.complete) return this.#fail("the connection was reset while the upstream answered");
      this.#failRequest(p, "ended its event stream without answering the request");
    });
  }

  #resume(p: Pending): void {
    if (++p.resumes > MAX_RESUMES) return this.#failRequest(p, `closed its event stream ${MAX_RESUMES} times in a row without answering`);
    p.timer = setTimeout(() => {
      p.timer = undefined;
      if (!p.done && !this.#closed) this.#openGet(p);
    }, p.retryMs ?? DEFAULT_RETRY_MS);
  }

  /** A GET: resuming the stream of `p` (with its Last-Event-ID), or the standalone stream. */
  #openGet(p: Pending | undefined): void {
    const headers: OutgoingHttpHeaders = { ...this.#userHeaders, accept: "text/event-stream" };
    if (this.#sessionId !== undefined) headers["mcp-session-id"] = this.#sessionId;
    if (this.#protocolVersion !== undefined) headers["mcp-protocol-version"] = this.#protocolVersion;
    const last = p === undefined ? this.#getLastEventId : p.lastEventId;
    if (last !== undefined) headers["last-event-id"] = last;
    let req: ClientRequest;
    try {
      // The standalone stream lives as long as the link: its own connection, outside the shared pool.
      req = this.#request({ ...this.#target, method: "GET", agent: p === undefined ? false : this.#agent, headers });
    } catch (err) {
      return this.#fail(`cannot send to ${this.#up.url}: ${(err as Error).message}`);
    }
    if (p === undefined) this.#get = req;
    else p.req = req;
    let answered = false;
    req.once("socket", this.#onSocket);
    req.once("response", (res: IncomingMessage) => {
      answered = true;
      const status = res.statusCode ?? 0;
      if (this.#closed || p?.done === true) return void res.resume();
      if (status === 404 && this.#sessionId !== undefined) {
        res.resume();
        return this.#fail("the upstream session is gone (HTTP 404)");
      }
      if (status >= 200 && status < 300 && contentType(res) === "text/event-stream") {
        if (p === undefined) this.#getDelay = this.#up.backoff.initialMs;
        return this.#readSse(res, p, p !== undefined);
      }
      res.resume();
      if (p !== undefined) return this.#failRequest(p, `refused to resume its event stream (HTTP ${status})`, { status });
      if (status >= 400 && status < 500 && status !== 408 && status !== 409 && status !== 429) {
        this.#get = undefined; // 405 (or another refusal): the server offers no standalone stream, fine
        return;
      }
      this.#getEnded(true);
    });
    req.on("error", (err: Error) => {
      if (answered || this.#closed || p?.done === true) return;
      if (p === undefined && this.#get !== req) return;
      this.#fail(`cannot reach ${this.#up.url}: ${err.message}`);
    });
    req.end();
  }

  /** The standalone stream ended (or was refused): open it again after the server's retry or the backoff. */
  #getEnded(refused: boolean): void {
    this.#get = undefined;
    if (this.#closed) return;
    const wait = refused ? this.#getDelay : (this.#getRetryMs ?? this.#getDelay);
    if (refused) this.#getDelay = Math.min(this.#getDelay * 2, this.#up.backoff.maxMs);
    this.#getTimer = setTimeout(() => {
      this.#getTimer = undefined;
      if (!this.#closed) this.#openGet(undefined);
    }, wait);
  }

  // ───────────────────────── answers ─────────────────────────

  /** Every message from the upstream goes out here; a response settles its request. */
  #deliver(message: unknown, related: JsonRpcId | undefined): void {
    const rid = responseIdOf(message);
    if (rid !== undefined) {
      const p = this.#pending.take(rid);
      if (p !== undefined) {
        p.done = true;
        if (p.timer !== undefined) clearTimeout(p.timer);
        if (p.init) this.#learnVersion(message);
      }
    }
    this.#emit(message, related);
  }

  #emit(message: unknown, related: JsonRpcId | undefined): void {
    try {
      this.#events.onMessage(message, related);
    } catch {
      // The receiver's fault must not break this link's I/O handlers.
    }
  }

  #failRequest(p: Pending, what: string, data?: unknown, code: number = MCP_ERROR_CODES.UPSTREAM_UNAVAILABLE): void {
    if (p.done) return;
    this.#pending.take(p.id);
    this.#settle(p);
    this.#emit(errorResponse(p.id, code, `upstream \`${this.#up.name}\` ${what}`, data), p.id);
  }

  #tooLarge(p: Pending, bytes: number): void {
    this.#failRequest(p, `sent an answer over the size limit (${bytes} bytes, limit ${this.#max})`, { bytes, limit: this.#max }, MCP_ERROR_CODES.MESSAGE_TOO_LARGE);
  }

  /** Marks `p` done and stops whatever carries it. */
  #settle(p: Pending): void {
    p.done = true;
    if (p.timer !== undefined) clearTimeout(p.timer);
    p.timer = undefined;
    const req = p.req;
    p.req = undefined;
    req?.destroy();
  }

  #expired(p: Pending): void {
    if (p.done || this.#closed) return;
    this.#settle(p);
    if (p.init) return this.#fail(`the upstream did not answer initialize within ${this.#up.connectTimeoutMs} ms`);
    this.#emit(errorResponse(p.id, MCP_ERROR_CODES.UPSTREAM_UNAVAILABLE, `upstream \`${this.#up.name}\` did not answer within ${this.#up.requestTimeoutMs} ms`), p.id);
    this.#post(JSON.stringify({ jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: p.id, reason: "timed out in the gateway" } }), undefined, false, undefined, false);
  }

  /** The client cancelled request `id`: stop waiting for it (the upstream should not answer it). */
  #forget(id: unknown): void {
    if (typeof id !== "string" && typeof id !== "number") return;
    const p = this.#pending.take(id);
    if (p !== undefined) this.#settle(p);
  }

  // ───────────────────────── session facts ─────────────────────────

  #learnSession(res: IncomingMessage): void {
    const sid = res.headers["mcp-session-id"];
    if (typeof sid === "string" && sid !== "") {
      this.#sessionId = sid;
      this.#postHeaders["mcp-session-id"] = sid;
    }
  }

  #learnVersion(message: unknown): void {
    const v = (message as { result?: { protocolVersion?: unknown } }).result?.protocolVersion;
    if (typeof v !== "string" || v === "") return;
    this.#protocolVersion = v;
    this.#postHeaders["mcp-protocol-version"] = v;
  }

  // ───────────────────────── endings ─────────────────────────

  /** A fresh connection gets `connectTimeoutMs` to connect (a reused one has nothing to wait for). */
  readonly #onSocket = (socket: Socket): void => {
    if (!socket.connecting) return;
    const ms = this.#up.connectTimeoutMs;
    const timer = setTimeout(() => socket.destroy(Object.assign(new Error(`no connection within ${ms} ms`), { code: "ETIMEDOUT" })), ms);
    const clear = () => clearTimeout(timer);
    socket.once("connect", clear);
    socket.once("close", clear);
  };

  #fail(reason: string): void {
    if (this.#closed) return;
    this.#shutdown(true);
    try {
      this.#events.onClose(reason);
    } catch {
      // nothing left to tell
    }
  }

  #shutdown(releaseNow: boolean): void {
    this.#closed = true;
    for (const p of this.#pending.drain()) this.#settle(p);
    if (this.#getTimer !== undefined) clearTimeout(this.#getTimer);
    this.#getTimer = undefined;
    const get = this.#get;
    this.#get = undefined;
    get?.destroy();
    if (releaseNow) this.#releaseAgent();
  }

  #releaseAgent(): void {
    if (!this.#agentHeld) return;
    this.#agentHeld = false;
    releaseAgent(this.#agentKey);
  }

  #delete(sessionId: string): Promise<void> {
    return new Promise<void>((resolve) => {
      const headers: OutgoingHttpHeaders = { ...this.#userHeaders, "mcp-session-id": sessionId };
      if (this.#protocolVersion !== undefined) headers["mcp-protocol-version"] = this.#protocolVersion;
      let req: ClientRequest;
      try {
        req = this.#request({ ...this.#target, method: "DELETE", agent: this.#agent, headers });
      } catch {
        return resolve();
      }
      const timer = setTimeout(() => req.destroy(), Math.min(DELETE_TIMEOUT_MS, this.#up.connectTimeoutMs));
      const finish = () => {
        clearTimeout(timer);
        resolve();
      };
      let answered = false;
      req.once("response", (res: IncomingMessage) => {
        answered = true;
        res.resume();
        res.once("close", finish);
      });
      req.once("error", finish);
      req.once("close", () => {
        if (!answered) finish();
      });
      req.end();
    });
  }
}

function contentType(res: IncomingMessage): string {
  const t = res.headers["content-type"];
  if (t === undefined) return "";
  const semi = t.indexOf(";");
  return (semi < 0 ? t : t.slice(0, semi)).trim().toLowerCase();
}

function isErrorBody(v: unknown): boolean {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
  const e = (v as { error?: unknown }).error;
  return typeof e === "object" && e !== null && typeof (e as { code?: unknown }).code === "number" && typeof (e as { message?: unknown }).message === "string";
}

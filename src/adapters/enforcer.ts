/**
 * The enforcer: ONE relay between an MCP client and an MCP server, used by the stdio proxy and the SDK
 * middleware alike (they only move messages). Every message from either side goes through it.
 * Guarantees (fail closed; docs/enforcement.md is the spec):
 * - Nothing reaches the server that the policy did not allow: a client request is forwarded only after
 *   `engine.authorize` allowed it (or, in shadow mode, after it was decided and audited), or when it is a
 *   lifecycle method (initialize, ping) or listed in `allowMethods`. Unknown methods, malformed or
 *   oversized messages, batches and duplicate ids are answered with a JSON-RPC error and never forwarded;
 *   notifications other than the lifecycle ones and responses to requests never sent are dropped.
 * - Tool annotations are the server's: taken from its tools/list (pinned), never from the caller; a tool
 *   not pinned is decided with the spec's defaults for absent annotations.
 * - A decision record is written to the audit sink BEFORE the call is forwarded; a sink that cannot
 *   write denies (`AUDIT_UNAVAILABLE`) unless `auditFailOpen`.
 * - Every allowed call is committed when the server answers (with the tokens of its arguments and of its
 *   result when the policy has token budgets) and rolled back when it fails or the server goes away;
 *   every request pending when the server goes away is answered with `UPSTREAM_UNAVAILABLE`.
 * - List results are filtered per principal; server-to-client sampling and elicitation are governed.
 * - Never throws into the transport: every entry point returns a promise that resolves; faults answer the
 *   request they belong to with an error and are reported through `onProtocolError`.
 */
import type { Engine } from "../runtime/engine.js";
import type { Authorization, SettleOutcome } from "../runtime/authorization.js";
import { sessionNeedsOf } from "../runtime/session-facts.js";
import type { PolicyRequest, Reason, ToolResult } from "../contract/index.js";
import {
  CLIENT_NOTIFICATIONS,
  DEFAULT_MAX_MESSAGE_BYTES,
  DEFAULT_MAX_SERVER_MESSAGE_BYTES,
  isOverBytes,
  LIFECYCLE_REQUESTS,
  MCP_ERROR_CODES,
  ToolCatalog,
  answerFor,
  classifyMessage,
  classifyParsedJson,
  errorResponse,
  filterListResult,
  isListMethod,
  parseMessageText,
  toPolicyRequest,
  type Caller,
  type Classified,
  type JsonRpcErrorResponse,
  type JsonRpcId,
  type JsonRpcMessage,
  type JsonRpcNotification,
  type JsonRpcRequest,
  type JsonRpcResult,
} from "../mcp/index.js";
import type { AuditSink } from "../audit/index.js";
import type { TokenCounter } from "./tokens.js";
import type { SpanHandle, Telemetry } from "./telemetry.js";
import { idKey, isOwnId, ownIds } from "./ids.js";
import { AuditTrail, type RelayOutcome } from "./audit-trail.js";
import { askCallerToApprove, clientCanElicit } from "./approval-flow.js";

export interface SendOptions {
  relatedRequestId?: JsonRpcId;
}

export interface EnforcerOptions {
  engine: Engine;
  /** Send a message to the client. */
  toClient(message: JsonRpcMessage, options?: SendOptions): void | Promise<void>;
  /** Send a message to the server; `extra` is what the client's transport gave with the message (SDK `MessageExtraInfo`). */
  toServer(message: JsonRpcMessage, extra?: unknown): void | Promise<void>;
  /** Who is calling, from what the transport gave with a message (undefined for the proxy, and for server-side requests). */
  identify(extra: unknown): Caller;
  /** Where decision and completion records go (hash-chained JSON lines). None: no audit. */
  audit?: AuditSink;
  /** Forward calls even when the audit sink cannot write (default false: deny them). */
  auditFailOpen?: boolean;
  /** Decide, audit and trace, but forward everything (also when the policy says `mode shadow`). */
  shadow?: boolean;
  /** Spans and metrics (`createTelemetry()`); none: no tracing. */
  telemetry?: Telemetry;
  /** How the client is connected, for `network.transport` on spans: `pipe` (stdio) or `tcp` (HTTP). */
  transport?: "pipe" | "tcp";
  /** Counts the tokens of arguments and results for `limit tokens` budgets. */
  tokens?: TokenCounter;
  /** The upstream's name for `server.name` and server blocks (unless `identify` gives one). */
  serverName?: string;
  /** The largest message accepted from the client, in UTF-8 bytes. Default 4 MiB. */
  maxMessageBytes?: number;
  /** The largest message accepted from the server, in UTF-8 bytes. Default 64 MiB. */
  maxServerMessageBytes?: number;
  /** Methods outside the policy's method table that may pass (`logging/setLevel`, ...). Default none. */
  allowMethods?: readonly string[];
  /** How long the enforcer waits for its own requests (catalog fetch, elicitation). Default 10 s; elicitation: `approvalTimeoutMs`. */
  requestTimeoutMs?: number;
  /** How long a human has to answer an approval asked through the client. Default 5 min. */
  approvalTimeoutMs?: number;
  /** Something was dropped or failed on the way (a stray response, an audit write that failed after the call ran). */
  onProtocolError?(problem: string): void;
}

export interface Enforcer {
  /** One message from the client as text (a stdio line, an HTTP body). */
  fromClientText(text: string, extra?: unknown): Promise<void>;
  /** One message from the client, already parsed (an SDK transport). */
  fromClient(message: unknown, extra?: unknown): Promise<void>;
  /** One message from the server as text. */
  fromServerText(text: string): Promise<void>;
  /** One message from the server, already parsed; `options` are the SDK's send options, passed on to the client. */
  fromServer(message: unknown, options?: SendOptions): Promise<void>;
  /**
   * One message from the server that is plain JSON data: a value fresh from `JSON.parse`, or built of plain
   * objects, arrays and primitives by the caller (no getters, proxies, prototypes or cycles). It is classified
   * as it is, without the defensive copy `fromServer` makes of what an SDK hands over.
   */
  fromServerJson(message: unknown, options?: SendOptions): Promise<void>;
  /** The server is gone: every pending request is answered with an error and later ones are refused. */
  upstreamClosed(reason: string): Promise<void>;
  /** Requests from the client not answered yet. */
  readonly pending: number;
  /** The catalog of the server's tools (annotations), as pinned. */
  readonly catalog: ToolCatalog;
  close(): Promise<void>;
}

export function createEnforcer(options: EnforcerOptions): Enforcer {
  return new Relay(options);
}

/** Methods that pass without a decision: the connection's own plumbing (the mapping's lists). */
const PASS_FROM_CLIENT = new Set(CLIENT_NOTIFICATIONS);
const PASS_FROM_SERVER = new Set(LIFECYCLE_REQUESTS["to-client"]);
const MAX_CATALOG_PAGES = 100;

/** A request from the client that has not been answered yet. */
interface Pending {
  readonly message: JsonRpcRequest;
  readonly extra: unknown;
  readonly governed: boolean;
  readonly caller?: Caller;
  readonly request?: PolicyRequest;
  readonly callId?: string;
  readonly started: number;
  span?: SpanHandle;
  outcome?: RelayOutcome;
  inputTokens?: number;
  forwarded: boolean;
  cancelled: boolean;
  /** The caller gave a cursor: a later page of a list (not pinned). */
  paged?: boolean;
}

/** A request from the server to the client that the client has not answered yet. */
interface ServerPending {
  readonly message: JsonRpcRequest;
  outcome?: RelayOutcome;
}

interface Own {
  resolve(m: JsonRpcResult | JsonRpcErrorResponse): void;
  reject(e: Error): void;
  timer: ReturnType<typeof setTimeout>;
}

class Relay implements Enforcer {
  readonly catalog = new ToolCatalog();
  readonly #o: EnforcerOptions;
  readonly #engine: Engine;
  readonly #trail: AuditTrail;
  readonly #fromClient = new Map<string, Pending>();
  readonly #fromServer = new Map<string, ServerPending>();
  readonly #own = new Map<string, Own>();
  readonly #newId = ownIds();
  readonly #maxClient: number;
  readonly #maxServer: number;
  #closed: string | undefined;
  #clientCapabilities: Record<string, unknown> | undefined;
  #serverHasTools = false;
  #protocolVersion: string | undefined;
  #lastCaller: Caller | undefined;
  #pinning: Promise<void> | undefined;
  #calls = 0;
  readonly #callPrefix = Math.random().toString(36).slice(2, 10);

  constructor(o: EnforcerOptions) {
    if (!o || typeof o.toClient !== "function" || typeof o.toServer !== "function" || typeof o.identify !== "function") throw new TypeError("createEnforcer needs `engine`, `toClient`, `toServer` and `identify`");
    if (!o.engine || typeof o.engine.authorize !== "function") throw new TypeError("createEnforcer needs an engine (createEngine(policy))");
    this.#o = o;
    this.#engine = o.engine;
    this.#maxClient = positive(o.maxMessageBytes, DEFAULT_MAX_MESSAGE_BYTES, "maxMessageBytes");
    this.#maxServer = positive(o.maxServerMessageBytes, DEFAULT_MAX_SERVER_MESSAGE_BYTES, "maxServerMessageBytes");
    this.#trail = new AuditTrail(o.audit, o.auditFailOpen === true, (p) => this.#problem(p));
  }

  get pending(): number {
    return this.#fromClient.size;
  }

  get #shadow(): boolean {
    return this.#o.shadow === true || (this.#engine.policy as { shadow?: boolean }).shadow === true;
  }

  #problem(text: string): void {
    try {
      this.#o.onProtocolError?.(text);
    } catch {
      // a host hook that throws changes nothing
    }
  }

  async #send(to: "client" | "server", message: JsonRpcMessage, opt?: unknown): Promise<void> {
    try {
      if (to === "client") await this.#o.toClient(message, opt as SendOptions | undefined);
      else await this.#o.toServer(message, opt);
    } catch (err) {
      this.#problem(`could not send to the ${to}: ${(err as Error)?.message ?? String(err)}`);
    }
  }

  // ───────────────────────── from the client ─────────────────────────

  async fromClientText(text: string, extra?: unknown): Promise<void> {
    const t = typeof text === "string" ? text : String(text);
    const c = parseMessageText(t, { maxBytes: this.#maxClient });
    rememberText(c, t);
    await this.#fromClientClassified(c, extra);
  }

  async fromClient(message: unknown, extra?: unknown): Promise<void> {
    await this.#fromClientClassified(classifyMessage(message), extra);
  }

  async #fromClientClassified(c: Classified, extra: unknown): Promise<void> {
    try {
      switch (c.kind) {
        case "invalid":
          this.#problem(`refused a message from the client: ${c.error.error.message}`);
          return await this.#send("client", c.error);
        case "request":
          return await this.#clientRequest(c.message, extra);
        case "notification":
          return await this.#clientNotification(c.message, extra);
        case "response":
          return await this.#clientResponse(c.message);
      }
    } catch (err) {
      this.#problem(`internal error on a message from the client: ${(err as Error)?.message ?? String(err)}`);
      if (c.kind === "request") {
        this.#fromClient.delete(idKey(c.message.id));
        await this.#send("client", errorResponse(c.message.id, MCP_ERROR_CODES.INTERNAL_ERROR, `internal error in mcppolicy: ${(err as Error)?.message ?? String(err)}`));
      }
    }
  }

  #identify(extra: unknown): Caller {
    const c = this.#o.identify(extra);
    if (typeof c !== "object" || c === null || typeof c.principal !== "object" || c.principal === null) throw new TypeError("`identify` must return { principal, ... }");
    const server = c.server ?? (this.#o.serverName !== undefined ? { name: this.#o.serverName } : undefined);
    return server === undefined ? c : { ...c, server };
  }

  async #clientRequest(msg: JsonRpcRequest, extra: unknown): Promise<void> {
    const key = idKey(msg.id);
    if (this.#fromClient.has(key) || isOwnId(msg.id)) {
      return this.#send("client", errorResponse(msg.id, MCP_ERROR_CODES.INVALID_REQUEST, `request id ${JSON.stringify(msg.id)} is already in use on this connection`));
    }
    if (this.#closed !== undefined) {
      return this.#send("client", errorResponse(msg.id, MCP_ERROR_CODES.UPSTREAM_UNAVAILABLE, `the MCP server is not available: ${this.#closed}`));
    }
    if (msg.method === "initialize") {
      const caps = (msg.params as { capabilities?: unknown } | undefined)?.capabilities;
      this.#clientCapabilities = typeof caps === "object" && caps !== null ? (caps as Record<string, unknown>) : {};
    }
    let caller: Caller;
    try {
      caller = this.#identify(extra);
    } catch (err) {
      return this.#send("client", errorResponse(msg.id, MCP_ERROR_CODES.POLICY_DENIED, `denied by policy: the caller could not be identified: ${(err as Error)?.message ?? String(err)}`));
    }
    this.#lastCaller = caller;
    const mapped = toPolicyRequest(msg, "to-server", caller, this.catalog, { allowMethods: this.#o.allowMethods });
    if (mapped.kind === "refuse") {
      const callId = this.#newCallId();
      const outcome: RelayOutcome = { effect: "deny", reasons: [{ code: "invalid_request", message: mapped.error.error.message }] };
      await this.#trail.decision({ callId, caller, method: msg.method, request: undefined, outcome, shadow: false, durationMs: 0, policy: this.#engine.policy });
      return this.#send("client", mapped.error);
    }
    if (mapped.kind === "pass") {
      this.#fromClient.set(key, { message: msg, extra, governed: false, started: now(), forwarded: true, cancelled: false });
      return this.#send("server", msg, extra);
    }
    return this.#governed(msg, mapped.request, caller, extra);
  }

  #newCallId(): string {
    return `${this.#callPrefix}.${(this.#calls++).toString(36)}`;
  }

  #countsFor: object | undefined;
  #counts = false;
  #judgesFor: object | undefined;
  #judges = false;

  /** Whether the policy (as loaded now) judges results or keeps session state: then a result is settled before the client sees it. */
  get #judgesResults(): boolean {
    const policy = this.#engine.policy;
    if (this.#judgesFor !== policy) {
      this.#judgesFor = policy;
      this.#judges = policy.inspectsResults || sessionNeedsOf(policy).record;
    }
    return this.#judges;
  }

  /** Whether the tokens of this call are counted: the policy (as loaded now: it may be reloaded) has a token budget. */
  get #countsTokens(): boolean {
    const policy = this.#engine.policy;
    if (this.#countsFor !== policy) {
      this.#countsFor = policy;
      this.#counts = this.#o.tokens !== undefined && policy.budgets.some((b) => b.kind === "tokens");
    }
    return this.#counts;
  }

  async #governed(msg: JsonRpcRequest, request: PolicyRequest, caller: Caller, extra: unknown): Promise<void> {
    const key = idKey(msg.id);
    const started = now();
    const p: Pending = { message: msg, extra, governed: true, caller, request, callId: this.#newCallId(), started, forwarded: false, cancelled: false };
    p.paged = typeof (msg.params as { cursor?: unknown } | undefined)?.cursor === "string";
    this.#fromClient.set(key, p);
    p.span = this.#o.telemetry?.start({
      method: msg.method,
      target: request.tool ?? request.prompt ?? request.resource,
      tool: request.tool,
      prompt: request.prompt,
      resourceUri: request.resource,
      meta: (msg.params as { _meta?: unknown } | undefined)?._meta,
      transport: this.#o.transport,
      sessionId: caller.session?.id,
      requestId: msg.id,
      server: caller.server?.name,
      protocolVersion: this.#protocolVersion,
      direction: "to-server",
    });
    const isCall = msg.method === "tools/call";
    let req = request;
    if (isCall && this.#pinning !== undefined) {
      await this.#pinning;
      // The catalog was being pinned: read the tool's annotations again, from the new catalog.
      if (request.tool !== undefined) req = { ...request, annotations: this.catalog.annotationsOf(request.tool) };
    }
    if (isCall && this.#countsTokens) p.inputTokens = this.#o.tokens!.countArguments(req.arguments ?? {});
    const shadow = this.#shadow;
    let outcome: RelayOutcome;
    if (shadow) {
      outcome = this.#engine.policy.decide(req);
    } else {
      const auth = await this.#engine.authorize(req, p.inputTokens !== undefined ? { estimate: { inputTokens: p.inputTokens } } : undefined);
      outcome = auth;
      if (auth.effect === "require_approval" && isCall && clientCanElicit(this.#clientCapabilities)) {
        outcome = await askCallerToApprove({
          engine: this.#engine,
          authorization: auth,
          request: req,
          caller,
          ask: (params) => this.#requestClient("elicitation/create", params, msg.id, this.#o.approvalTimeoutMs ?? 300_000),
          estimate: p.inputTokens !== undefined ? { inputTokens: p.inputTokens } : undefined,
        });
      }
    }
    p.outcome = outcome;
    p.span?.decided(outcome.effect, outcome.reasons, shadow);
    const written = this.#trail.sink === undefined || (await this.#trail.decision({ callId: p.callId!, caller, method: msg.method, request: req, outcome, shadow, durationMs: now() - started, policy: this.#engine.policy }));
    const pass = shadow || outcome.effect === "allow";
    if (!written && pass) {
      this.#fromClient.delete(key);
      await settle(outcome, "rollback");
      p.span?.end({ error: "audit_unavailable", errorCode: MCP_ERROR_CODES.AUDIT_UNAVAILABLE });
      return this.#send("client", errorResponse(msg.id, MCP_ERROR_CODES.AUDIT_UNAVAILABLE, "denied: the audit record of this call could not be written, so the call was not forwarded"));
    }
    if (p.cancelled || this.#closed !== undefined) {
      // Cancelled by the client (or the server went away) while it was being decided: never forwarded.
      this.#fromClient.delete(key);
      if (pass) await settle(outcome, "rollback");
      p.span?.end({ error: p.cancelled ? "cancelled" : "upstream_unavailable" });
      if (!p.cancelled) await this.#send("client", errorResponse(msg.id, MCP_ERROR_CODES.UPSTREAM_UNAVAILABLE, `the MCP server is not available: ${this.#closed}`));
      return;
    }
    if (pass) {
      p.forwarded = true;
      return this.#send("server", msg, extra);
    }
    this.#fromClient.delete(key);
    const answer = answerFor(msg, outcome) ?? errorResponse(msg.id, MCP_ERROR_CODES.POLICY_DENIED, "denied by policy");
    p.span?.end("error" in answer ? { error: "denied", errorCode: answer.error.code } : { error: "denied" });
    return this.#send("client", answer);
  }

  async #clientNotification(msg: JsonRpcNotification, extra: unknown): Promise<void> {
    if (!PASS_FROM_CLIENT.has(msg.method)) {
      this.#problem(`dropped a notification from the client: \`${msg.method}\` is not forwarded`);
      return;
    }
    if (msg.method === "notifications/cancelled") {
      const id = (msg.params as { requestId?: unknown } | undefined)?.requestId;
      if (typeof id !== "string" && typeof id !== "number") return;
      const p = this.#fromClient.get(idKey(id));
      if (p === undefined) return; // nothing to cancel: not forwarded either
      p.cancelled = true;
      if (!p.forwarded) return; // decided later: never forwarded (see #governed)
      this.#fromClient.delete(idKey(id));
      await this.#send("server", msg, extra);
      // The tool may have run: the call is charged what it reserved (its arguments' tokens), never refunded.
      if (p.outcome !== undefined && !this.#shadow) await settle(p.outcome, "commit", p.inputTokens !== undefined ? { inputTokens: p.inputTokens } : {});
      if (p.governed) await this.#trail.completion({ callId: p.callId!, caller: p.caller!, method: p.message.method, request: p.request, outcome: "cancelled", durationMs: now() - p.started, shadow: this.#shadow, policy: this.#engine.policy });
      p.span?.end({ error: "cancelled" });
      return;
    }
    const sent = this.#send("server", msg, extra);
    // INVARIANT: the pin is registered before this handler first awaits, so a tools/call read from the
    // next line (lines are handled concurrently) already waits for it.
    if (msg.method === "notifications/initialized" && this.#serverHasTools) this.#pin(sent);
    await sent;
  }

  async #clientResponse(msg: JsonRpcResult | JsonRpcErrorResponse): Promise<void> {
    const id = msg.id;
    if (id === null) {
      this.#problem("dropped an error response with a null id from the client");
      return;
    }
    const own = this.#own.get(idKey(id));
    if (own !== undefined && isOwnId(id)) {
      this.#own.delete(idKey(id));
      clearTimeout(own.timer);
      own.resolve(msg);
      return;
    }
    const sp = this.#fromServer.get(idKey(id));
    if (sp === undefined) {
      this.#problem(`dropped a response from the client to a request never sent (id ${JSON.stringify(id)})`);
      return;
    }
    this.#fromServer.delete(idKey(id));
    if (sp.outcome !== undefined && !this.#shadow) await settle(sp.outcome, "error" in msg ? "rollback" : "commit");
    await this.#send("server", msg);
  }

  // ───────────────────────── from the server ─────────────────────────

  async fromServerText(text: string): Promise<void> {
    const t = typeof text === "string" ? text : String(text);
    const c = parseServerText(t, this.#maxServer);
    rememberText(c, t);
    await this.#fromServerClassified(c, undefined, t);
  }

  async fromServer(message: unknown, options?: SendOptions): Promise<void> {
    await this.#fromServerClassified(classifyMessage(message), options, undefined);
  }

  async fromServerJson(message: unknown, options?: SendOptions): Promise<void> {
    await this.#fromServerClassified(Array.isArray(message) ? classifyMessage(message) : classifyParsedJson(message), options, undefined);
  }

  async #fromServerClassified(c: Classified, options: SendOptions | undefined, text: string | undefined): Promise<void> {
    try {
      switch (c.kind) {
        case "invalid":
          this.#problem(`dropped a message from the server: ${c.error.error.message}`);
          return;
        case "response":
          return await this.#serverResponse(c.message, text);
        case "request":
          return await this.#serverRequest(c.message, options);
        case "notification":
          if (c.message.method === "notifications/tools/list_changed") {
            this.catalog.markStale();
            this.#pin();
          }
          return await this.#send("client", c.message, options);
      }
    } catch (err) {
      this.#problem(`internal error on a message from the server: ${(err as Error)?.message ?? String(err)}`);
      if (c.kind === "response" && c.message.id !== null) {
        const p = this.#fromClient.get(idKey(c.message.id));
        if (p !== undefined) {
          this.#fromClient.delete(idKey(c.message.id));
          await this.#send("client", errorResponse(p.message.id, MCP_ERROR_CODES.INTERNAL_ERROR, `internal error in mcppolicy: ${(err as Error)?.message ?? String(err)}`));
        }
      }
    }
  }

  async #serverResponse(msg: JsonRpcResult | JsonRpcErrorResponse, text: string | undefined): Promise<void> {
    const id = msg.id;
    if (id === null) {
      this.#problem("dropped an error response with a null id from the server");
      return;
    }
    if (isOwnId(id)) {
      const own = this.#own.get(idKey(id));
      if (own !== undefined) {
        this.#own.delete(idKey(id));
        clearTimeout(own.timer);
        own.resolve(msg);
      }
      return;
    }
    const key = idKey(id);
    const p = this.#fromClient.get(key);
    if (p === undefined || !p.forwarded) {
      this.#problem(`dropped a response from the server to a request not pending (id ${JSON.stringify(id)})`);
      return;
    }
    this.#fromClient.delete(key);
    const method = p.message.method;
    if (!("result" in msg)) {
      if (p.governed) {
        if (p.outcome !== undefined && !this.#shadow) await settle(p.outcome, "rollback");
        await this.#trail.completion({ callId: p.callId!, caller: p.caller!, method, request: p.request, outcome: "error", durationMs: now() - p.started, shadow: this.#shadow, policy: this.#engine.policy, errorCode: msg.error?.code });
        p.span?.end({ error: "upstream_error", errorCode: msg.error?.code });
      }
      return this.#send("client", msg);
    }
    if (method === "initialize") {
      const r = msg.result as { capabilities?: { tools?: unknown }; protocolVersion?: unknown };
      this.#serverHasTools = typeof r.capabilities?.tools === "object" && r.capabilities.tools !== null;
      if (typeof r.protocolVersion === "string") this.#protocolVersion = r.protocolVersion;
      return this.#send("client", msg);
    }
    if (!p.governed) return this.#send("client", msg);
    let out: JsonRpcResult = msg;
    if (isListMethod(method)) {
      if (method === "tools/list" && !p.paged) {
        const r = msg.result as { tools?: unknown; nextCursor?: unknown };
        if (Array.isArray(r.tools) && r.nextCursor === undefined) this.catalog.pin(r.tools, true);
      }
      if (!this.#shadow) out = { ...msg, result: filterListResult(method, msg.result, this.#engine.policy, p.caller!) };
    }
    const counts = this.#countsTokens;
    const outputTokens = counts && !isListMethod(method) ? this.#o.tokens!.countResult(msg.result) : undefined;
    // HOT PATH (every answer): plain assignments, no object spreads.
    const usage: { inputTokens?: number; outputTokens?: number } = {};
    if (p.inputTokens !== undefined) usage.inputTokens = p.inputTokens;
    if (outputTokens !== undefined) usage.outputTokens = outputTokens;
    const toolError = (msg.result as { isError?: unknown }).isError === true;
    // Result blocks and session rules (issue 14): the engine judges the result at commit, BEFORE the client
    // sees it, and answers what may be passed on (redacted, or withheld).
    const judges = !this.#shadow && p.outcome !== undefined && this.#judgesResults;
    if (counts || judges) {
      // Token budgets: charge the result before the client can send its next call.
      if (p.outcome !== undefined && !this.#shadow) {
        const s = await settle(p.outcome, "commit", usage, judges ? (msg.result as ToolResult) : undefined);
        if (judges && s !== undefined) {
          if (s.withheld !== undefined && method !== "tools/call") {
            // Not a tool result: the answer is an error, with why (an `isError` result is a tools/call shape).
            out = errorResponse(msg.id, MCP_ERROR_CODES.POLICY_DENIED, `denied by policy: ${s.withheld.message}`, { reasons: [{ code: "deny_rule", rule: s.withheld.id, message: s.withheld.message }] }) as unknown as JsonRpcResult;
          } else if (s.result !== undefined) out = { ...out, result: s.result as JsonRpcResult["result"] };
        }
      }
      await this.#send("client", out);
    } else {
      await this.#send("client", out);
      if (p.outcome !== undefined && !this.#shadow) await settle(p.outcome, "commit", usage);
    }
    if (this.#trail.sink !== undefined) await this.#trail.completion({
      callId: p.callId!,
      caller: p.caller!,
      method,
      request: p.request,
      outcome: toolError ? "tool_error" : "ok",
      durationMs: now() - p.started,
      shadow: this.#shadow,
      policy: this.#engine.policy,
      resultBytes: text !== undefined ? Buffer.byteLength(text) : undefined,
      tokens: p.inputTokens !== undefined || outputTokens !== undefined ? { input: p.inputTokens, output: outputTokens } : undefined,
    });
    if (p.span !== undefined) p.span.end(toolError ? { error: "tool_error", tokens: { input: p.inputTokens, output: outputTokens } } : { tokens: { input: p.inputTokens, output: outputTokens } });
  }

  async #serverRequest(msg: JsonRpcRequest, options: SendOptions | undefined): Promise<void> {
    const key = idKey(msg.id);
    if (isOwnId(msg.id) || this.#fromServer.has(key)) {
      return this.#send("server", errorResponse(msg.id, MCP_ERROR_CODES.INVALID_REQUEST, `request id ${JSON.stringify(msg.id)} is already in use on this connection`));
    }
    if (PASS_FROM_SERVER.has(msg.method)) {
      this.#fromServer.set(key, { message: msg });
      return this.#send("client", msg, options);
    }
    let caller: Caller;
    try {
      caller = this.#lastCaller ?? this.#identify(undefined);
    } catch (err) {
      return this.#send("server", errorResponse(msg.id, MCP_ERROR_CODES.POLICY_DENIED, `denied by policy: no caller is known on this connection: ${(err as Error)?.message ?? String(err)}`));
    }
    const mapped = toPolicyRequest(msg, "to-client", caller, this.catalog, { allowMethods: this.#o.allowMethods });
    if (mapped.kind === "refuse") return this.#send("server", mapped.error);
    if (mapped.kind === "pass") {
      this.#fromServer.set(key, { message: msg });
      return this.#send("client", msg, options);
    }
    const started = now();
    const span = this.#o.telemetry?.start({ method: msg.method, sessionId: caller.session?.id, requestId: msg.id, server: caller.server?.name, protocolVersion: this.#protocolVersion, direction: "to-client" });
    const shadow = this.#shadow;
    const outcome: RelayOutcome = shadow ? this.#engine.policy.decide(mapped.request) : await this.#engine.authorize(mapped.request);
    span?.decided(outcome.effect, outcome.reasons, shadow);
    const written = await this.#trail.decision({ callId: this.#newCallId(), caller, method: msg.method, request: mapped.request, outcome, shadow, durationMs: now() - started, policy: this.#engine.policy });
    if ((shadow || outcome.effect === "allow") && written) {
      this.#fromServer.set(key, { message: msg, outcome });
      span?.end({});
      return this.#send("client", msg, options);
    }
    if (outcome.effect === "allow") await settle(outcome, "rollback");
    const answer = written ? (answerFor(msg, outcome) ?? errorResponse(msg.id, MCP_ERROR_CODES.POLICY_DENIED, "denied by policy")) : errorResponse(msg.id, MCP_ERROR_CODES.AUDIT_UNAVAILABLE, "denied: the audit record could not be written");
    // A server-to-client request is answered with an error, never with a tool result.
    const err = "error" in answer ? answer : errorResponse(msg.id, MCP_ERROR_CODES.POLICY_DENIED, `denied by policy: ${firstReason(outcome.reasons)}`, { effect: outcome.effect, reasons: outcome.reasons });
    span?.end({ error: "denied", errorCode: err.error.code });
    return this.#send("server", err);
  }

  // ───────────────────────── the enforcer's own requests ─────────────────────────

  #request(to: "client" | "server", method: string, params: Record<string, unknown>, related: JsonRpcId | undefined, timeoutMs: number): Promise<JsonRpcResult | JsonRpcErrorResponse> {
    const id = this.#newId();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#own.delete(idKey(id));
        reject(new Error(`no answer to \`${method}\` within ${timeoutMs} ms`));
      }, timeoutMs);
      timer.unref?.();
      this.#own.set(idKey(id), { resolve, reject, timer });
      const msg: JsonRpcRequest = { jsonrpc: "2.0", id, method, params };
      void this.#send(to, msg, to === "client" && related !== undefined ? { relatedRequestId: related } : undefined);
    });
  }

  #requestClient(method: string, params: Record<string, unknown>, related: JsonRpcId, timeoutMs: number): Promise<JsonRpcResult | JsonRpcErrorResponse> {
    return this.#request("client", method, params, related, timeoutMs);
  }

  /** Fetch the server's whole tools/list (after `before`, if given) and pin it; calls wait for it (bounded). */
  #pin(before?: Promise<void>): void {
    const run = async (): Promise<void> => {
      if (before !== undefined) await before;
      const tools: unknown[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < MAX_CATALOG_PAGES; page++) {
        const r = await this.#request("server", "tools/list", cursor !== undefined ? { cursor } : {}, undefined, this.#o.requestTimeoutMs ?? 10_000);
        if (!("result" in r)) throw new Error(`the server answered tools/list with an error: ${r.error?.message}`);
        const res = r.result as { tools?: unknown; nextCursor?: unknown };
        if (Array.isArray(res.tools)) tools.push(...res.tools);
        if (typeof res.nextCursor !== "string" || res.nextCursor === "") {
          this.catalog.pin(tools, true);
          return;
        }
        cursor = res.nextCursor;
      }
      throw new Error(`the server's tools/list has more than ${MAX_CATALOG_PAGES} pages`);
    };
    const p = run().catch((err: unknown) => this.#problem(`could not pin the server's tools: ${(err as Error)?.message ?? String(err)} (calls are decided with the default annotations)`));
    const mine = p.finally(() => {
      if (this.#pinning === mine) this.#pinning = undefined;
    });
    this.#pinning = mine;
  }

  // ───────────────────────── endings ─────────────────────────

  async upstreamClosed(reason: string): Promise<void> {
    if (this.#closed !== undefined) return;
    this.#closed = typeof reason === "string" && reason !== "" ? reason : "the server went away";
    for (const [key, own] of this.#own) {
      clearTimeout(own.timer);
      own.reject(new Error(this.#closed));
      this.#own.delete(key);
    }
    const pending = [...this.#fromClient.values()].filter((p) => p.forwarded);
    for (const p of pending) {
      this.#fromClient.delete(idKey(p.message.id));
      if (p.governed) {
        if (p.outcome !== undefined && !this.#shadow) await settle(p.outcome, "rollback");
        await this.#trail.completion({ callId: p.callId!, caller: p.caller!, method: p.message.method, request: p.request, outcome: "upstream_unavailable", durationMs: now() - p.started, shadow: this.#shadow, policy: this.#engine.policy });
        p.span?.end({ error: "upstream_unavailable", errorCode: MCP_ERROR_CODES.UPSTREAM_UNAVAILABLE });
      }
      await this.#send("client", errorResponse(p.message.id, MCP_ERROR_CODES.UPSTREAM_UNAVAILABLE, `the MCP server is not available: ${this.#closed}`));
    }
    this.#fromServer.clear();
  }

  async close(): Promise<void> {
    await this.upstreamClosed("the connection was closed");
  }
}

async function settle(outcome: RelayOutcome, action: "commit" | "rollback", usage?: { inputTokens?: number; outputTokens?: number }, result?: ToolResult): Promise<SettleOutcome | undefined> {
  const a = outcome as Partial<Authorization>;
  if (typeof a.commit !== "function" || typeof a.rollback !== "function") return undefined;
  if (action === "commit") return a.commit(usage ?? {}, result);
  return a.rollback();
}

function firstReason(reasons: readonly Reason[]): string {
  return reasons[0]?.message ?? "no reason given";
}

function now(): number {
  return performance.now();
}

function positive(v: unknown, d: number, what: string): number {
  if (v === undefined) return d;
  if (typeof v !== "number" || !Number.isInteger(v) || v <= 0) throw new TypeError(`createEnforcer: \`${what}\` must be a whole number above 0`);
  return v;
}

/** The text each message read from text came in, while the message object lives (see `originalTextOf`). */
const ORIGINAL_TEXT = new WeakMap<object, string>();

function rememberText(c: Classified, text: string): void {
  if (c.kind !== "invalid") ORIGINAL_TEXT.set(c.message, text);
}

/**
 * The text a message was read from, when the relay passes it on unchanged (a forwarded request, a result
 * that needs no filtering): a text transport may write it as it came instead of serializing the object
 * again (the checked text is the forwarded text). Undefined for a message the relay made or changed.
 */
export function originalTextOf(message: object): string | undefined {
  return ORIGINAL_TEXT.get(message);
}

/**
 * A server's message as text: `JSON.parse` under the size bound, without the duplicate-key check the
 * client's messages get (the server's results can be large, and what the policy decides on comes from the
 * client), then the same classification.
 */
function parseServerText(text: string, maxBytes: number): Classified {
  if (isOverBytes(text, maxBytes)) {
    return { kind: "invalid", error: errorResponse(null, MCP_ERROR_CODES.MESSAGE_TOO_LARGE, `a message from the server is over ${maxBytes} bytes`) };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { kind: "invalid", error: errorResponse(null, MCP_ERROR_CODES.PARSE_ERROR, `a message from the server is not JSON: ${(err as Error).message}`) };
  }
  return classifyParsedJson(value);
}

/**
 * The SDK middleware: one call puts a policy in front of an `McpServer` or a low-level `Server` of
 * `@modelcontextprotocol/sdk`. It wraps the Transport the server connects to, so every message between
 * the client and the server goes through one enforcer (adapters/enforcer.ts) per connection:
 *
 *   real transport.onmessage ──▶ enforcer.fromClient ──▶ (allowed) wrapper.onmessage (the SDK server)
 *   the SDK server's wrapper.send ──▶ enforcer.fromServer ──▶ real transport.send (the client)
 *
 * Public SDK API only: the `Transport` interface (start, send, close, onmessage(message, extra), onclose,
 * onerror, sessionId, setProtocolVersion) and `Server.connect(transport)`; `McpServer.connect` delegates
 * to its public `.server.connect` (sdk dist/esm/server/mcp.js), so protecting an McpServer protects its
 * `.server`, and either `connect` goes through the enforcer.
 * GUARANTEES:
 * - Types only are imported from the SDK (`import type`): this module does not load the SDK at run time,
 *   and works with any object that follows the Transport interface.
 * - One enforcer per connection; one engine (budgets, approvals) shared by every connection of a server.
 * - The caller: `identify` (or the default: the SDK's `authInfo` — clientId → principal.id, scopes →
 *   scopes, extra → claims; no authInfo: the principal {} — and the session id of the transport, else a
 *   random id per connection). The session id is filled in when `identify` returns none.
 * - `protect` is idempotent: protecting a server twice wraps its transports once.
 * - Messages are handed to the enforcer as a wire transport would carry them: as JSON data (a JSON
 *   round trip). The SDK's own objects may hold what JSON does not (McpServer's tools/list result
 *   carries non-enumerable `~standard` members of its schemas), which the enforcer's strict reading
 *   would refuse; what the other side receives is that JSON data too. A message that is not JSON
 *   (a cycle, a BigInt) is reported through `onerror` and not delivered.
 */
import { randomUUID } from "node:crypto";
import type { Transport, TransportSendOptions } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { JSONRPCMessage, MessageExtraInfo } from "@modelcontextprotocol/sdk/types.js";
import type { Policy } from "../policy.js";
import type { Principal } from "../contract/index.js";
import { createEngine, type Engine } from "../runtime/engine.js";
import { createEnforcer, type Enforcer, type EnforcerOptions } from "./enforcer.js";
import type { Caller } from "../mcp/index.js";

/** What `identify` is given for each message from the client. */
export interface IdentifyInfo {
  /** The SDK's `extra.authInfo` (set by the SDK's bearer auth middleware, or by a custom transport). */
  readonly authInfo?: MessageExtraInfo["authInfo"];
  /** The SDK's `extra.requestInfo` (HTTP headers, for HTTP transports). */
  readonly requestInfo?: MessageExtraInfo["requestInfo"];
  /** The transport's session id, else an id generated for this connection. */
  readonly sessionId: string;
}

export interface ProtectOptions extends Omit<EnforcerOptions, "engine" | "toClient" | "toServer" | "identify"> {
  /** The policy to enforce (an engine with a memory store is made for it), or give `engine`. */
  readonly policy?: Policy;
  /** The engine to enforce with (its store holds budgets and approvals). Wins over `policy`. */
  readonly engine?: Engine;
  /** Who is calling. Default: `defaultIdentify`. */
  readonly identify?: (info: IdentifyInfo) => Caller;
  /** Called with each connection's enforcer (tests, metrics). */
  readonly onEnforcer?: (enforcer: Enforcer) => void;
}

/** The default mapping: authInfo.clientId → id, scopes → scopes, extra → claims; the session id as given. */
export function defaultIdentify(info: IdentifyInfo): Caller {
  const principal: Principal = {};
  const auth = info.authInfo;
  if (auth) {
    if (typeof auth.clientId === "string" && auth.clientId !== "") principal.id = auth.clientId;
    if (Array.isArray(auth.scopes)) principal.scopes = auth.scopes.filter((s): s is string => typeof s === "string");
    if (auth.extra && typeof auth.extra === "object" && !Array.isArray(auth.extra)) principal.claims = { ...auth.extra };
  }
  return { principal, session: { id: info.sessionId } };
}

const PROTECTED = Symbol.for("mcppolicy.protected");

interface Connectable {
  connect(transport: Transport): Promise<void>;
  [PROTECTED]?: true;
}

/** An McpServer: it holds the low-level Server as `.server` (public) and connects through it. */
function innerServer(server: object): Connectable {
  const inner = (server as { server?: unknown }).server;
  if (inner && typeof inner === "object" && typeof (inner as Connectable).connect === "function" && typeof (inner as { setRequestHandler?: unknown }).setRequestHandler === "function") {
    return inner as Connectable;
  }
  if (typeof (server as Connectable).connect === "function") return server as Connectable;
  throw new TypeError("protect: expected an McpServer or a Server of @modelcontextprotocol/sdk (an object with `connect`)");
}

/**
 * Puts the policy in front of `server`: every transport it connects to from now on is wrapped by an
 * enforcer. Returns the same server. Call before `server.connect(...)`.
 */
export function protect<S extends object>(server: S, options: ProtectOptions): S {
  const target = innerServer(server);
  if (target[PROTECTED]) return server;
  const engine = engineOf(options);
  const connect = target.connect;
  target.connect = function protectedConnect(this: unknown, transport: Transport): Promise<void> {
    return connect.call(target, protectTransport(transport, { ...options, engine }));
  };
  target[PROTECTED] = true;
  return server;
}

function engineOf(options: ProtectOptions): Engine {
  if (options.engine) return options.engine;
  if (options.policy) return createEngine(options.policy);
  throw new TypeError("protect: give a `policy` or an `engine`");
}

/**
 * A Transport that runs every message through an enforcer; hand it to `server.connect` in place of
 * `transport`. The server sees only what the policy let through; the client sees only answers the
 * enforcer sent or relayed.
 */
export function protectTransport(transport: Transport, options: ProtectOptions): Transport {
  return new ProtectedTransport(transport, options, engineOf(options));
}

class ProtectedTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: <T extends JSONRPCMessage>(message: T, extra?: MessageExtraInfo) => void;
  readonly #inner: Transport;
  readonly #enforcer: Enforcer;
  readonly #connectionId = randomUUID();
  #closed = false;

  constructor(inner: Transport, options: ProtectOptions, engine: Engine) {
    this.#inner = inner;
    const identify = options.identify ?? defaultIdentify;
    const { policy: _policy, engine: _engine, identify: _identify, onEnforcer, ...rest } = options;
    this.#enforcer = createEnforcer({
      ...rest,
      engine,
      toClient: (message, sendOptions) => inner.send(message as JSONRPCMessage, sendOptions as TransportSendOptions | undefined),
      toServer: (message, extra) => {
        this.onmessage?.(message as JSONRPCMessage, extra as MessageExtraInfo | undefined);
      },
      identify: (extra) => {
        const e = (extra ?? {}) as MessageExtraInfo;
        const sessionId = this.sessionId ?? this.#connectionId;
        const caller = identify({ authInfo: e.authInfo, requestInfo: e.requestInfo, sessionId });
        return caller && typeof caller === "object" && caller.session === undefined ? { ...caller, session: { id: sessionId } } : caller;
      },
      onProtocolError: (problem) => {
        if (rest.onProtocolError) rest.onProtocolError(problem);
      },
    });
    onEnforcer?.(this.#enforcer);
  }

  get sessionId(): string | undefined {
    return this.#inner.sessionId;
  }

  setProtocolVersion(version: string): void {
    this.#inner.setProtocolVersion?.(version);
  }

  async start(): Promise<void> {
    const inner = this.#inner;
    inner.onmessage = (message, extra) => {
      const data = this.#wire(message);
      if (data !== undefined) void this.#enforcer.fromClient(data, extra);
    };
    inner.onerror = (error) => this.onerror?.(error);
    inner.onclose = () => {
      if (this.#closed) return;
      this.#closed = true;
      void this.#enforcer.close().finally(() => this.onclose?.());
    };
    await inner.start();
  }

  async send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    const data = this.#wire(message);
    if (data === undefined) throw new Error("mcppolicy: the message is not JSON data and was not sent");
    await this.#enforcer.fromServer(data, options?.relatedRequestId !== undefined ? { relatedRequestId: options.relatedRequestId } : undefined);
  }

  /** The message as it would travel on a wire: plain JSON data; undefined when it is not JSON. */
  #wire(message: unknown): unknown {
    try {
      return JSON.parse(JSON.stringify(message)) as unknown;
    } catch (e) {
      this.onerror?.(new Error(`mcppolicy: a message that is not JSON data was dropped: ${(e as Error).message}`));
      return undefined;
    }
  }

  async close(): Promise<void> {
    await this.#inner.close();
  }
}

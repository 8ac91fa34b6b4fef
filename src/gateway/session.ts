/**
 * One gateway session: a client (one `Mcp-Session-Id`), its channel, the router, and per upstream a link and
 * the enforcer (THE relay, adapters/enforcer.ts) between the router and that link.
 * GUARANTEES:
 * - Every message to an upstream goes through that upstream's enforcer: nothing reaches a server the policy
 *   did not allow. The policy sees the caller of the HTTP request that carried the message (principal,
 *   client facts, this session's id) and the upstream's name as `server.name`.
 * - An upstream that goes away: its enforcer answers every request pending on it (-32013) and is dropped.
 *   The next message for it opens a new link and a new enforcer, replays the client's `initialize` and
 *   `notifications/initialized` through it (the answer is not sent to the client), then passes the message
 *   on; while the upstream's shared backoff (`UpstreamHealth`) says wait, requests are answered -32013 at
 *   once and notifications dropped. Never a hang: the replay has the upstream's connect timeout.
 * - A client's answer to a server's request goes to the enforcer that sent the request, or is dropped when
 *   that link is gone.
 * - Never throws into its caller; `close` ends every link (HTTP upstream sessions are deleted, processes stopped).
 */
import { randomBytes } from "node:crypto";
import { createEnforcer, type Enforcer, type EnforcerOptions, type SendOptions } from "../adapters/enforcer.js";
import { idKey } from "../adapters/ids.js";
import { errorResponse, MCP_ERROR_CODES, type Caller, type JsonRpcId, type JsonRpcMessage, type JsonRpcRequest } from "../mcp/index.js";
import type { UpstreamConfig } from "./config/types.js";
import { ClientChannel, type ClientChannelOptions } from "./client-channel.js";
import type { Logger } from "./logger.js";
import { createRouter, type RouteTarget, type Router } from "./router/index.js";
import { openLink as defaultOpenLink, type LinkEvents, type UpstreamHealth, type UpstreamLink } from "./upstream/index.js";

/** What every session of a gateway shares. */
export interface SessionDeps {
  /** The enforcer's options but its I/O, identity and server name (the session supplies those). */
  readonly enforcer: Omit<EnforcerOptions, "toClient" | "toServer" | "identify" | "serverName">;
  readonly upstreams: readonly { readonly config: UpstreamConfig; readonly health: UpstreamHealth }[];
  readonly serverInfo: { readonly name: string; readonly version: string };
  readonly channel: Omit<ClientChannelOptions, "sessionId" | "onDrop">;
  readonly logger: Logger;
  readonly maxServerMessageBytes?: number;
  /** Link factory (default upstream/openLink). */
  readonly openLink?: typeof defaultOpenLink;
}

interface Extra {
  readonly caller: Caller;
}

const isRequest = (m: JsonRpcMessage): m is JsonRpcRequest => "method" in m && "id" in m;
const isResponse = (m: JsonRpcMessage): boolean => "id" in m && ("result" in m || "error" in m);

export class GatewaySession {
  readonly id: string;
  /** Who opened the session (the authenticated subject); later requests must come from the same one. */
  readonly subject: string;
  readonly channel: ClientChannel;
  readonly router: Router;
  readonly created = Date.now();
  lastSeen = Date.now();
  /** The client's `notifications/initialized` arrived. */
  initialized = false;
  readonly #upstreams: SessionUpstream[];
  #closed = false;

  constructor(id: string, subject: string, caller: Caller, deps: SessionDeps) {
    this.id = id;
    this.subject = subject;
    this.channel = new ClientChannel({
      ...deps.channel,
      sessionId: id,
      onDrop: (what) => deps.logger.debug("dropped a message for the client", { session: id, what }),
    });
    this.#upstreams = deps.upstreams.map((u) => new SessionUpstream(this, u.config, u.health, deps, caller));
    this.router = createRouter({
      targets: this.#upstreams,
      toClient: (message, options) => this.channel.deliver(message, options?.relatedRequestId),
      serverInfo: deps.serverInfo,
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Requests of the client still waiting for an answer. */
  get pending(): number {
    return this.channel.pending;
  }

  /** One message from the client, with the caller of the HTTP request that carried it. */
  async fromClient(message: JsonRpcMessage, caller: Caller): Promise<void> {
    this.lastSeen = Date.now();
    if (!isRequest(message) && "method" in message && message.method === "notifications/initialized") this.initialized = true;
    try {
      await this.router.fromClient(message, { caller } satisfies Extra);
    } catch {
      // the router never throws; a request it could not route is answered by it
    }
  }

  async close(reason: string): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all(this.#upstreams.map((u) => u.close(reason)));
    this.channel.close();
  }
}

/** One upstream as one session sees it: the current link and its enforcer, reopened after a failure. */
class SessionUpstream implements RouteTarget {
  readonly name: string;
  readonly prefix: string;
  readonly #session: GatewaySession;
  readonly #config: UpstreamConfig;
  readonly #health: UpstreamHealth;
  readonly #deps: SessionDeps;
  readonly #caller: Caller;
  #current: { link: UpstreamLink; enforcer: Enforcer; open: boolean } | undefined;
  #initialize: JsonRpcRequest | undefined;
  #reopening: Promise<boolean> | undefined;
  readonly #replays = new Map<string, (answer: JsonRpcMessage) => void>();
  #replayCount = 0;
  #closed = false;

  constructor(session: GatewaySession, config: UpstreamConfig, health: UpstreamHealth, deps: SessionDeps, caller: Caller) {
    this.#session = session;
    this.name = config.name;
    this.prefix = config.prefix;
    this.#config = config;
    this.#health = health;
    this.#deps = deps;
    this.#caller = caller;
  }

  async send(message: JsonRpcMessage, extra?: unknown): Promise<void> {
    if (this.#closed) return this.#unavailable(message, "the session is closing");
    if (isRequest(message) && message.method === "initialize") {
      this.#initialize = message;
      this.#drop("the client initialized again");
      const c = this.#open();
      return c.enforcer.fromClient(message, extra);
    }
    let c = this.#current;
    if (!c || !c.open) {
      if (isResponse(message)) return; // an answer for a server request of a link that is gone
      if (!this.#initialize) return this.#unavailable(message, "the session is not initialized");
      if (!(await this.#reopen())) {
        const wait = this.#health.retryInMs();
        return this.#unavailable(message, `upstream '${this.name}' is unavailable${this.#health.lastError ? ` (${this.#health.lastError})` : ""}${wait > 0 ? `; retrying in ${Math.ceil(wait / 1000)} s` : ""}`);
      }
      c = this.#current;
      if (!c) return this.#unavailable(message, `upstream '${this.name}' is unavailable`);
    }
    return c.enforcer.fromClient(message, extra);
  }

  async close(reason: string): Promise<void> {
    this.#closed = true;
    const c = this.#current;
    this.#current = undefined;
    if (!c) return;
    c.open = false;
    try {
      await c.enforcer.upstreamClosed(reason);
    } catch {
      // answers only
    }
    await Promise.allSettled([c.link.close(), c.enforcer.close()]);
  }

  /** A new link and enforcer (the old one, if any, is dropped). */
  #open(): { link: UpstreamLink; enforcer: Enforcer; open: boolean } {
    const deps = this.#deps;
    const slot: { link: UpstreamLink; enforcer: Enforcer; open: boolean } = { link: undefined as unknown as UpstreamLink, enforcer: undefined as unknown as Enforcer, open: true };
    const enforcer = createEnforcer({
      ...deps.enforcer,
      serverName: this.name,
      identify: (extra) => (extra as Extra | undefined)?.caller ?? this.#caller,
      toServer: (message) => slot.link.send(message),
      toClient: (message, options) => this.#fromEnforcer(slot, message, options),
      onProtocolError: (problem) => deps.logger.debug("protocol", { session: this.#session.id, upstream: this.name, problem }),
    });
    const events: LinkEvents = {
      onMessage: (message, related) => {
        void enforcer.fromServerJson(message, related !== undefined ? { relatedRequestId: related } : undefined);
      },
      onClose: (reason) => {
        if (!slot.open) return;
        slot.open = false;
        if (!this.#closed) {
          this.#health.markDown(reason);
          deps.logger.warn("upstream link closed", { session: this.#session.id, upstream: this.name, reason });
        }
        void enforcer.upstreamClosed(`upstream '${this.name}' went away: ${reason}`);
      },
    };
    slot.enforcer = enforcer;
    slot.link = (deps.openLink ?? defaultOpenLink)(this.#config, events, deps.maxServerMessageBytes !== undefined ? { maxMessageBytes: deps.maxServerMessageBytes } : undefined);
    this.#current = slot;
    return slot;
  }

  #fromEnforcer(slot: { open: boolean }, message: JsonRpcMessage, options?: SendOptions): void | Promise<void> {
    if ("id" in message && message.id !== null && ("result" in message || "error" in message)) {
      const waiter = this.#replays.get(idKey(message.id));
      if (waiter) {
        this.#replays.delete(idKey(message.id));
        waiter(message);
        return;
      }
      if (this.#initialize && message.id === this.#initialize.id && "result" in message && slot.open) this.#health.markUp();
    }
    return this.#session.router.fromUpstream(this.name, message, options);
  }

  /** Reopen after a failure, once at a time: replay initialize; true when the upstream answered it. */
  #reopen(): Promise<boolean> {
    if (this.#reopening) return this.#reopening;
    if (!this.#health.canAttempt()) return Promise.resolve(false);
    const p = this.#replay().finally(() => {
      this.#reopening = undefined;
    });
    this.#reopening = p;
    return p;
  }

  async #replay(): Promise<boolean> {
    const init = this.#initialize as JsonRpcRequest;
    this.#drop("reconnecting");
    const c = this.#open();
    const id = `gw-init-${randomBytes(6).toString("base64url")}-${(this.#replayCount++).toString(36)}`;
    let timer: NodeJS.Timeout | undefined;
    const answer = await new Promise<JsonRpcMessage | undefined>((resolve) => {
      this.#replays.set(idKey(id), resolve);
      timer = setTimeout(() => resolve(undefined), this.#config.connectTimeoutMs);
      void c.enforcer.fromClient({ ...init, id }, undefined);
    });
    clearTimeout(timer);
    this.#replays.delete(idKey(id));
    if (!answer || !("result" in answer) || !c.open || this.#current !== c) {
      const why = !answer ? "no answer to initialize in time" : "error" in answer ? `initialize failed: ${answer.error.message}` : "the link closed";
      if (c.open) {
        c.open = false;
        this.#health.markDown(why);
        await Promise.allSettled([c.enforcer.upstreamClosed(why), c.link.close()]);
      }
      return false;
    }
    if (this.#session.initialized) await c.enforcer.fromClient({ jsonrpc: "2.0", method: "notifications/initialized" }, undefined);
    this.#health.markUp();
    this.#deps.logger.info("upstream reconnected", { session: this.#session.id, upstream: this.name });
    return true;
  }

  #drop(reason: string): void {
    const c = this.#current;
    if (!c) return;
    this.#current = undefined;
    c.open = false;
    void c.enforcer.upstreamClosed(reason).finally(() => Promise.allSettled([c.link.close(), c.enforcer.close()]));
  }

  #unavailable(message: JsonRpcMessage, why: string): Promise<void> {
    if (!isRequest(message)) return Promise.resolve();
    const answer = errorResponse(message.id as JsonRpcId, MCP_ERROR_CODES.UPSTREAM_UNAVAILABLE, why, { upstream: this.name });
    return Promise.resolve(this.#session.router.fromUpstream(this.name, answer));
  }
}

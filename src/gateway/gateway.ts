/**
 * The gateway: one process in front of one or several MCP servers, serving Streamable HTTP (TLS and mTLS
 * optional), authenticating every request, deciding every call with the policy (THE relay per session and
 * upstream), and scaling out on one Redis. `startGateway(config)` resolves once it listens.
 * GUARANTEES:
 * - Fail closed at start: a policy that does not compile, a store, audit file, TLS file or key file that
 *   cannot be opened rejects `startGateway` (with the diagnostics) and nothing listens.
 * - Hot reload: a changed policy (file or import; or `reload()`, which the CLI calls on SIGHUP) is compiled
 *   and replaces the running one only when it compiles, atomically for the next decision, budget counters
 *   kept (`engine.reload`); every session's client then gets `list_changed` notifications. A policy with
 *   errors leaves the old one in force and its diagnostics in the log.
 * - Graceful stop (`close`): /readyz turns 503 and new requests get 503, the listener closes, calls in flight
 *   get `limits.shutdownGraceMs` to finish, then every session ends (pending calls are answered -32013 and
 *   their reservations rolled back by the enforcers), then the audit file and the store are closed.
 * - Sessions: at most `sessions.max`; one unused for `sessions.idleMs` (none pending) is closed.
 * - Limits against slow or hostile clients: header size and time, whole-request time, body size, keep-alive.
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import type { Diagnostic } from "../diagnostics/diagnostic.js";
import type { AuditSink } from "../audit/index.js";
import type { Policy } from "../policy.js";
import type { Engine } from "../runtime/engine.js";
import type { Store } from "../runtime/store/store.js";
import type { Caller } from "../mcp/index.js";
import type { TokenEncoding } from "../adapters/tokens.js";
import { createAuthenticator, type Authenticator } from "./auth/index.js";
import type { GatewayConfig } from "./config/types.js";
import { createRequestListener, type SessionTable } from "./http-handler.js";
import { createLogger, type Logger } from "./logger.js";
import { GatewaySession, type SessionDeps } from "./session.js";
import { UpstreamHealth } from "./upstream/index.js";
import { compilePolicyFile, type PolicyWatcher, watchPolicy } from "./policy-watcher.js";

export interface GatewayOptions {
  readonly logger?: Logger;
  /** The gateway's version in `serverInfo` (several upstreams). Default the package's. */
  readonly version?: string;
}

export interface ReloadOutcome {
  readonly ok: boolean;
  readonly version?: string;
  readonly diagnostics?: readonly Diagnostic[];
}

export interface Gateway {
  /** The MCP endpoint's URL (with the bound port). */
  readonly url: string;
  /** The canonical resource URL (tokens' audience). */
  readonly resource: string;
  readonly engine: Engine;
  /** Sessions open now. */
  readonly sessionCount: number;
  /** Compile the policy again now (SIGHUP). */
  reload(): Promise<ReloadOutcome>;
  /** Stop gracefully (idempotent). */
  close(): Promise<void>;
}

export class GatewayStartError extends Error {
  constructor(message: string, readonly diagnostics: readonly Diagnostic[] = [], readonly rendered?: string) {
    super(message);
    this.name = "GatewayStartError";
  }
}

async function openStore(config: GatewayConfig): Promise<Store | undefined> {
  if (config.store.kind === "memory") return undefined;
  const { RedisStore } = await import("../runtime/store/redis.js");
  return new RedisStore(config.store.prefix !== undefined ? { url: config.store.url, prefix: config.store.prefix } : { url: config.store.url });
}

class Sessions implements SessionTable {
  readonly #map = new Map<string, GatewaySession>();
  readonly #config: GatewayConfig;
  readonly #deps: SessionDeps;
  readonly #logger: Logger;

  constructor(config: GatewayConfig, deps: SessionDeps, logger: Logger) {
    this.#config = config;
    this.#deps = deps;
    this.#logger = logger;
  }

  get size(): number {
    return this.#map.size;
  }

  all(): GatewaySession[] {
    return [...this.#map.values()];
  }

  get(id: string): GatewaySession | undefined {
    return this.#map.get(id);
  }

  create(subject: string, caller: Caller): GatewaySession | undefined {
    if (this.#map.size >= this.#config.sessions.max) this.sweep();
    if (this.#map.size >= this.#config.sessions.max) return undefined;
    const id = randomBytes(18).toString("base64url");
    const session = new GatewaySession(id, subject, { ...caller, session: { id } }, this.#deps);
    this.#map.set(id, session);
    return session;
  }

  async end(id: string, reason: string): Promise<void> {
    const s = this.#map.get(id);
    if (!s) return;
    this.#map.delete(id);
    await s.close(reason);
  }

  /** Closes sessions unused for `sessions.idleMs` (or a minute, for one never initialized) with nothing pending. */
  sweep(now = Date.now()): void {
    const idle = this.#config.sessions.idleMs;
    for (const s of this.#map.values()) {
      const limit = s.initialized ? idle : Math.min(idle, 60_000);
      if (s.pending === 0 && now - s.lastSeen > limit) {
        this.#logger.info("session closed (idle)", { session: s.id });
        void this.end(s.id, "idle");
      }
    }
  }
}

export async function startGateway(config: GatewayConfig, options: GatewayOptions = {}): Promise<Gateway> {
  const logger = options.logger ?? createLogger({ level: config.log.level });
  const compiled = await compilePolicyFile(config.policy, { importRoots: config.importRoots });
  if (!("policy" in compiled)) throw new GatewayStartError(`the policy '${config.policy}' does not compile`, compiled.diagnostics, compiled.render?.());
  let policy: Policy = compiled.policy;

  const store = await openStore(config);
  let audit: AuditSink | undefined;
  if (config.audit) {
    const { JsonlAuditSink } = await import("../audit/sink.js");
    try {
      audit = new JsonlAuditSink(config.audit.file);
    } catch (e) {
      await store?.close?.();
      throw new GatewayStartError(`cannot open the audit file '${config.audit.file}': ${(e as Error).message}`);
    }
  }
  const { tokenCounter } = await import("../adapters/tokens.js");
  const tokens = tokenCounter(config.tokens.encoding as TokenEncoding);
  if (policy.budgets.some((b) => b.kind === "tokens")) tokens.load();
  const { createTelemetry } = await import("../adapters/telemetry.js");
  const telemetry = createTelemetry({ onError: (e) => logger.warn("telemetry", { error: (e as Error)?.message ?? String(e) }) });
  const { createEngine } = await import("../runtime/engine.js");
  const engine = createEngine(policy, store ? { store } : {});

  const upstreams = config.upstreams.map((u) => ({ config: u, health: new UpstreamHealth(u.name, u.backoff) }));
  const sessionDeps: SessionDeps = {
    enforcer: {
      engine,
      audit,
      auditFailOpen: config.audit?.failOpen ?? false,
      shadow: config.mode === "shadow",
      telemetry,
      transport: "tcp",
      tokens,
      allowMethods: config.allowMethods,
      approvalTimeoutMs: config.approvalTimeoutMs,
      maxMessageBytes: config.limits.maxBodyBytes,
    },
    upstreams,
    serverInfo: { name: "mcppolicy-gateway", version: options.version ?? packageVersion() },
    channel: { replayEvents: config.sessions.replayEvents },
    logger,
  };
  const sessions = new Sessions(config, sessionDeps, logger);
  let draining = false;
  let lastReload: { at: string; ok: boolean; version?: string } = { at: new Date().toISOString(), ok: true, version: engine.policyVersion };

  // The server first (the bound port makes the resource URL), then the authenticator, then requests flow.
  let listener: ((req: http.IncomingMessage, res: http.ServerResponse) => void) | undefined;
  const serverOptions: http.ServerOptions = { maxHeaderSize: config.limits.maxHeaderBytes, requestTimeout: config.limits.requestTimeoutMs, headersTimeout: config.limits.headersTimeoutMs, keepAliveTimeout: config.limits.keepAliveTimeoutMs, connectionsCheckingInterval: Math.max(100, Math.min(30_000, Math.floor(config.limits.headersTimeoutMs / 2))) };
  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (listener) return listener(req, res);
    res.writeHead(503, { "retry-after": "1" }).end();
  };
  let server: http.Server;
  const tls = config.listen.tls;
  try {
    server = tls
      ? https.createServer(
          {
            ...serverOptions,
            cert: readFileSync(tls.cert),
            key: readFileSync(tls.key),
            minVersion: tls.minVersion,
            ...(tls.clientCa ? { ca: readFileSync(tls.clientCa), requestCert: true, rejectUnauthorized: tls.requireClientCert } : {}),
          },
          onRequest,
        )
      : http.createServer(serverOptions, onRequest);
  } catch (e) {
    await Promise.allSettled([audit?.close?.(), store?.close?.()]);
    throw new GatewayStartError(`cannot set up TLS: ${(e as Error).message}`);
  }
  server.on("clientError", (err, socket) => {
    // Malformed HTTP, headers too large (431) or too slow (408): answer if the socket still can, never crash.
    const code = (err as NodeJS.ErrnoException).code;
    const status = code === "HPE_HEADER_OVERFLOW" ? 431 : code === "ERR_HTTP_REQUEST_TIMEOUT" ? 408 : 400;
    if (socket.writable) socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
    else socket.destroy();
  });
  server.on("tlsClientError", (err) => logger.info("TLS handshake refused", { error: err.message }));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.listen.port, config.listen.host, () => {
      server.off("error", reject);
      resolve();
    });
  }).catch(async (e) => {
    await Promise.allSettled([audit?.close?.(), store?.close?.()]);
    throw new GatewayStartError(`cannot listen on ${config.listen.host}:${config.listen.port}: ${(e as Error).message}`);
  });
  const port = (server.address() as AddressInfo).port;
  const hostInUrl = config.listen.host.includes(":") ? `[${config.listen.host}]` : config.listen.host;
  const url = `${tls ? "https" : "http"}://${hostInUrl}:${port}${config.listen.path}`;
  const resource = config.listen.publicUrl ?? url;

  let authenticator: Authenticator;
  try {
    authenticator = createAuthenticator(config.auth, resource);
  } catch (e) {
    server.close();
    await Promise.allSettled([audit?.close?.(), store?.close?.()]);
    throw new GatewayStartError(`cannot set up authentication: ${(e as Error).message}`);
  }

  const readiness = () => {
    const body = {
      status: draining ? "draining" : "ready",
      policy: engine.policyVersion,
      lastReload,
      sessions: sessions.size,
      upstreams: upstreams.map((u) => ({ name: u.config.name, state: u.health.state, ...(u.health.lastError ? { lastError: u.health.lastError } : {}) })),
    };
    return { ready: !draining, body };
  };
  listener = createRequestListener({ config, logger, authenticator, sessions, draining: () => draining, readiness });

  const applied = (next: Policy, files?: readonly string[]) => {
    policy = next;
    engine.reload(next);
    lastReload = { at: new Date().toISOString(), ok: true, version: engine.policyVersion };
    logger.info("policy reloaded", { version: engine.policyVersion, ...(files ? { files } : {}) });
    for (const s of sessions.all()) void s.router.notifyListChanged();
  };
  const rejected = (diagnostics: readonly Diagnostic[], rendered?: string) => {
    lastReload = { at: new Date().toISOString(), ok: false, version: engine.policyVersion };
    logger.error("policy reload refused: the new policy has errors; the old one stays in force", {
      version: engine.policyVersion,
      diagnostics: diagnostics.map((d) => ({ code: d.code, message: d.message })),
      ...(rendered ? { rendered } : {}),
    });
  };
  const onReload = (next: Policy, files: readonly string[]) => applied(next, files);
  const watcher: Pick<PolicyWatcher, "reloadNow" | "close"> = config.reload.watch
    ? watchPolicy({ policy: config.policy, importRoots: config.importRoots, debounceMs: config.reload.debounceMs, files: compiled.files ?? [config.policy], onReload, onRejected: rejected })
    : manualReload(config, onReload, rejected);

  const sweeper = setInterval(() => sessions.sweep(), Math.min(60_000, Math.max(1000, Math.floor(config.sessions.idleMs / 4))));
  sweeper.unref();

  logger.info("listening", {
    url,
    resource,
    policy: config.policy,
    version: engine.policyVersion,
    upstreams: config.upstreams.map((u) => u.name),
    store: config.store.kind,
    tls: Boolean(tls),
    mtls: Boolean(tls?.clientCa),
  });

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      draining = true;
      logger.info("shutting down", { sessions: sessions.size });
      clearInterval(sweeper);
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections?.();
      const deadline = Date.now() + config.limits.shutdownGraceMs;
      while (Date.now() < deadline && sessions.all().some((s) => s.pending > 0)) await new Promise((r) => setTimeout(r, 25));
      await Promise.allSettled(sessions.all().map((s) => sessions.end(s.id, "the gateway is shutting down")));
      watcher.close();
      authenticator.close();
      server.closeAllConnections?.();
      await Promise.race([closed, new Promise((r) => setTimeout(r, 1000))]);
      await Promise.allSettled([audit?.close?.(), store?.close?.()]);
      logger.info("stopped");
    })();
    return closing;
  };

  return {
    url,
    resource,
    engine,
    get sessionCount() {
      return sessions.size;
    },
    reload: async () => {
      const r = await watcher.reloadNow();
      return r.ok ? { ok: true, version: engine.policyVersion } : { ok: false, diagnostics: r.diagnostics };
    },
    close,
  };
}

/** Reload on request only (SIGHUP) when `reload.watch` is off. */
function manualReload(
  config: GatewayConfig,
  onReload: (policy: Policy, files: readonly string[]) => void,
  onRejected: (diagnostics: readonly Diagnostic[], rendered: string) => void,
): Pick<PolicyWatcher, "reloadNow" | "close"> {
  return {
    reloadNow: async () => {
      const c = await compilePolicyFile(config.policy, { importRoots: config.importRoots });
      if ("policy" in c) {
        const files = c.files ?? [config.policy];
        onReload(c.policy, files);
        return { ok: true, policy: c.policy, files };
      }
      const rendered = c.render?.() ?? "";
      onRejected(c.diagnostics, rendered);
      return { ok: false, diagnostics: c.diagnostics, rendered };
    },
    close: () => undefined,
  };
}

/** This package's version: its package.json is two levels up per file (dist/gateway/) or one (the bundled dist/gateway.js). */
function packageVersion(): string {
  for (const rel of ["../../package.json", "../package.json"]) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), "utf8")) as { name?: unknown; version?: unknown };
      if (pkg.name === "mcppolicy" && typeof pkg.version === "string") return pkg.version;
    } catch {
      // not here: try the next place
    }
  }
  return "0.0.0";
}

/**
 * The gateway's configuration as the program uses it: every option resolved (defaults applied, paths made
 * absolute against the config file's folder, environment references expanded). `config/load.ts` turns a
 * YAML file into this, or into diagnostics with file:line; nothing else builds one from user input.
 * docs/gateway-config.md documents every option and its default.
 * INVARIANT: data only (survives structuredClone); secrets it holds (upstream headers) never reach logs.
 */
import type { Principal } from "../../contract/index.js";

export interface GatewayConfig {
  /** The config file, absolute (for messages and for reload). */
  readonly file: string;
  readonly listen: ListenConfig;
  /** The policy file, absolute; its imports are watched with it. */
  readonly policy: string;
  /** Folders imports may come from (absolute). Default: the policy's folder. */
  readonly importRoots: readonly string[];
  /** `shadow`: decide, audit and trace, forward everything. Default `enforce` (the policy's own `mode` still applies). */
  readonly mode: "enforce" | "shadow";
  readonly store: StoreConfig;
  readonly audit?: AuditConfig;
  /** Token counting for `limit tokens` budgets. Default encoding `o200k_base`. */
  readonly tokens: { readonly encoding: string };
  /** One or more; with several, each has a non-empty prefix. */
  readonly upstreams: readonly UpstreamConfig[];
  readonly auth: AuthConfig;
  readonly limits: LimitsConfig;
  readonly sessions: SessionsConfig;
  readonly reload: ReloadConfig;
  readonly log: LogConfig;
  /** Methods outside the policy's method table that pass (`logging/setLevel`, ...). Default `["logging/setLevel"]`. */
  readonly allowMethods: readonly string[];
  /** How long a human has to answer an approval asked through the client (ms). Default 300000. */
  readonly approvalTimeoutMs: number;
}

export interface ListenConfig {
  /** Default `127.0.0.1`. */
  readonly host: string;
  /** Default 8080; 0 takes a free port (the `listening` log line gives it). */
  readonly port: number;
  /** The MCP endpoint's path. Default `/mcp`. */
  readonly path: string;
  /**
   * This resource's canonical URL (RFC 8707 `resource`, the `aud` tokens must carry, RFC 9728 `resource`).
   * Default `http(s)://HOST:PORT/PATH` from the listen address (with the bound port when `port` is 0).
   */
  readonly publicUrl?: string;
  readonly tls?: TlsConfig;
  /** Origins a browser request may come from (exact `scheme://host[:port]`). Default none: only requests without Origin, or from a loopback origin when the gateway listens on loopback. */
  readonly allowedOrigins: readonly string[];
  /** Host header values accepted (DNS rebinding). Default: on loopback, `localhost`, `127.0.0.1`, `[::1]` (any port); otherwise any. */
  readonly allowedHosts?: readonly string[];
}

export interface TlsConfig {
  /** PEM file paths, absolute. */
  readonly cert: string;
  readonly key: string;
  /** Default `TLSv1.3`. */
  readonly minVersion: "TLSv1.2" | "TLSv1.3";
  /** CA bundle (PEM path) client certificates are verified against: mTLS. */
  readonly clientCa?: string;
  /** With `clientCa`: refuse the handshake without a valid client certificate. Default true. */
  readonly requireClientCert: boolean;
}

export type StoreConfig =
  | { readonly kind: "memory" }
  | { readonly kind: "redis"; readonly url: string; readonly prefix?: string };

export interface AuditConfig {
  /** JSONL file, absolute; hash-chained records (docs/audit-schema.md). */
  readonly file: string;
  /** Forward calls even when the audit cannot be written. Default false. */
  readonly failOpen: boolean;
}

export interface UpstreamConfig {
  /** `server.name` in the policy; [A-Za-z0-9_-]+, unique. */
  readonly name: string;
  /** Exactly one of url / command. */
  readonly url?: string;
  /** argv of a stdio server; one process per client session. */
  readonly command?: readonly string[];
  readonly cwd?: string;
  readonly env?: Readonly<Record<string, string>>;
  /** Extra HTTP headers sent to a url upstream (credentials: `${ENV}` expanded at load). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Prefix of its tools', prompts' and resources' names (resources: `PREFIX` before the URI, see docs). Default "" for a lone upstream, `NAME__` with several. */
  readonly prefix: string;
  /** How long to wait for a connection or the initialize answer (ms). Default 10000. */
  readonly connectTimeoutMs: number;
  /** How long a request may wait for its answer (ms). Default 300000. */
  readonly requestTimeoutMs: number;
  /** Reconnect backoff: first delay and cap (ms). Defaults 250 and 30000. */
  readonly backoff: { readonly initialMs: number; readonly maxMs: number };
}

export interface AuthConfig {
  readonly oauth?: OAuthConfig;
  readonly apiKeys?: { readonly file: string };
  /** Client certificates (needs listen.tls.clientCa): a verified certificate authenticates as this principal, its id the subject's CN unless given. */
  readonly mtls?: { readonly principal: Principal };
  /** No credentials needed: every request acts as this principal. Refused on a non-loopback listen address unless set explicitly. */
  readonly anonymous?: { readonly principal: Principal };
  /** Requests without valid credentials, per client IP. Default 60 per minute, burst 20. */
  readonly rateLimit: { readonly perMinute: number; readonly burst: number };
}

export interface OAuthConfig {
  /** `iss` tokens must carry, exactly. */
  readonly issuer: string;
  /** Where the issuer's keys are (JWKS). */
  readonly jwksUri: string;
  /** `aud` tokens must carry; default the resource (listen.publicUrl). */
  readonly audience?: string;
  /** Authorization servers listed in the protected resource metadata. Default `[issuer]`. */
  readonly authorizationServers?: readonly string[];
  /** Default `["RS256", "PS256", "ES256", "EdDSA"]`. */
  readonly algorithms: readonly string[];
  /** Default 30. */
  readonly clockToleranceSec: number;
  /** Scopes every request needs (403 insufficient_scope otherwise). Default none. */
  readonly requiredScopes: readonly string[];
  /** Advertised in the metadata (`scopes_supported`). Default: requiredScopes. */
  readonly scopesSupported?: readonly string[];
  /** How long fetched keys are trusted (ms). Default 600000. */
  readonly jwksCacheMaxAgeMs: number;
  /** Least time between two JWKS fetches (ms; an unknown `kid` refetches at most this often). Default 30000. */
  readonly jwksCooldownMs: number;
  /** JWKS fetch timeout (ms). Default 5000. */
  readonly jwksTimeoutMs: number;
  readonly principal: {
    /** Claim giving principal.id. Default `sub`. */
    readonly id: string;
    /** Claim (dotted path) holding role names (array or space-separated string). Default none. */
    readonly roles?: string;
    /** Roles granted by scopes. Default none. */
    readonly scopeRoles: Readonly<Record<string, readonly string[]>>;
  };
}

export interface LimitsConfig {
  /** Largest request body (bytes). Default 4194304. */
  readonly maxBodyBytes: number;
  /** Largest header block (bytes). Default 16384. */
  readonly maxHeaderBytes: number;
  /** Time to receive a request's headers (ms). Default 10000. */
  readonly headersTimeoutMs: number;
  /** Time to receive a whole request (ms). Default 30000. */
  readonly requestTimeoutMs: number;
  /** Idle keep-alive connection timeout (ms). Default 5000. */
  readonly keepAliveTimeoutMs: number;
  /** Requests of one session not yet answered. Default 64. */
  readonly maxInFlightPerSession: number;
  /** Time calls in flight get to finish on shutdown (ms). Default 10000. */
  readonly shutdownGraceMs: number;
}

export interface SessionsConfig {
  /** Default 1000. */
  readonly max: number;
  /** A session unused this long is closed (ms). Default 1800000. */
  readonly idleMs: number;
  /** SSE events kept per session for Last-Event-ID resumption. Default 1000. */
  readonly replayEvents: number;
}

export interface ReloadConfig {
  /** Watch the policy and its imports. Default true. */
  readonly watch: boolean;
  /** Wait this long after a change before compiling (ms). Default 200. */
  readonly debounceMs: number;
}

export interface LogConfig {
  /** Default `info`. */
  readonly level: "debug" | "info" | "warn" | "error";
}

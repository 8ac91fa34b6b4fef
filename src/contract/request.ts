/**
 * The request a host gives the policy: who asks (principal, client), for what (method and target,
 * arguments, annotations), where (the upstream server, the session) and when. The attribute registry
 * (attributes.ts) says which of these facts a policy condition may read and how.
 * INVARIANT: a request is data only; the evaluators validate it (a malformed one is denied
 * `invalid_request`) and never call into it.
 */
import type { Method } from "./methods.js";
import type { ProvenanceFacts, SessionEvent } from "./session.js";

export interface ToolAnnotations {
  readOnlyHint?: boolean;
  destructiveHint?: boolean;
  idempotentHint?: boolean;
  openWorldHint?: boolean;
}

export interface Principal {
  id?: string;
  roles?: string[];
  scopes?: string[];
  claims?: Record<string, unknown>;
}

export interface ClientInfo {
  ip?: string;
  tls?: boolean;
  mtls?: boolean;
  certSubject?: string;
  /** SHA-256 fingerprint of the verified client certificate, as Node prints it (`AB:CD:...`). */
  certFingerprint?: string;
}

/** Which upstream MCP server the call goes to, for gateways and proxies that front several. */
export interface ServerInfo {
  name?: string;
}

/**
 * What is known of the session. `id` is given by the host; the rest is filled by the engine's
 * "load session facts" phase from the session state (contract/session.ts), or given by a host that
 * calls `decide` directly (a test, the kit). A policy that reads labels, history or provenance and gets
 * a request without them errs (fail closed): missing history is never read as an empty one.
 */
export interface SessionFacts {
  id?: string;
  /** The session's labels (taint): sticky, they only accumulate. */
  labels?: string[];
  /** The session's retained events, oldest first (contract/session.ts). */
  history?: SessionEvent[];
  /** When events older than the oldest in `history` were dropped (retention), the time of the newest dropped one. */
  historyDroppedUntil?: number;
  /** Fingerprints of labelled results, for `derives from` (contract/session.ts). */
  provenance?: ProvenanceFacts;
}

/** A tool's result (MCP `CallToolResult`), for rules that inspect what a tool returned. */
export interface ToolResult {
  content?: unknown[];
  structuredContent?: unknown;
  isError?: boolean;
}

export interface PolicyRequest {
  principal?: Principal;
  /** Defaults to `tools/call`. */
  method?: Method;
  tool?: string;
  arguments?: Record<string, unknown>;
  annotations?: ToolAnnotations;
  resource?: string;
  prompt?: string;
  client?: ClientInfo;
  server?: ServerInfo;
  session?: SessionFacts;
  /** A tool call's result, once the tool has run (the engine's "inspect result" phase). */
  result?: ToolResult;
  /** Epoch milliseconds or an ISO 8601 string; the clock when absent. */
  time?: number | string;
}

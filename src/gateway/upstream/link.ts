/**
 * The contract between the gateway and one connection to one upstream MCP server (an "upstream link"):
 * what a link emits and what it accepts. `http-link.ts` and `stdio-link.ts` implement it; `index.ts`
 * picks one from the upstream's config.
 * GUARANTEES (both kinds):
 * - `send` never rejects and never throws. Every request handed to a live link is answered exactly once
 *   through `onMessage`: by the upstream, or by the link with a JSON-RPC error for that id (-32013 when the
 *   request failed on its own: an HTTP error, a non-JSON answer, its timeout; -32012 when the answer was
 *   over the size limit), or the link ends with `onClose`, after which the caller answers what is pending.
 * - `onClose` is called at most once, only for a failure of the whole link (process exited, session gone,
 *   connection refused or reset); never for a `close()` the caller asked for. After it, and after `close()`,
 *   no message is emitted except the -32013 answers to requests sent to the closed link. Its reason says
 *   what happened without naming the upstream (the caller knows which link it is); errors a link emits for
 *   a request name it (they go to the client as they are).
 */
import type { Writable } from "node:stream";
import type { JsonRpcId, JsonRpcMessage } from "../../mcp/index.js";

export interface LinkEvents {
  /** A message from the upstream: plain JSON data (fresh from `JSON.parse`, or built by the link of plain
   *  objects and primitives), not validated: the enforcer validates it without copying. `related`: the id of
   *  the client request whose HTTP response stream carried it (HTTP upstreams), else undefined. */
  onMessage(message: unknown, related?: string | number): void;
  /** The link is gone for good (process exited, upstream session 404, connection refused/reset); once. */
  onClose(reason: string): void;
}

export interface UpstreamLink {
  /** Hand one JSON-RPC message to the upstream. Never rejects. A request that fails on its own (HTTP 5xx,
   *  a non-JSON answer, its timeout) is answered through onMessage with a JSON-RPC error -32013
   *  (MCP_ERROR_CODES.UPSTREAM_UNAVAILABLE) for its id; a failure of the whole link calls onClose. */
  send(message: JsonRpcMessage): Promise<void>;
  /** Ends the link (HTTP: DELETE the upstream session; stdio: end stdin, SIGTERM after 2 s, SIGKILL after 5 s). */
  close(): Promise<void>;
  readonly kind: "http" | "stdio";
}

export interface LinkOptions {
  /** Largest message accepted from the upstream (bytes). Default 64 MiB (DEFAULT_MAX_SERVER_MESSAGE_BYTES). */
  maxMessageBytes?: number;
  /** Where a stdio upstream's stderr goes, each line prefixed `[upstream NAME] `. Default process.stderr. */
  stderr?: Writable;
}

/** What the links need to know of a message they send: whether it is a request (and its id). */
export function requestIdOf(message: JsonRpcMessage): JsonRpcId | undefined {
  const m = message as { id?: unknown; method?: unknown };
  return typeof m.method === "string" && (typeof m.id === "string" || typeof m.id === "number") ? m.id : undefined;
}

/** The id of a response (a message with an id and no method), else undefined. */
export function responseIdOf(message: unknown): JsonRpcId | undefined {
  if (typeof message !== "object" || message === null) return undefined;
  const m = message as { id?: unknown; method?: unknown };
  return m.method === undefined && (typeof m.id === "string" || typeof m.id === "number") ? m.id : undefined;
}

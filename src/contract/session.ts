/**
 * Session facts as data: the events of a session's history and the provenance fingerprints the engine
 * keeps per label. The engine writes them (runtime/phases), the stores keep them (runtime/store), the
 * evaluators read them from `request.session` (history predicates, `derives from`). Shared by all, so it
 * sits here, below everyone.
 * INVARIANT: plain data (JSON-safe: it crosses Redis as JSON), bounded by source/limits.ts.
 */

/** What became of a call, as history predicates name it. */
export type CallEffect = "allow" | "deny" | "require_approval";
/** How a call that ran ended. */
export type CallOutcome = "ok" | "error";

/**
 * One call of the session, recorded once when it ends: at decision time when it was denied or sent to
 * approval (no `outcome`), when the host settles it otherwise (`outcome`). Kinds a policy names:
 * `attempted` (every event), `allowed` (effect allow), `denied` (effect deny or require_approval),
 * `completed` (outcome ok), `failed` (outcome error).
 */
export interface SessionEvent {
  /** Store time (ms since the epoch) when the event was recorded. */
  at: number;
  /** The MCP method (`tools/call`, `resources/read`, ...). */
  method: string;
  /** The tool, resource URI or prompt name the call targeted, when it had one. */
  target?: string;
  /** The call's arguments (tools/call), truncated by the engine to LIMITS.sessionEventArgBytes (then absent and `argsDropped: true`). */
  args?: Record<string, unknown>;
  argsDropped?: boolean;
  /** The upstream server, when the request named one. */
  server?: string;
  effect: CallEffect;
  outcome?: CallOutcome;
  /** Labels this call's result added to the session. */
  labels?: string[];
}

/**
 * Fingerprints of the text of results that carried a label: label → winnowed k-gram hashes (base-36 strings).
 * `derives from LABEL` is true for a value whose own fingerprints meet them (runtime/provenance).
 */
export type ProvenanceFacts = Record<string, string[]>;

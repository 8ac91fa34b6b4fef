/**
 * Request and decision types: the contract between a host and the policy.
 * INVARIANT: every evaluator (interpreter, compiled) returns exactly these shapes, and any fault
 * becomes a `deny` with a reason — never a thrown error, never an `allow`.
 */

export type Method = "tools/call" | "tools/list" | "resources/read" | "prompts/get";
export const METHODS: readonly Method[] = ["tools/call", "tools/list", "resources/read", "prompts/get"];

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
  session?: { id?: string };
  /** Epoch milliseconds or an ISO 8601 string; the clock when absent. */
  time?: number | string;
}

export type Effect = "allow" | "deny" | "require_approval";

export type ReasonCode =
  | "allow_rule"
  | "deny_rule"
  | "no_rule"
  | "no_role"
  | "default_allow"
  | "invalid_request"
  | "evaluation_error"
  | "invalid_argument"
  | "approval_required"
  | "internal_error"
  // From the engine (budgets, approvals, idempotency), never from `decide` alone:
  | "budget_exceeded"
  | "budget_unavailable"
  | "budget_key_missing"
  | "budget_fail_open"
  | "approval_granted"
  | "approval_rejected"
  | "approval_invalid"
  | "idempotency_conflict"
  | "idempotent_replay";

export interface Reason {
  code: ReasonCode;
  /** The id of the rule or declaration that gave this reason (`developer/2`, `policy/1`, `tool:read_file/args`). */
  rule?: string;
  message: string;
}

export type Visibility = "always" | "never" | "depends";

/**
 * A decision is read-only: the compiled function shares some of its lists between decisions (frozen),
 * so copy a list before changing it.
 */
export interface Decision {
  effect: Effect;
  /** Why: for deny, every reason that denied; for allow, the rules that allowed. */
  reasons: Reason[];
  /** The roles the principal held for this request (host-given and derived, closed under includes), sorted. */
  roles: string[];
  /** Errors met while evaluating (each also denies when it came from a candidate rule). */
  errors: string[];
  /** The tool's declared risk, when the target is a declared tool. */
  risk?: "low" | "medium" | "high" | "critical";
  /** Ids of the budgets an allowed call must be charged to. */
  budgets: string[];
  /** For tools/list with a tool: whether calls to it could be allowed. */
  visibility?: Visibility;
}

export interface ExplainedRule {
  rule: string;
  effect: "allow" | "deny";
  line: number;
  /** matched: the rule applied; target-mismatch: its pattern did not match; condition-false: its condition did not hold; error. */
  outcome: "matched" | "target-mismatch" | "condition-false" | "not-held" | "error";
  detail?: string;
}

export interface Explanation {
  decision: Decision;
  rules: ExplainedRule[];
}

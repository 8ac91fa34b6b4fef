/**
 * The decision the policy returns, and its explanation.
 * INVARIANT: every evaluator (interpreter, compiled) returns exactly these shapes, and any fault
 * becomes a `deny` with a reason — never a thrown error, never an `allow`. A decision is read-only:
 * the compiled function shares some of its lists between decisions (frozen).
 */
import type { ReasonCode } from "./reasons.js";

export type Effect = "allow" | "deny" | "require_approval";

export interface Reason {
  readonly code: ReasonCode;
  /** The id of the rule or declaration that gave this reason (`developer/2`, `policy/1`, a named rule's name, `tool:read_file/args`). */
  readonly rule?: string;
  readonly message: string;
}

/**
 * Who may approve a call the policy sends to approval (grammar/README.md "Approvals"): `others` (anyone
 * but the caller; the host decides who), `caller` (the caller may approve its own call, e.g. through the
 * client), `roles` (an approver holding one of `roles`, as the policy resolves roles, who is not the
 * caller; an empty list: no one can, when blocks named disjoint roles).
 */
export type Approvers =
  | { readonly kind: "caller" }
  | { readonly kind: "others" }
  | { readonly kind: "roles"; readonly roles: readonly string[] };

export type Visibility = "always" | "never" | "depends";

export interface Decision {
  readonly effect: Effect;
  /** Why: for deny, every reason that denied; for allow, the rules that allowed. */
  readonly reasons: readonly Reason[];
  /** The roles the principal held for this request (host-given and derived, closed under includes), sorted. */
  readonly roles: readonly string[];
  /** Errors met while evaluating (each also denies when it came from a candidate rule). */
  readonly errors: readonly string[];
  /** The tool's declared risk, when the target is a declared tool. */
  readonly risk?: "low" | "medium" | "high" | "critical";
  /** Ids of the budgets an allowed call must be charged to. */
  readonly budgets: readonly string[];
  /** For a list method with an item: whether acting on the item could be allowed. */
  readonly visibility?: Visibility;
  /** On `require_approval` only: who may approve (the strictest of the blocks requiring it). */
  readonly approvers?: Approvers;
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

/**
 * Reason codes: why a decision is what it is. One list, read by both evaluators, the engine, the
 * policy test files and the CLI.
 */
export const REASON_CODES = [
  "allow_rule",
  "deny_rule",
  "no_rule",
  "no_role",
  "default_allow",
  "invalid_request",
  "evaluation_error",
  "invalid_argument",
  "approval_required",
  "internal_error",
  // From the engine (budgets, approvals, idempotency), never from `decide` alone:
  "budget_exceeded",
  "budget_unavailable",
  "budget_key_missing",
  "budget_fail_open",
  "approval_granted",
  "approval_rejected",
  "approval_invalid",
  "idempotency_conflict",
  "idempotent_replay",
] as const;

export type ReasonCode = (typeof REASON_CODES)[number];

/**
 * Building decisions. Every decision either evaluator returns is made here, with the same fields in the
 * same order (one hidden class for V8); `risk`, `visibility` and `approvers` are undefined when they do not apply,
 * which JSON and deep equality treat as absent.
 * INVARIANT: lists shared between decisions (`EMPTY`, a rule's `reasons`, memoized budgets) are frozen.
 */
import type { Approvers, Decision, Reason, Visibility } from "../../contract/index.js";
import { REASON_TEXT } from "../../contract/reasons.js";
import type { Mutable } from "../../contract/mutable.js";
import type { Risk } from "../../ir/ir.js";
import type { Call } from "./types.js";

/** The shared empty list of a decision without errors, roles or budgets. Frozen: callers cannot change it. */
export const EMPTY = Object.freeze([]) as unknown as string[];

export function decision(
  effect: Decision["effect"],
  reasons: readonly Reason[],
  roles: readonly string[],
  errors: readonly string[],
  budgets: readonly string[],
  risk: Risk | undefined,
  visibility?: Visibility,
  approvers?: Approvers,
): Decision {
  return { effect, reasons, roles, errors, risk, budgets, visibility, approvers } as Decision;
}

/** A deny with one reason (and no budgets). */
export function denyOf(code: Reason["code"], message: string, roles: readonly string[], errors: readonly string[], risk: Risk | undefined, rule?: string): Decision {
  return decision("deny", [rule ? { code, rule, message } : { code, message }], roles, errors, EMPTY, risk);
}

/** The decision for a fault of the evaluator itself: deny, `internal_error`. */
export function internalError(err: unknown): Decision {
  return decision("deny", [{ code: "internal_error", message: REASON_TEXT.internal((err as Error)?.message ?? String(err)) }], EMPTY, EMPTY, EMPTY, undefined);
}

/** `no_role`: the principal holds no declared role (mutable: a list method adds `visibility`). */
export function noRoleDecision(call: Call, risk: Risk | undefined): Mutable<Decision> {
  return denyOf("no_role", REASON_TEXT.noRole(call.ignored ?? EMPTY), EMPTY, call.errors ?? EMPTY, risk) as Mutable<Decision>;
}

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

/** The reasons of a `no_role` deny that ignored `ignored`, frozen (for evaluators that cache them). */
export function noRoleReasons(ignored: readonly string[]): readonly Reason[] {
  return Object.freeze([Object.freeze({ code: "no_role" as const, message: REASON_TEXT.noRole(ignored) })]);
}
const NO_ROLE = noRoleReasons(EMPTY);

/**
 * `no_role`: the principal holds no declared role (mutable: a list method adds `visibility`). The reasons
 * are shared when the call has them prebuilt (`call.noRole`) or ignored nothing.
 */
export function noRoleDecision(call: Call, risk: Risk | undefined): Mutable<Decision> {
  const ignored = call.ignored;
  const reasons = call.noRole ?? (ignored === undefined || ignored.length === 0 ? NO_ROLE : [{ code: "no_role", message: REASON_TEXT.noRole(ignored) }]);
  return decision("deny", reasons, EMPTY, call.errors ?? EMPTY, EMPTY, risk) as Mutable<Decision>;
}

/** The reasons of a `no_rule` deny of a call of `kind` `target` for `roles` (built; `RoleView.noRule` may cache them). */
export function noRuleReasons(kind: string, target: string, roles: readonly string[]): readonly Reason[] {
  return [{ code: "no_rule", message: REASON_TEXT.noRule(kind, target, roles) }];
}

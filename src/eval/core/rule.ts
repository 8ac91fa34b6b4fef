/**
 * Building the core's view of rules and tools from the IR, given their conditions in the evaluator's
 * form (interpreted or compiled). Reason texts come from the one catalog (contract/reasons.ts).
 */
import type { Approvers, Reason } from "../../contract/index.js";
import { REASON_TEXT } from "../../contract/reasons.js";
import type { IrRule, IrTool } from "../../ir/ir.js";
import type { CoreApproval, CoreBlock, CoreRule, Pred, TriPred } from "./types.js";

export interface Conditions {
  readonly when: Pred | undefined;
  readonly unless: Pred | undefined;
  readonly whenTri: TriPred | undefined;
  readonly unlessTri: TriPred | undefined;
}

export function coreRule(r: IrRule, c: Conditions, baseBudgets: readonly string[]): CoreRule {
  const reason: Reason = Object.freeze(
    r.effect === "allow"
      ? { code: "allow_rule" as const, rule: r.id, message: REASON_TEXT.allowedBy(r.role) }
      : { code: "deny_rule" as const, rule: r.id, message: REASON_TEXT.deniedBy(r.role, r.because) },
  );
  return {
    id: r.id,
    allow: r.effect === "allow",
    role: r.role,
    when: c.when,
    unless: c.unless,
    whenTri: c.whenTri,
    unlessTri: c.unlessTri,
    reason,
    reasons: Object.freeze([reason]),
    baseBudgets,
    budgetMemo: undefined,
  };
}

function frozenApprovers(a: Approvers): Approvers {
  return Object.freeze(a.kind === "roles" ? { kind: "roles" as const, roles: Object.freeze([...a.roles]) } : { kind: a.kind });
}

/** One tool block in the core's form (merged with the other blocks of a call by tools.ts). */
export function coreBlock(t: IrTool, args: CoreBlock["args"], when: Pred | undefined, whenTri: TriPred | undefined): CoreBlock {
  const approval: CoreApproval | undefined = t.approval && {
    label: t.name,
    rule: `${t.id}/approval`,
    when,
    whenTri,
    reason: Object.freeze({ code: "approval_required" as const, rule: `${t.id}/approval`, message: REASON_TEXT.approvalRequired(t.name) }),
    approvers: frozenApprovers(t.approval.approvers),
  };
  return { id: t.id, risk: t.risk, args, approval, budgetIds: Object.freeze(t.budgets.map((b) => b.id)) };
}

/**
 * Steps 3-5 and 9 of a decision (grammar/README.md, "Semantics of a decision"): match the candidate
 * rules, errors deny (including the denies in doubt), deny wins; and the budgets of an allow.
 * INVARIANT: an error never switches a deny off: an erring candidate, or a deny an erring membership may
 * bring in whose own condition is not false, denies with `evaluation_error`.
 */
import type { Decision, PolicyRequest, Reason } from "../../contract/index.js";
import { REASON_TEXT } from "../../contract/reasons.js";
import type { Risk } from "../../ir/ir.js";
import { EvalError } from "../../contract/errors.js";
import { decision, EMPTY } from "./decision.js";
import type { Call, CoreRule, CoreTool, Evaluator, Unsure } from "./types.js";

/** A deny Decision when a rule errs or denies; otherwise the allows are left in `call`. */
export function matchRules(req: PolicyRequest, cands: readonly CoreRule[], unsure: readonly Unsure[] | undefined, roles: readonly string[], risk: Risk | undefined, call: Call): Decision | undefined {
  let firstAllow: CoreRule | undefined;
  let allAllows: CoreRule[] | undefined;
  let firstDeny: CoreRule | undefined;
  let denies: CoreRule[] | undefined;
  let errs: Reason[] | undefined;
  for (let i = 0; i < cands.length; i++) {
    const r = cands[i]!;
    let holds: boolean;
    try {
      holds = (r.when === undefined || r.when(req)) && (r.unless === undefined || !r.unless(req));
    } catch (err) {
      if (!(err instanceof EvalError)) throw err;
      (errs ??= []).push({ code: "evaluation_error", rule: r.id, message: REASON_TEXT.ruleError(r.id, err.message) });
      (call.errors ??= []).push(`${r.id}: ${err.message}`);
      continue;
    }
    if (!holds) continue;
    if (!r.allow) {
      if (firstDeny === undefined) firstDeny = r;
      else (denies ??= [firstDeny]).push(r);
    }
    else if (firstAllow === undefined) firstAllow = r;
    else (allAllows ??= [firstAllow]).push(r);
  }
  // Step 4b: a deny rule an erring membership may bring in errs unless its own condition is false.
  if (unsure) for (const { rule: r, via } of unsure) {
    let holds: boolean;
    let why = "";
    try {
      holds = (r.when === undefined || r.when(req)) && (r.unless === undefined || !r.unless(req));
    } catch (err) {
      if (!(err instanceof EvalError)) throw err;
      holds = true;
      why = `; ${err.message}`;
      (call.errors ??= []).push(`${r.id}: ${err.message}`);
    }
    if (holds) (errs ??= []).push({ code: "evaluation_error", rule: r.id, message: REASON_TEXT.unsure(r.id, via) + why });
  }
  if (errs) return decision("deny", errs, roles, call.errors ?? EMPTY, EMPTY, risk);
  // One deny (the common case): its prebuilt reasons, no list built.
  if (firstDeny) return decision("deny", denies ? denies.map((r) => r.reason) : firstDeny.reasons, roles, call.errors ?? EMPTY, EMPTY, risk);
  call.firstAllow = firstAllow;
  call.allAllows = allAllows;
  return undefined;
}

const MAX_BUDGET_MEMO = 256;

/** Budgets when one rule allows: shared frozen lists, no allocation after the first call. */
export function singleBudgets(r: CoreRule, tool: CoreTool | undefined): readonly string[] {
  if (!tool || tool.budgetIds.length === 0) return r.baseBudgets;
  const memos = (r.budgetMemo ??= new Map());
  let memo = memos.get(tool.key);
  if (!memo) {
    memo = Object.freeze([...r.baseBudgets, ...tool.budgetIds]);
    // Keyed by the set of blocks, not the name; bounded all the same (families can combine in many ways).
    if (memos.size < MAX_BUDGET_MEMO) memos.set(tool.key, memo);
  }
  return memo;
}

/**
 * Budgets when several rules allow (or none, under `default allow`): the top-level ones, those of each
 * role owning a matching allow (roles sorted by name), then the tool's; each group in source order.
 */
export function budgetsOf(ev: Evaluator, allows: readonly CoreRule[], tool: CoreTool | undefined): readonly string[] {
  const out = ev.policyBudgets.slice();
  const roles = [...new Set(allows.map((r) => r.role as string))].sort();
  for (const r of roles) out.push(...ev.roleBudgets(r));
  if (tool) for (const id of tool.budgetIds) out.push(id);
  return out;
}

/** The budget ids of a rule allowing alone: the top-level ones, then its role's. Frozen. */
export function ruleBaseBudgets(policyBudgets: readonly string[], roleBudgets: readonly string[]): readonly string[] {
  return Object.freeze([...policyBudgets, ...roleBudgets]);
}

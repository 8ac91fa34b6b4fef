/**
 * THE decision core: grammar/README.md's "Semantics of a decision", assembled once for both evaluators
 * (the reference interpreter and the compiled function). An evaluator supplies how roles are resolved,
 * how candidate rules are found and how conditions are evaluated (`Evaluator`, types.ts); everything
 * else — the order of the steps, deny wins, the default, arguments, approval, budgets, list visibility
 * and every reason — is written here, once. The method table (contract/methods.ts) says what a method
 * acts on: an action method decides its target, a list method the visibility of one item (list.ts), a
 * server-to-client method (no rule kind governs it yet) the policy's default.
 * INVARIANT: `decideRequest` throws only on an evaluator fault (not `EvalError`); `decideWith` turns that
 * into a deny with `internal_error`. Any error met in a condition denies, never allows.
 */
import type { Approvers, Decision, Method, MethodRow, PolicyRequest, Reason, TargetKind } from "../../contract/index.js";
import { targetKindOf } from "../../contract/methods.js";
import { REASON_TEXT } from "../../contract/reasons.js";
import type { Risk } from "../../ir/ir.js";
import { EvalError } from "../../contract/errors.js";
import { validateRequest } from "../request.js";
import { decision, denyOf, EMPTY, internalError, noRoleDecision, noRuleReasons } from "./decision.js";
import { listDecision } from "./list.js";
import { budgetsOf, matchRules, singleBudgets } from "./match.js";
import { missingServerLimitFault, serverOf } from "./tools.js";
import { clearCall, newCall, type Call, type CoreRule, type CoreTool, type Evaluator, type RoleView } from "./types.js";

/** Decide a request; never throws. */
export function decideWith(ev: Evaluator, req: PolicyRequest): Decision {
  try {
    return decideRequest(ev, req);
  } catch (err) {
    return internalError(err);
  }
}

// The decision is split into small functions on purpose: V8 optimizes small functions the same way on
// every run, while one large function sometimes lost its inlining and ran twice as slow.

/** Decide a request (throws only on an evaluator fault). */
export function decideRequest(ev: Evaluator, req: PolicyRequest): Decision {
  // 1. shape
  const shape = validateRequest(req);
  if ("error" in shape) return decision("deny", invalidRequest(shape.error), EMPTY, EMPTY, EMPTY, undefined);
  const row = shape.row;
  const call = FREE_CALLS.pop() ?? newCall();
  try {
    if (row.lists !== undefined) return listDecision(ev, req, row, call);
    const kind = targetKindOf(row, req);
    if (kind === undefined) return toClientDecision(ev, req, shape.method, call);
    return actionDecision(ev, req, row, kind, call);
  } finally {
    releaseCall(call);
  }
}

/**
 * `Call` objects not in use. A decision takes one (or makes one) and gives it back emptied when it
 * returns or throws, so a decision allocates no per-call state; a nested decide() (a getter on the
 * request) takes another, since the outer one is not free. Nothing a decision returns refers to its
 * `Call` (the lists it holds, like `errors`, are handed over and the fields cleared, never the lists).
 */
const FREE_CALLS: Call[] = [];
const MAX_FREE_CALLS = 8;

function releaseCall(call: Call): void {
  clearCall(call);
  if (FREE_CALLS.length < MAX_FREE_CALLS) FREE_CALLS.push(call);
}

/** `invalid_request` reasons kept by message (bounded: messages may quote input; long ones never kept). */
const INVALID = new Map<string, readonly Reason[]>();
const MAX_INVALID = 256;

function invalidRequest(message: string): readonly Reason[] {
  let r = INVALID.get(message);
  if (r === undefined) {
    r = Object.freeze([Object.freeze({ code: "invalid_request" as const, message })]);
    if (message.length <= 512) {
      if (INVALID.size >= MAX_INVALID) INVALID.clear();
      INVALID.set(message, r);
    }
  }
  return r;
}

/** A method that acts on one target (`tools/call`, `resources/read`, `prompts/get`, `completion/complete`). */
function actionDecision(ev: Evaluator, req: PolicyRequest, row: MethodRow, kind: TargetKind, call: Call): Decision {
  // 2. roles
  const rs = ev.resolveRoles(req, call, false);
  // The target is read once (validateRequest found a string there), then the server.
  const target = req[kind] as string;
  let tool: CoreTool | undefined;
  let cands: readonly CoreRule[] | undefined;
  if (kind === "tool") {
    const server = serverOf(req);
    // One lookup for the tool's blocks and its candidates when the evaluator has them together.
    const both = rs?.callTarget?.(target);
    if (both !== undefined) {
      tool = both.tool;
      cands = both.cands;
    } else tool = ev.tool(target, server);
  }
  const risk = tool?.risk;
  if (!rs) return noRoleDecision(call, risk);
  // 3. candidates; 4. errors deny; 5. deny wins
  const denied = matchRules(req, cands ?? rs.candidates(kind, target), ev.unsureDenies(call, kind, target), rs.roles, risk, call);
  if (denied) return denied;
  return allowDecision(ev, req, row, kind, target, rs, tool, risk, call);
}

/** Steps 6-9, once no rule erred or denied. */
function allowDecision(ev: Evaluator, req: PolicyRequest, row: MethodRow, kind: TargetKind, target: string, rs: RoleView, tool: CoreTool | undefined, risk: Risk | undefined, call: Call): Decision {
  const roles = rs.roles;
  const single = call.allAllows === undefined ? call.firstAllow : undefined;
  const several = call.allAllows;
  // 6. allow or default
  let reasons: readonly Reason[];
  if (single) reasons = single.reasons;
  else if (several) reasons = several.map((r) => r.reason);
  else {
    if (!ev.defaultAllow) return decision("deny", rs.noRule ? rs.noRule(kind, target) : noRuleReasons(kind, target, roles), roles, call.errors ?? EMPTY, EMPTY, risk);
    reasons = [{ code: "default_allow", message: REASON_TEXT.defaultAllow() }];
  }
  // 7. arguments (only a call runs a tool): server-scoped blocks that cannot be judged deny first
  const callTool = row.runsTool ? tool : undefined;
  if (callTool?.fault) return decision("deny", [callTool.fault], roles, call.errors ?? EMPTY, EMPTY, risk);
  if (callTool?.args) {
    const fault = callTool.args(req.arguments ?? {});
    if (fault !== null) return decision("deny", fault.reasons, roles, call.errors ?? EMPTY, EMPTY, risk);
  }
  // 9. budgets (then those of the server block of the call's upstream)
  let budgetIds = single ? singleBudgets(single, callTool) : budgetsOf(ev, several ?? [], callTool);
  if (ev.serverBudgets.size > 0) {
    const server = serverOf(req);
    if (server === undefined) {
      const [name, ids] = ev.serverBudgets.entries().next().value as [string, readonly string[]];
      return decision("deny", [missingServerLimitFault(ids[0]!, name)], roles, call.errors ?? EMPTY, EMPTY, risk);
    }
    const own = ev.serverBudgets.get(server);
    if (own) budgetIds = [...budgetIds, ...own];
  }
  // 8. approval
  if (callTool && callTool.approvals.length > 0) {
    const d = approvalDecision(req, callTool, reasons, roles, budgetIds, risk, call);
    if (d) return d;
  }
  return decision("allow", reasons, roles, call.errors ?? EMPTY, budgetIds, risk);
}

/**
 * Step 8 for a tool whose blocks have `approval required`: every approval is evaluated, in block order;
 * one that errs denies (an error never switches a requirement off); otherwise the first that holds
 * requires approval, naming its block, and the approvers are the strictest of all that hold
 * (`strictestApprovers`); else undefined.
 */
function approvalDecision(req: PolicyRequest, tool: CoreTool, reasons: readonly Reason[], roles: readonly string[], budgetIds: readonly string[], risk: Risk | undefined, call: Call): Decision | undefined {
  let needed: Reason | undefined;
  let approvers: Approvers | undefined;
  for (const a of tool.approvals) {
    let needs: boolean;
    try {
      needs = a.when === undefined || a.when(req);
    } catch (err) {
      if (!(err instanceof EvalError)) throw err;
      (call.errors ??= []).push(err.message);
      return denyOf("evaluation_error", REASON_TEXT.approvalError(a.label, err.message), roles, call.errors, risk, a.rule);
    }
    if (!needs) continue;
    if (needed === undefined) needed = a.reason;
    approvers = approvers === undefined ? a.approvers : strictestApprovers(approvers, a.approvers);
  }
  return needed ? decision("require_approval", [...reasons, needed], roles, call.errors ?? EMPTY, budgetIds, risk, undefined, approvers) : undefined;
}

/**
 * The approvers when several blocks require approval of one call (grammar/README.md "Approvals"): the
 * stricter wins, `roles` over `others` over `caller`; two `roles` intersect (an approver must hold a role
 * every block names; an empty intersection: no one can approve, the call can only expire or be rejected).
 * Commutative and associative, so block order does not matter.
 */
export function strictestApprovers(a: Approvers, b: Approvers): Approvers {
  if (a.kind === "roles" && b.kind === "roles") {
    const roles = a.roles.filter((r) => b.roles.includes(r));
    return roles.length === a.roles.length ? a : Object.freeze({ kind: "roles" as const, roles: Object.freeze(roles) });
  }
  if (a.kind === "roles") return a;
  if (b.kind === "roles") return b;
  if (a.kind === "others") return a;
  return b;
}

/**
 * A server-to-client method (`sampling/createMessage`, `elicitation/create`): no rule kind governs it
 * yet, so after the shape and the roles (a principal with no role is denied `no_role`) the policy's
 * default decides: `no_rule` under `default deny`, `default_allow` (with the top-level budgets) under
 * `default allow`.
 */
function toClientDecision(ev: Evaluator, req: PolicyRequest, method: Method, call: Call): Decision {
  const rs = ev.resolveRoles(req, call, false);
  if (!rs) return noRoleDecision(call, undefined);
  if (!ev.defaultAllow) return denyOf("no_rule", REASON_TEXT.toClient(method, false), rs.roles, call.errors ?? EMPTY, undefined);
  return decision("allow", [{ code: "default_allow", message: REASON_TEXT.toClient(method, true) }], rs.roles, call.errors ?? EMPTY, budgetsOf(ev, [], undefined), undefined);
}

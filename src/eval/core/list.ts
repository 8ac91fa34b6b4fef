/**
 * List methods (`tools/list`, `resources/list`, `prompts/list`, `resources/templates/list`): without an
 * item, allowed to a principal that holds a role; with one, the item's visibility (visibility.ts) for
 * the calls it stands for, whose arguments are unknown. One generic path for every list row of the
 * method table; a resource template is decided on its witnesses (templates.ts).
 * INVARIANT: a list decision is `allow` exactly when its visibility is not `never`; a principal with no
 * role sees nothing (`no_role`, `never`).
 */
import type { Decision, MethodRow, PolicyRequest, TargetKind } from "../../contract/index.js";
import { listNoun } from "../../contract/methods.js";
import type { Mutable } from "../../contract/mutable.js";
import { REASON_TEXT } from "../../contract/reasons.js";
import { resourceFault } from "../request.js";
import { decision, denyOf, EMPTY, noRoleDecision } from "./decision.js";
import { missingServerLimitFault, serverOf } from "./tools.js";
import { parseTemplate, witnesses } from "./templates.js";
import { newCall, type Call, type Evaluator } from "./types.js";
import { visibilityOf } from "./visibility.js";

export function listDecision(ev: Evaluator, req: PolicyRequest, row: MethodRow, call: Call): Decision {
  const kind = row.lists as TargetKind;
  const item = req[kind];
  const rs = ev.resolveRoles(req, call, item !== undefined);
  const tool = kind === "tool" && item !== undefined ? ev.tool(item, serverOf(req)) : undefined;
  const risk = tool?.risk;
  if (!rs) {
    const d = noRoleDecision(call, risk);
    if (item !== undefined) d.visibility = "never";
    return d;
  }
  const roles = rs.roles;
  if (item === undefined) return decision("allow", [{ code: "allow_rule", message: REASON_TEXT.listAllowed(listNoun(row)) }], roles, call.errors ?? EMPTY, EMPTY, undefined);
  // Server blocks with limits, and a request that names no server: every call it stands for is denied.
  // (A tool whose server-scoped blocks cannot be judged says so first, as a call does: visibility.ts.)
  if (ev.serverBudgets.size > 0 && serverOf(req) === undefined && !tool?.fault) {
    const [name, ids] = ev.serverBudgets.entries().next().value as [string, readonly string[]];
    const d = decision("deny", [missingServerLimitFault(ids[0]!, name)], roles, call.errors ?? EMPTY, EMPTY, risk) as Mutable<Decision>;
    d.visibility = "never";
    return d;
  }
  if (row.templates) return templateDecision(ev, req, item, roles, call);
  const { v, reasons } = visibilityOf(req, roles.length > 0, ev.defaultAllow, rs.candidates(kind, item), ev.unsureDenies(call, kind, item), ev.maybeRules(call, kind, item), tool);
  if (v === "never") {
    const d = denyOf("no_rule", REASON_TEXT.neverVisible(kind, item, REASON_TEXT.who(roles)), roles, call.errors ?? EMPTY, risk) as Mutable<Decision>;
    if (reasons) d.reasons = reasons;
    d.visibility = v;
    return d;
  }
  const message = v === "always" ? REASON_TEXT.visibleAlways(kind, item) : REASON_TEXT.visibleDepends(kind, item);
  return decision("allow", [{ code: "allow_rule", message }], roles, call.errors ?? EMPTY, EMPTY, risk, v);
}

/**
 * A resource template is visible (`depends`) when some witness, listed as a resource with the rest of
 * the request unchanged, is not `never`; otherwise `never` (`no_rule`). Each witness is decided on its
 * own (its roles too: a membership may read `resource.uri`).
 */
function templateDecision(ev: Evaluator, req: PolicyRequest, template: string, roles: readonly string[], call: Call): Decision {
  const t = parseTemplate(template);
  if (typeof t === "string") return denyOf("invalid_request", `the resource template ${JSON.stringify(template)} ${t}`, EMPTY, EMPTY, undefined);
  for (const w of witnesses(t, ev.resourceSeeds())) {
    if (resourceFault(w) !== undefined) continue;
    const sub: PolicyRequest = { ...req, method: "resources/list", resource: w };
    const c = newCall();
    const rs = ev.resolveRoles(sub, c, true);
    if (!rs) continue;
    const { v } = visibilityOf(sub, rs.roles.length > 0, ev.defaultAllow, rs.candidates("resource", w), ev.unsureDenies(c, "resource", w), ev.maybeRules(c, "resource", w), undefined);
    if (v !== "never") return decision("allow", [{ code: "allow_rule", message: REASON_TEXT.templateVisible(template) }], roles, call.errors ?? EMPTY, EMPTY, undefined, "depends");
  }
  const d = denyOf("no_rule", REASON_TEXT.templateNever(template, REASON_TEXT.who(roles)), roles, call.errors ?? EMPTY, undefined) as Mutable<Decision>;
  d.visibility = "never";
  return d;
}

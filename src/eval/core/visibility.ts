/**
 * Visibility of one listed item (a tool, a resource, a prompt) for a principal, with the arguments of
 * the calls it stands for unknown (grammar/README.md, "`tools/list`"; list methods generalise it).
 * INVARIANT: `never` only when every call is denied, `always` only when every call with valid arguments
 * is allowed: a condition or membership that reads the arguments is unknown, never an error, and an allow
 * that might match may err, so it keeps the item at `depends`.
 */
import type { PolicyRequest, Reason, Visibility } from "../../contract/index.js";
import { REASON_TEXT } from "../../contract/reasons.js";
import type { CoreRule, CoreTool, Tri, Unsure } from "./types.js";

/**
 * The visibility, and when it is `never` because of rules, the reasons (errors first, then denies).
 * `sure`: the principal holds some role whatever the arguments; when it holds roles only through
 * memberships that read them, some calls have no role (`no_role`), so the item is `depends` at best.
 */
export function visibilityOf(
  req: PolicyRequest,
  sure: boolean,
  defaultAllow: boolean,
  cands: readonly CoreRule[],
  unsure: readonly Unsure[] | undefined,
  maybe: readonly CoreRule[] | undefined,
  tool: CoreTool | undefined,
): { v: Visibility; reasons?: Reason[] } {
  let allowSure = false;
  let allowMaybe = false;
  let denyMaybe = false;
  let errs: Reason[] | undefined;
  let denies: Reason[] | undefined;
  for (const r of cands) {
    const w: Tri = r.whenTri ? r.whenTri(req) : true;
    const u: Tri = r.unlessTri ? r.unlessTri(req) : false;
    if (w === "error" || u === "error") {
      (errs ??= []).push({ code: "evaluation_error", rule: r.id, message: REASON_TEXT.ruleError(r.id) });
      continue;
    }
    const holds: Tri = w === false || u === true ? false : w === true && u === false ? true : "unknown";
    if (holds === false) continue;
    if (!r.allow) {
      if (holds === true) (denies ??= []).push(r.reason);
      else denyMaybe = true;
    } else if (holds === true) allowSure = true;
    else allowMaybe = true;
  }
  // A deny an erring membership may bring in: as if it erred when it would match, a maybe when it might.
  if (unsure) for (const { rule: r, via } of unsure) {
    const w: Tri = r.whenTri ? r.whenTri(req) : true;
    const u: Tri = w === "error" || w === false || !r.unlessTri ? false : r.unlessTri(req);
    if (w === false || u === true) continue;
    if (w !== "error" && (w === "unknown" || u === "unknown")) denyMaybe = true;
    else (errs ??= []).push({ code: "evaluation_error", rule: r.id, message: REASON_TEXT.unsure(r.id, via) });
  }
  // A role held for some arguments only: its denies might apply, its allows might grant (where they cannot err).
  if (maybe) for (const r of maybe) {
    const w: Tri = r.whenTri ? r.whenTri(req) : true;
    const u: Tri = w === false || !r.unlessTri ? false : r.unlessTri(req);
    if (w === false || u === true) continue;
    if (!r.allow) denyMaybe = true;
    else if (w !== "error" && u !== "error") allowMaybe = true;
  }
  if (errs) return { v: "never", reasons: errs };
  if (denies) return { v: "never", reasons: denies };
  if (!allowSure && !allowMaybe && !defaultAllow) return { v: "never" };
  // An allow that depends on the arguments may also err on them (a missing or mistyped argument), and an
  // erring allow denies (step 4): `always` only when no candidate's condition reads the arguments.
  if (denyMaybe || allowMaybe || !sure || (!allowSure && !defaultAllow)) return { v: "depends" };
  // Server-scoped blocks apply and the request names no server: every call is denied (step 7).
  if (tool?.fault) return { v: "never", reasons: [tool.fault] };
  // Every block's approval (tool families): one erring whatever the arguments denies every call (step 8);
  // one that holds or may hold makes the tool `depends`.
  let depends = false;
  if (tool) for (const ap of tool.approvals) {
    if (!ap.whenTri) {
      depends = true;
      continue;
    }
    const a = ap.whenTri(req);
    if (a === "error") return { v: "never", reasons: [{ code: "evaluation_error", rule: ap.rule, message: REASON_TEXT.approvalError(ap.label) }] };
    if (a !== false) depends = true;
  }
  return { v: depends ? "depends" : "always" };
}

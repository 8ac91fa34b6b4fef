/**
 * The reference interpreter: grammar/README.md's "Semantics of a decision", step by step, over the
 * IR, with no indexes and no caching. It is the oracle the compiled decision function is tested
 * against. INVARIANT: never throws; any fault is a deny with a reason. INVARIANT: an error never
 * switches a deny off: an erring deny condition, `unless`, or membership of a role that owns or
 * includes a deny (the role is then "in doubt", see `rolesOf`) denies with `evaluation_error`.
 * INVARIANT (tools/list): `never` only when every call is denied, `always` only when every call with
 * valid arguments is allowed: a condition or membership that reads the arguments is unknown, never an
 * error, and an allow that might match may err, so it keeps the tool at `depends`.
 * Keeps no state outside a call, so a getter on the request may call decide again (re-entrant).
 */
import type { IrExpr, IrPolicy, IrRule, IrTool } from "../ir/ir.js";
import { readsArgs } from "../ir/queries.js";
import { globTest, patternMatches as matchesPattern, setMatcher } from "../ir/match.js";
import type { Mutable } from "../contract/mutable.js";
import type { Decision, ExplainedRule, Method, PolicyRequest, Reason, Visibility } from "../contract/index.js";
import { checkValue } from "./args.js";
import { asBool, opEquals, opInList, opInSet, opMatches, opOrder } from "./operators.js";
import { EvalError, hasAttr, readAttr, validateRequest } from "./request.js";

// ---- expressions (two-valued; throws EvalError) ----
export function evalExpr(e: IrExpr, req: PolicyRequest): unknown {
  switch (e.k) {
    case "lit":
      return e.value;
    case "list":
      return e.values;
    case "attr":
      return readAttr(req, e.root, e.path, e.text);
    case "has":
      return hasAttr(req, e.root, e.path);
    case "not":
      return !asBool(evalExpr(e.e, req), "the operand of `not`");
    case "and":
      for (const x of e.es) if (!asBool(evalExpr(x, req), "an operand of `and`")) return false;
      return true;
    case "or":
      for (const x of e.es) if (asBool(evalExpr(x, req), "an operand of `or`")) return true;
      return false;
    case "eq":
      return opEquals(evalExpr(e.l, req), evalExpr(e.r, req));
    case "ne":
      return !opEquals(evalExpr(e.l, req), evalExpr(e.r, req));
    case "lt":
    case "le":
    case "gt":
    case "ge":
      return opOrder(e.k, evalExpr(e.l, req), evalExpr(e.r, req));
    case "in":
      return opInList(evalExpr(e.l, req), evalExpr(e.r, req)) !== e.negate;
    case "inSet":
      return opInSet(evalExpr(e.l, req), setMatcher(e.set)) !== e.negate;
    case "contains":
      return opInList(evalExpr(e.r, req), evalExpr(e.l, req));
    case "matches":
      return opMatches(evalExpr(e.l, req), globTest(e));
  }
}

export function evalCondition(e: IrExpr, req: PolicyRequest): boolean {
  return asBool(evalExpr(e, req), "the condition");
}

// ---- three-valued evaluation for tools/list: arguments are unknown ----
export type Tri = true | false | "unknown" | "error";


export function evalTri(e: IrExpr, req: PolicyRequest): Tri {
  if (e.k === "not") {
    const v = evalTri(e.e, req);
    return typeof v === "boolean" ? !v : v;
  }
  if (e.k === "and" || e.k === "or") {
    const stop = e.k === "or"; // `or` stops at true, `and` at false
    let unknown = false;
    for (const x of e.es) {
      const v = evalTri(x, req);
      if (v === "error") return unknown ? "unknown" : "error";
      if (v === "unknown") unknown = true;
      else if (v === stop) return stop;
    }
    return unknown ? "unknown" : !stop;
  }
  if (readsArgs(e)) return "unknown";
  try {
    return evalCondition(e, req);
  } catch (err) {
    if (err instanceof EvalError) return "error";
    throw err;
  }
}

// ---- rules ----
const TARGET_OF: Partial<Record<Method, "tool" | "resource" | "prompt">> = {
  "tools/call": "tool",
  "tools/list": "tool",
  "resources/read": "resource",
  "prompts/get": "prompt",
};

export function targetValue(req: PolicyRequest, method: Method): string | undefined {
  const t = TARGET_OF[method];
  return t === "tool" ? req.tool : t === "resource" ? req.resource : t === "prompt" ? req.prompt : undefined;
}

export function patternMatches(rule: IrRule, value: string): boolean {
  return rule.patterns.some((p) => matchesPattern(p, value));
}

/**
 * Roles held: declared host roles plus derived ones, closed under includes; sorted. `unsure`: the roles
 * (closed under includes, minus those held) of every derived role whose membership condition erred and
 * that is not held anyway, each mapped to the erring role that would have brought it; their deny rules
 * may apply (grammar/README.md, "Errors deny").
 */
export function rolesOf(ir: IrPolicy, req: PolicyRequest, list = false): { roles: string[]; ignored: string[]; errors: string[]; unsure: Map<string, string>; maybe: Set<string> } {
  const held = new Set<string>();
  const ignored: string[] = [];
  const errors: string[] = [];
  const erred: string[] = [];
  const maybeHeld: string[] = [];
  for (const r of req.principal?.roles ?? []) {
    if (ir.roles.has(r)) held.add(r);
    else ignored.push(r);
  }
  for (const role of ir.roles.values()) {
    if (held.has(role.name)) continue;
    let err = false;
    let unknown = false;
    for (const m of role.members) {
      if (list) {
        // tools/list: a membership that reads the arguments may hold for some calls and not others.
        const v = evalTri(m, req);
        if (v === true) {
          held.add(role.name);
          err = unknown = false;
          break;
        }
        if (v === "unknown") unknown = true;
        else if (v === "error") {
          errors.push(`membership of role \`${role.name}\` could not be evaluated`);
          err = true;
        }
        continue;
      }
      try {
        if (evalCondition(m, req)) {
          held.add(role.name);
          err = false;
          break;
        }
      } catch (e) {
        if (!(e instanceof EvalError)) throw e;
        errors.push(`membership of role \`${role.name}\`: ${e.message}`);
        err = true;
      }
    }
    if (err) erred.push(role.name);
    if (unknown) maybeHeld.push(role.name);
  }
  const closed = new Set<string>();
  for (const r of held) for (const x of ir.roles.get(r)!.closure) closed.add(x);
  const unsure = new Map<string, string>();
  for (const r of erred) for (const x of ir.roles.get(r)!.closure) if (!closed.has(x) && !unsure.has(x)) unsure.set(x, r);
  const maybe = new Set<string>();
  for (const r of maybeHeld) for (const x of ir.roles.get(r)!.closure) if (!closed.has(x)) maybe.add(x);
  return { roles: [...closed].sort(), ignored, errors, unsure, maybe };
}

/**
 * tools/list only: the rules (allow and deny) of the roles a membership that reads the arguments may
 * bring in (`maybe`), that fit the tool, roles sorted by name, rules in source order.
 */
export function maybeRules(ir: IrPolicy, maybe: ReadonlySet<string>, tool: string): IrRule[] {
  const out: IrRule[] = [];
  for (const name of [...maybe].sort()) for (const r of ir.roles.get(name)!.rules) if (r.target === "tool" && patternMatches(r, tool)) out.push(r);
  return out;
}

/**
 * The deny rules of the unsure roles that fit the target, roles sorted by name, rules in source order,
 * each with the erring role that would have brought it.
 */
export function unsureDenies(ir: IrPolicy, unsure: ReadonlyMap<string, string>, kind: "tool" | "resource" | "prompt" | undefined, target: string): { rule: IrRule; via: string }[] {
  const out: { rule: IrRule; via: string }[] = [];
  for (const name of [...unsure.keys()].sort()) {
    for (const r of ir.roles.get(name)!.rules) if (r.effect === "deny" && r.target === kind && patternMatches(r, target)) out.push({ rule: r, via: unsure.get(name)! });
  }
  return out;
}

export function approvalErrorReason(tool: string): Reason {
  return { code: "evaluation_error", rule: `tool:${tool}/approval`, message: `the approval condition of \`${tool}\` could not be evaluated` };
}

export function unsureMessage(id: string, via: string): string {
  return `deny rule \`${id}\` may apply: the membership condition of role \`${via}\` could not be evaluated`;
}

function candidates(ir: IrPolicy, roles: string[], method: Method, target: string): IrRule[] {
  const kind = TARGET_OF[method];
  const out: IrRule[] = [];
  for (const r of ir.topDenies) if (r.target === kind && patternMatches(r, target)) out.push(r);
  for (const name of roles) for (const r of ir.roles.get(name)!.rules) if (r.target === kind && patternMatches(r, target)) out.push(r);
  return out;
}

function ruleHolds(r: IrRule, req: PolicyRequest): boolean {
  if (r.when && !evalCondition(r.when, req)) return false;
  if (r.unless && evalCondition(r.unless, req)) return false;
  return true;
}

function deny(code: Reason["code"], message: string, base: Partial<Decision> = {}, rule?: string): Decision {
  return {
    effect: "deny",
    reasons: [rule ? { code, rule, message } : { code, message }],
    roles: base.roles ?? [],
    errors: base.errors ?? [],
    budgets: [],
    ...(base.risk && { risk: base.risk }),
  };
}

function allowMessage(r: IrRule): string {
  return r.role ? `allowed by role \`${r.role}\`` : "allowed";
}
function denyMessage(r: IrRule): string {
  return r.because ?? (r.role ? `denied by role \`${r.role}\`` : "denied by policy");
}

export function decide(ir: IrPolicy, req: PolicyRequest): Decision {
  try {
    return decideUnsafe(ir, req, undefined);
  } catch (err) {
    return deny("internal_error", `internal error: ${(err as Error)?.message ?? String(err)}`);
  }
}

export function explain(ir: IrPolicy, req: PolicyRequest): { decision: Decision; rules: ExplainedRule[] } {
  const trace: ExplainedRule[] = [];
  let decision: Decision;
  try {
    decision = decideUnsafe(ir, req, trace);
  } catch (err) {
    decision = deny("internal_error", `internal error: ${(err as Error)?.message ?? String(err)}`);
  }
  return { decision, rules: trace };
}

function decideUnsafe(ir: IrPolicy, req: PolicyRequest, trace: ExplainedRule[] | undefined): Decision {
  // 1. shape
  const shape = validateRequest(req);
  if ("error" in shape) return deny("invalid_request", shape.error);
  const method = shape.method;
  // 2. roles
  const { roles, ignored, errors, unsure, maybe } = rolesOf(ir, req, method === "tools/list" && req.tool !== undefined);
  const tool = method === "tools/call" || method === "tools/list" ? (req.tool !== undefined ? ir.tools.get(req.tool) : undefined) : undefined;
  const base: Partial<Decision> = { roles, errors, ...(tool?.risk && { risk: tool.risk }) };
  if (trace) traceAll(ir, roles, unsure, req, method, trace);
  if (roles.length === 0 && maybe.size === 0) {
    const d: Mutable<Decision> = deny("no_role", ignored.length ? `the principal holds no role of this policy (ignored: ${ignored.join(", ")})` : "the principal holds no role of this policy", base);
    if (method === "tools/list" && req.tool !== undefined) d.visibility = "never";
    return d;
  }
  if (method === "tools/list") return listDecision(ir, req, roles, unsure, maybe, tool, base);
  const target = targetValue(req, method) as string;
  // 3. candidates; 4. errors deny; 5. deny wins
  const cands = candidates(ir, roles, method, target);
  const allows: IrRule[] = [];
  const denies: IrRule[] = [];
  const errs: Reason[] = [];
  for (const r of cands) {
    try {
      if (ruleHolds(r, req)) (r.effect === "allow" ? allows : denies).push(r);
    } catch (err) {
      if (!(err instanceof EvalError)) throw err;
      errs.push({ code: "evaluation_error", rule: r.id, message: `rule \`${r.id}\` could not be evaluated: ${err.message}` });
      errors.push(`${r.id}: ${err.message}`);
    }
  }
  // 4b. a deny rule that an erring membership may bring in applies unless its own condition is false
  for (const { rule: r, via } of unsureDenies(ir, unsure, TARGET_OF[method], target)) {
    let holds: boolean;
    let why = "";
    try {
      holds = ruleHolds(r, req);
    } catch (err) {
      if (!(err instanceof EvalError)) throw err;
      holds = true;
      why = `; ${err.message}`;
      errors.push(`${r.id}: ${err.message}`);
    }
    if (holds) errs.push({ code: "evaluation_error", rule: r.id, message: unsureMessage(r.id, via) + why });
  }
  if (errs.length) return { ...deny("evaluation_error", "", base), reasons: errs, errors };
  if (denies.length) {
    return { ...deny("deny_rule", "", base), reasons: denies.map((r) => ({ code: "deny_rule" as const, rule: r.id, message: denyMessage(r) })) };
  }
  // 6. allow or default
  const reasons: Reason[] = allows.map((r) => ({ code: "allow_rule" as const, rule: r.id, message: allowMessage(r) }));
  if (allows.length === 0) {
    if (ir.defaultEffect === "deny") {
      return deny("no_rule", `no rule allows ${TARGET_OF[method]} \`${target}\` for ${roles.map((r) => `\`${r}\``).join(", ")}`, base);
    }
    reasons.push({ code: "default_allow", message: "no rule decided; the policy's default is allow" });
  }
  // 7. arguments
  if (method === "tools/call" && tool?.args) {
    const fault = checkValue(tool.args, req.arguments ?? {}, "args");
    if (fault) return deny("invalid_argument", fault, base, `tool:${tool.name}/args`);
  }
  // 9. budgets
  const budgets = budgetsFor(ir, allows, method === "tools/call" ? tool : undefined);
  // 8. approval
  if (method === "tools/call" && tool?.approval) {
    let needs: boolean;
    try {
      needs = tool.approval.when ? evalCondition(tool.approval.when, req) : true;
    } catch (err) {
      if (!(err instanceof EvalError)) throw err;
      return deny("evaluation_error", `the approval condition of \`${tool.name}\` could not be evaluated: ${err.message}`, { ...base, errors: [...errors, err.message] }, `tool:${tool.name}/approval`);
    }
    if (needs) {
      reasons.push({ code: "approval_required", rule: `tool:${tool.name}/approval`, message: `calls to \`${tool.name}\` need a human's approval` });
      return { effect: "require_approval", reasons, roles, errors, budgets, ...(tool.risk && { risk: tool.risk }) };
    }
  }
  return { effect: "allow", reasons, roles, errors, budgets, ...(tool?.risk && { risk: tool.risk }) };
}

export function budgetsFor(ir: IrPolicy, allows: readonly IrRule[], tool: IrTool | undefined): string[] {
  const out = ir.budgets.map((b) => b.id);
  const roles = [...new Set(allows.map((r) => r.role as string))].sort();
  for (const r of roles) for (const b of ir.roles.get(r)!.budgets) out.push(b.id);
  if (tool) for (const b of tool.budgets) out.push(b.id);
  return out;
}

// ---- tools/list ----
/** Visibility of a tool, and when it is `never` because of rules, the reasons (errors first, then denies). */
export function visibility(ir: IrPolicy, req: PolicyRequest, roles: string[], unsure: ReadonlyMap<string, string>, maybe: ReadonlySet<string>, tool: IrTool | undefined): { v: Visibility; reasons?: Reason[] } {
  const name = req.tool as string;
  const cands = candidates(ir, roles, "tools/call", name);
  let allowSure = false;
  let allowMaybe = false;
  let denyMaybe = false;
  const errs: Reason[] = [];
  const denies: Reason[] = [];
  for (const r of cands) {
    const w = r.when ? evalTri(r.when, req) : true;
    const u = r.unless ? evalTri(r.unless, req) : false;
    if (w === "error" || u === "error") {
      errs.push({ code: "evaluation_error", rule: r.id, message: `rule \`${r.id}\` could not be evaluated` });
      continue;
    }
    const holds: Tri = w === false || u === true ? false : w === true && u === false ? true : "unknown";
    if (holds === false) continue;
    if (r.effect === "deny") {
      if (holds === true) denies.push({ code: "deny_rule", rule: r.id, message: denyMessage(r) });
      else denyMaybe = true;
    } else if (holds === true) allowSure = true;
    else allowMaybe = true;
  }
  // A deny an erring membership may bring in: as if it erred when it would match, a maybe when it might.
  for (const { rule: r, via } of unsureDenies(ir, unsure, "tool", name)) {
    const w = r.when ? evalTri(r.when, req) : true;
    const u = w === "error" || w === false || !r.unless ? false : evalTri(r.unless, req);
    if (w === false || u === true) continue;
    if (w !== "error" && (w === "unknown" || u === "unknown")) denyMaybe = true;
    else errs.push({ code: "evaluation_error", rule: r.id, message: unsureMessage(r.id, via) });
  }
  // A role held for some arguments only: its denies might apply, its allows might grant (where they cannot err).
  for (const r of maybeRules(ir, maybe, name)) {
    const w = r.when ? evalTri(r.when, req) : true;
    const u = w === false || !r.unless ? false : evalTri(r.unless, req);
    if (w === false || u === true) continue;
    if (r.effect === "deny") denyMaybe = true;
    else if (w !== "error" && u !== "error") allowMaybe = true;
  }
  if (errs.length) return { v: "never", reasons: errs };
  if (denies.length) return { v: "never", reasons: denies };
  if (!allowSure && !allowMaybe && ir.defaultEffect === "deny") return { v: "never" };
  // An allow that depends on the arguments may also err on them (a missing or mistyped argument), and an
  // erring allow denies (step 4): `always` only when no candidate's condition reads the arguments.
  if (denyMaybe || allowMaybe || (!allowSure && ir.defaultEffect === "deny")) return { v: "depends" };
  if (tool?.approval) {
    if (!tool.approval.when) return { v: "depends" };
    const a = evalTri(tool.approval.when, req);
    // An approval condition that errs whatever the arguments denies every call (step 8).
    if (a === "error") return { v: "never", reasons: [approvalErrorReason(tool.name)] };
    if (a !== false) return { v: "depends" };
  }
  return { v: "always" };
}

/** The roles held, for messages; a principal with only roles that the arguments may bring holds none for sure. */
export function whoOf(roles: readonly string[]): string {
  return roles.length ? roles.map((r) => `\`${r}\``).join(", ") : "this principal (no role held for every call)";
}

function listDecision(ir: IrPolicy, req: PolicyRequest, roles: string[], unsure: ReadonlyMap<string, string>, maybe: ReadonlySet<string>, tool: IrTool | undefined, base: Partial<Decision>): Decision {
  if (req.tool === undefined) {
    return { effect: "allow", reasons: [{ code: "allow_rule", message: "listing tools is allowed to principals that hold a role" }], roles, errors: base.errors ?? [], budgets: [] };
  }
  const { v, reasons } = visibility(ir, req, roles, unsure, maybe, tool);
  if (v === "never") {
    const d: Mutable<Decision> = deny("no_rule", `no call to tool \`${req.tool}\` can be allowed for ${whoOf(roles)}`, base);
    if (reasons) d.reasons = reasons;
    d.visibility = v;
    return d;
  }
  return {
    effect: "allow",
    reasons: [{ code: "allow_rule", message: v === "always" ? `tool \`${req.tool}\` is always allowed` : `tool \`${req.tool}\` is allowed for some arguments` }],
    roles,
    errors: base.errors ?? [],
    budgets: [],
    visibility: v,
    ...(base.risk && { risk: base.risk }),
  };
}

// ---- explain ----
function traceAll(ir: IrPolicy, roles: string[], unsure: ReadonlyMap<string, string>, req: PolicyRequest, method: Method, trace: ExplainedRule[]) {
  const kind = TARGET_OF[method];
  const target = method === "tools/list" ? req.tool : targetValue(req, method);
  const held = new Set(roles);
  const all: IrRule[] = [...ir.topDenies];
  for (const role of ir.roles.values()) all.push(...role.rules);
  for (const r of all) {
    const line = r.span.start;
    const e: ExplainedRule = { rule: r.id, effect: r.effect, line, outcome: "matched" };
    if (r.role && !held.has(r.role)) {
      e.outcome = "not-held";
      const via = unsure.get(r.role);
      if (via !== undefined && r.effect === "deny") e.detail = `the membership condition of role \`${via}\` could not be evaluated: the rule may apply`;
    }
    else if (r.target !== kind || target === undefined || !patternMatches(r, target)) e.outcome = "target-mismatch";
    else if (method === "tools/list") {
      const w = r.when ? evalTri(r.when, req) : true;
      const u = r.unless ? evalTri(r.unless, req) : false;
      if (w === "error" || u === "error") e.outcome = "error";
      else if (w === false || u === true) e.outcome = "condition-false";
      else if (w === "unknown" || u === "unknown") e.detail = "depends on the arguments";
    } else {
      try {
        if (!ruleHolds(r, req)) e.outcome = "condition-false";
      } catch (err) {
        e.outcome = "error";
        e.detail = (err as Error).message;
      }
    }
    trace.push(e);
  }
}

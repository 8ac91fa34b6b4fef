/**
 * The reference interpreter: expressions walked over the IR, roles and candidate rules found by a plain
 * scan, with no indexes and no caching of candidates or decisions; the decision itself is assembled by the shared core
 * (eval/core/, grammar/README.md's "Semantics of a decision"), the same code the compiled function
 * uses. It is the oracle the compiled decision function is tested against.
 * INVARIANT: never throws; any fault is a deny with a reason. INVARIANT: an error never switches a deny
 * off: an erring deny condition, `unless`, or membership of a role that owns or includes a deny (the
 * role is then "in doubt", see `rolesOf`) denies with `evaluation_error`.
 * Keeps no state outside a call, so a getter on the request may call decide again (re-entrant).
 */
import type { IrExpr, IrPolicy, IrRule, IrTool } from "../ir/ir.js";
import { readsArgs, serverBudgetsOf, serverScopedBlocks, toolBlocks } from "../ir/queries.js";
import { globTest, patternMatches as matchesPattern, regexTest, setMatcher } from "../ir/match.js";
import type { Decision, ExplainedRule, MethodRow, PolicyRequest, TargetKind } from "../contract/index.js";
import { targetKindOf } from "../contract/methods.js";
import { REASON_TEXT } from "../contract/reasons.js";
import { checkValue } from "./args.js";
import { asBool, opContains, opEquals, opInList, opInSet, opMatches, opOrder } from "./operators.js";
import { EvalError } from "../contract/errors.js";
import { defaultPresence, hasAttr, readAttr, validateRequest } from "./request.js";
import { anyPathArgHolds, anyPathArgSees, evalPathRead } from "./paths.js";
import { opCarries, opDerives } from "./session-ops.js";
import { evalHistory, readEvent } from "./history.js";
import { coreBlock, coreRule, decideWith, mergeBlocks, missingServerFault, internalError, resourceSeeds, ruleBaseBudgets, type CoreBlock, type CoreRule, type Evaluator, type Tri } from "./core/index.js";

export type { Tri } from "./core/index.js";

// ---- expressions (two-valued; throws EvalError) ----
export function evalExpr(e: IrExpr, req: PolicyRequest): unknown {
  switch (e.k) {
    case "lit":
      return e.value;
    case "list":
      return e.values;
    case "attr":
      return readAttr(req, e.root, e.path, e.text, e.zone);
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
      return opContains(evalExpr(e.l, req), evalExpr(e.r, req));
    case "matches":
      return opMatches(evalExpr(e.l, req), globTest(e));
    case "default":
      return defaultPresence(e.e.root)(req, e.e.path) ? readAttr(req, e.e.root, e.e.path, e.e.text) : evalExpr(e.d, req);
    case "regex":
      return opMatches(evalExpr(e.l, req), regexTest(e));
    case "pathRead":
      return evalPathRead(e, evalExpr(e.l, req), req);
    case "anyPathArg":
      return anyPathArgHolds(e, req);
    case "carries":
      return opCarries(evalExpr(e.l, req), e.detector);
    case "derives":
      return opDerives(req, evalExpr(e.l, req), e.label);
    case "history":
      return evalHistory(e, req, evalCondition);
    case "event":
      return readEvent(e);
  }
}

export function evalCondition(e: IrExpr, req: PolicyRequest): boolean {
  return asBool(evalExpr(e, req), "the condition");
}

// ---- three-valued evaluation for list methods: arguments are unknown ----

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
  if (e.k === "anyPathArg" && !anyPathArgSees(e, req)) return false;
  if (readsArgs(e)) return "unknown";
  try {
    return evalCondition(e, req);
  } catch (err) {
    if (err instanceof EvalError) return "error";
    throw err;
  }
}

// ---- rules ----
export function patternMatches(rule: IrRule, value: string): boolean {
  return rule.patterns.some((p) => matchesPattern(p, value));
}

/**
 * Roles held: declared host roles plus derived ones, closed under includes; sorted. `unsure`: the roles
 * (closed under includes, minus those held) of every derived role whose membership condition erred and
 * that is not held anyway, each mapped to the erring role that would have brought it; their deny rules
 * may apply (grammar/README.md, "Errors deny"). `list` (a list method with an item): memberships are
 * three-valued, and `maybe` holds the roles (closed, minus those held) a membership reading the
 * arguments may bring.
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
        // A list method: a membership that reads the arguments may hold for some calls and not others.
        const v = evalTri(m, req);
        if (v === true) {
          held.add(role.name);
          err = unknown = false;
          break;
        }
        if (v === "unknown") unknown = true;
        else if (v === "error") {
          errors.push(REASON_TEXT.membershipError(role.name));
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
        errors.push(REASON_TEXT.membershipError(role.name, e.message));
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

/** The rules of the named roles (sorted by name) of `kind` that match `target`, in source order. */
function rulesOf(ir: IrPolicy, names: Iterable<string>, kind: TargetKind, target: string, denyOnly: boolean): IrRule[] {
  const out: IrRule[] = [];
  for (const name of [...names].sort()) for (const r of ir.roles.get(name)!.rules) if ((!denyOnly || r.effect === "deny") && r.target === kind && patternMatches(r, target)) out.push(r);
  return out;
}

function ruleHolds(r: IrRule, req: PolicyRequest): boolean {
  if (r.when && !evalCondition(r.when, req)) return false;
  if (r.unless && evalCondition(r.unless, req)) return false;
  return true;
}

/**
 * The interpreter as the decision core's evaluator: candidates by scanning the IR, conditions walked by
 * `evalCondition`/`evalTri`. One per IR (the core's view of a rule is a pure function of the rule), and
 * no state of any call: that lives in the core's `Call`.
 */
function evaluatorOf(ir: IrPolicy): Evaluator {
  let ev = EVALUATORS.get(ir);
  if (!ev) EVALUATORS.set(ir, (ev = newEvaluator(ir)));
  return ev;
}
const EVALUATORS = new WeakMap<IrPolicy, Evaluator>();

function newEvaluator(ir: IrPolicy): Evaluator {
  const policyBudgets = ir.budgets.map((b) => b.id);
  const roleBudgets = (role: string) => ir.roles.get(role)?.budgets.map((b) => b.id) ?? [];
  const rules = new Map<IrRule, CoreRule>();
  const ruleOf = (r: IrRule): CoreRule => {
    let c = rules.get(r);
    if (!c) {
      const { when, unless } = r;
      c = coreRule(
        r,
        {
          when: when && ((req) => evalCondition(when, req)),
          unless: unless && ((req) => evalCondition(unless, req)),
          whenTri: when && ((req) => evalTri(when, req)),
          unlessTri: unless && ((req) => evalTri(unless, req)),
        },
        ruleBaseBudgets(policyBudgets, r.role !== undefined ? roleBudgets(r.role) : []),
      );
      rules.set(r, c);
    }
    return c;
  };
  return {
    defaultAllow: ir.defaultEffect === "allow",
    policyBudgets,
    serverBudgets: serverBudgetsOf(ir),
    roleBudgets,
    resolveRoles(req, call, list) {
      const { roles, ignored, errors, unsure, maybe } = rolesOf(ir, req, list);
      if (errors.length) call.errors = errors;
      if (ignored.length) call.ignored = ignored;
      if (unsure.size) call.unsure = unsure;
      if (maybe.size) call.maybe = maybe;
      if (roles.length === 0 && maybe.size === 0) return undefined;
      return {
        roles,
        candidates(kind, name) {
          const out: CoreRule[] = [];
          for (const r of ir.topDenies) if (r.target === kind && patternMatches(r, name)) out.push(ruleOf(r));
          for (const role of roles) for (const r of ir.roles.get(role)!.rules) if (r.target === kind && patternMatches(r, name)) out.push(ruleOf(r));
          return out;
        },
      };
    },
    unsureDenies(call, kind, name) {
      if (!call.unsure) return undefined;
      const out = rulesOf(ir, call.unsure.keys(), kind, name, true).map((r) => ({ rule: ruleOf(r), via: call.unsure!.get(r.role!)! }));
      return out.length ? out : undefined;
    },
    maybeRules(call, kind, name) {
      if (!call.maybe) return undefined;
      const out = rulesOf(ir, call.maybe, kind, name, false).map(ruleOf);
      return out.length ? out : undefined;
    },
    tool(name, server) {
      // A plain scan of every block, per call (no cache): the oracle the compiled function's caches are tested against.
      const scoped = server === undefined ? serverScopedBlocks(ir, name) : [];
      return mergeBlocks(toolBlocks(ir, name, server).map(interpretedBlock), scoped.length ? missingServerFault(scoped) : undefined);
    },
    resourceSeeds: () => resourceSeeds(ir),
  };
}

/**
 * One tool block with its conditions walked over the IR: a pure function of the block, so made once per
 * block (as the core's view of a rule is); which blocks apply is still found by a plain scan per call.
 */
function interpretedBlock(t: IrTool): CoreBlock {
  let b = BLOCKS.get(t);
  if (!b) {
    const args = t.args;
    const when = t.approval?.when;
    BLOCKS.set(t, (b = coreBlock(t, args && ((v) => checkValue(args, v, "args")), when && ((req) => evalCondition(when, req)), when && ((req) => evalTri(when, req)))));
  }
  return b;
}
const BLOCKS = new WeakMap<IrTool, CoreBlock>();

export function decide(ir: IrPolicy, req: PolicyRequest): Decision {
  return decideWith(evaluatorOf(ir), req);
}

export function explain(ir: IrPolicy, req: PolicyRequest): { decision: Decision; rules: ExplainedRule[] } {
  const trace: ExplainedRule[] = [];
  try {
    const shape = validateRequest(req);
    if (!("error" in shape)) traceAll(ir, req, shape.row, trace);
  } catch (err) {
    return { decision: internalError(err), rules: trace };
  }
  return { decision: decideWith(evaluatorOf(ir), req), rules: trace };
}

// ---- explain ----
/** Every rule with its outcome for this request; a list method's item is decided with the arguments unknown. */
function traceAll(ir: IrPolicy, req: PolicyRequest, row: MethodRow, trace: ExplainedRule[]) {
  const list = row.lists !== undefined;
  const kind = list ? row.lists : targetKindOf(row, req);
  // A resource template is not one target: its rules are decided on witnesses (eval/core/templates.ts).
  const target = kind === undefined || row.templates ? undefined : (req[kind] as string | undefined);
  const { roles, unsure } = rolesOf(ir, req, list && target !== undefined);
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
    else if (list) {
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

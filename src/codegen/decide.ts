/**
 * The compiled decision function. Built once per policy from the IR:
 *  - every condition and argument type is a closure (closures.ts);
 *  - rules are indexed by role set, method and target name: a request looks up its candidate rules
 *    in a Map instead of scanning the policy, so the cost stays flat as the policy grows;
 *  - reasons and role lists are prebuilt and frozen, so an allow allocates little beyond its result.
 * It must decide exactly as eval/interpreter.ts does (a property test checks this).
 * INVARIANT: never throws; any fault is a deny with reason `internal_error`.
 * INVARIANT: per-call state lives in one `Call` object per decide(), never in closure variables, so a
 * nested decide() (a getter on the request) cannot change the outer decision. Caches are keyed by
 * JSON.stringify of role lists, which no two different lists share.
 */
import { EvalError, validateRequest } from "../eval/request.js";
import { approvalErrorReason, unsureMessage, whoOf, type Tri } from "../eval/interpreter.js";
import type { IrPolicy, IrRule, IrTool } from "../ir/ir.js";
import { buildRuleIndex, lookup, type IndexedRule, type OwnerIndex, type RuleIndex } from "../ir/optimize.js";
import { globTest } from "../ir/match.js";
import type { Mutable } from "../contract/mutable.js";
import type { Decision, Method, PolicyRequest, Reason, Visibility } from "../contract/index.js";
import { compilePred, compileTri, compileType, type Check, type Pred } from "./closures.js";

interface CRule {
  readonly ir: IrRule;
  readonly id: string;
  readonly allow: boolean;
  readonly role: string | undefined;
  readonly when: Pred | undefined;
  readonly unless: Pred | undefined;
  readonly whenTri: ((r: PolicyRequest) => Tri) | undefined;
  readonly unlessTri: ((r: PolicyRequest) => Tri) | undefined;
  readonly match: (name: string) => boolean;
  readonly reason: Reason;
  /** `[reason]`, frozen: the reasons of a decision this rule alone decides. */
  readonly reasons: readonly Reason[];
  /** Budget ids when this rule alone allows a call to a tool without budgets of its own (policy + role), frozen. */
  readonly baseBudgets: readonly string[];
  /** The same plus a tool's own budgets, by tool name, frozen (bounded by the declared tools). */
  readonly budgetMemo: Map<string, readonly string[]>;
}

interface CTool {
  readonly ir: IrTool;
  readonly args: Check | undefined;
  readonly argsRule: string;
  readonly approval: Pred | undefined;
  readonly approvalTri: ((r: PolicyRequest) => Tri) | undefined;
  readonly approvalReason: Reason;
  readonly budgetIds: readonly string[];
}

type Kind = "tool" | "resource" | "prompt";
const KIND_OF: Partial<Record<Method, Kind>> = { "tools/call": "tool", "tools/list": "tool", "resources/read": "resource", "prompts/get": "prompt" };
const MAX_CACHED_NAMES = 4096;
const MAX_CACHED_ROLESETS = 1024;
/** The shared empty list of a decision without errors or budgets. Frozen: callers cannot change it. */
const EMPTY = Object.freeze([]) as unknown as string[];

/** Candidate rules for one set of held roles, looked up in the optimizer's index and memoized by name. */
class RoleSet {
  readonly roles: readonly string[];
  private readonly owners: OwnerIndex[];
  private readonly byName: Record<Kind, Map<string, readonly CRule[]>> = { tool: new Map(), resource: new Map(), prompt: new Map() };
  /** `withTop`: the top-level denies are candidates too (false for the roles an erring membership may bring). */
  constructor(roles: string[], index: RuleIndex, private readonly ruleAt: (r: IndexedRule) => CRule, withTop = true) {
    this.roles = Object.freeze(roles);
    this.owners = [...(withTop ? [index.top] : []), ...roles.map((r) => index.roles.get(r)!)];
  }
  candidates(kind: Kind, name: string): readonly CRule[] {
    const cache = this.byName[kind];
    const hit = cache.get(name);
    if (hit) return hit;
    const found: IndexedRule[] = [];
    for (const o of this.owners) lookup(o, kind, name, found);
    // Owners come in global order and each lookup is in order, so `found` is already sorted.
    const out = found.map(this.ruleAt);
    if (cache.size < MAX_CACHED_NAMES) cache.set(name, out);
    return out;
  }
}

/**
 * Every decision the compiled function returns has the same fields in the same order (one hidden
 * class for V8); `risk` and `visibility` are undefined when they do not apply, which JSON and deep
 * equality treat as absent.
 */
function decision(
  effect: Decision["effect"],
  reasons: readonly Reason[],
  roles: readonly string[],
  errors: readonly string[],
  budgets: readonly string[],
  risk: IrTool["risk"],
  visibility?: Visibility,
): Decision {
  return { effect, reasons: reasons as Reason[], roles: roles as string[], errors: errors as string[], risk, budgets: budgets as string[], visibility } as Decision;
}

/**
 * Per-call state, one object per decide(). INVARIANT: nothing that belongs to one call lives in a closure
 * or module variable, so a nested decide() (a getter on the request that calls it) cannot change it.
 */
interface Call {
  /** Errors met (memberships, rules, approval), in order. */
  errors: string[] | undefined;
  /** Role names the host gave that the policy does not declare. */
  ignored: string[] | undefined;
  /** Derived roles whose membership condition erred and that are not held. */
  erred: string[] | undefined;
  /** tools/list: derived roles not held whose membership reads the arguments (held for some calls). */
  maybe: string[] | undefined;
  /** The first matching allow, and all of them when there are several. */
  firstAllow: CRule | undefined;
  allAllows: CRule[] | undefined;
}

export interface CompiledDecider {
  decide(req: PolicyRequest): Decision;
}

export function compileDecider(ir: IrPolicy): CompiledDecider {
  const roleBudgets = new Map([...ir.roles.values()].map((r) => [r.name, r.budgets.map((b) => b.id)] as const));
  const policyBudgets = ir.budgets.map((b) => b.id);
  const cRule = (r: IrRule): CRule => {
    const exact = new Set<string>();
    const globs: ((s: string) => boolean)[] = [];
    for (const p of r.patterns) if (p.kind === "exact") exact.add(p.text);
    else globs.push(globTest(p));
    const match =
      globs.length === 0
        ? (s: string) => exact.has(s)
        : (s: string) => {
            if (exact.has(s)) return true;
            for (const g of globs) if (g(s)) return true;
            return false;
          };
    const reason: Reason = Object.freeze(
      r.effect === "allow"
        ? { code: "allow_rule" as const, rule: r.id, message: r.role ? `allowed by role \`${r.role}\`` : "allowed" }
        : { code: "deny_rule" as const, rule: r.id, message: r.because ?? (r.role ? `denied by role \`${r.role}\`` : "denied by policy") },
    );
    return {
      ir: r,
      id: r.id,
      allow: r.effect === "allow",
      role: r.role,
      when: r.when && compilePred(r.when),
      unless: r.unless && compilePred(r.unless),
      whenTri: r.when && compileTri(r.when),
      unlessTri: r.unless && compileTri(r.unless),
      match,
      reason,
      reasons: Object.freeze([reason]),
      baseBudgets: Object.freeze([...policyBudgets, ...(r.role !== undefined ? roleBudgets.get(r.role) ?? [] : [])]),
      budgetMemo: new Map(),
    };
  };
  // Each rule is compiled once, on first use (a large policy compiles fast; rules never met cost nothing),
  // and kept at the position the optimizer's index gives it.
  const index = buildRuleIndex(ir);
  const compiledRules: (CRule | undefined)[] = new Array(index.size);
  const ruleAt = (r: IndexedRule): CRule => (compiledRules[r.order] ??= cRule(r.rule));
  const derived = [...ir.roles.values()].filter((r) => r.members.length > 0).map((r) => ({ name: r.name, members: r.members.map(compilePred), tri: r.members.map(compileTri) }));
  const closures = new Map([...ir.roles.values()].map((r) => [r.name, r.closure] as const));
  const tools = new Map<string, CTool>();
  for (const t of ir.tools.values()) {
    tools.set(t.name, {
      ir: t,
      args: t.args && compileType(t.args, "args"),
      argsRule: `tool:${t.name}/args`,
      approval: t.approval ? (t.approval.when ? compilePred(t.approval.when) : () => true) : undefined,
      approvalTri: t.approval?.when && compileTri(t.approval.when),
      approvalReason: Object.freeze({ code: "approval_required" as const, rule: `tool:${t.name}/approval`, message: `calls to \`${t.name}\` need a human's approval` }),
      budgetIds: t.budgets.map((b) => b.id),
    });
  }
  const roleSets = new Map<string, RoleSet>();
  /** One role named by the host, no derived roles in the policy: its role set, by name. */
  const singleRoleSets = new Map<string, RoleSet>();
  const defaultAllow = ir.defaultEffect === "allow";

  // Keys of role lists: JSON.stringify is injective on lists of strings (a join on any separator is not).
  function roleSetFor(names: string[]): RoleSet {
    const key = JSON.stringify(names);
    let rs = roleSets.get(key);
    if (!rs) {
      rs = new RoleSet(names, index, ruleAt);
      // Bounded: when full, start over rather than stop caching (role sets are cheap to rebuild).
      if (roleSets.size >= MAX_CACHED_ROLESETS) roleSets.clear();
      roleSets.set(key, rs);
    }
    return rs;
  }

  /** Role sets by the host's role list (only when the policy derives no roles); bounded. */
  const givenRoleSets = new Map<string, RoleSet>();
  /** Role sets of the roles an erring membership may bring in (their deny rules only are used), bounded. */
  const unsureSets = new Map<string, RoleSet>();

  /**
   * Held roles, closed and sorted; errors of membership conditions go to `call.errors`, erring roles to
   * `call.erred`. `list` (tools/list of one tool): memberships are three-valued, and those that read the
   * arguments go to `call.maybe`; an empty role set is returned when only such roles may be held.
   */
  function resolveRoles(req: PolicyRequest, call: Call, list = false): RoleSet | undefined {
    const given = req.principal?.roles;
    if (derived.length === 0 && given !== undefined) {
      // Fast paths: the host's role list seen before (one role: by name, no key to build).
      if (given.length === 1) {
        const hit = singleRoleSets.get(given[0]!);
        if (hit) return hit;
      } else if (given.length > 1) {
        const hit = givenRoleSets.get(JSON.stringify(given));
        if (hit) return hit;
      }
    }
    const held = new Set<string>();
    if (given) for (const r of given) {
      if (closures.has(r)) held.add(r);
      else (call.ignored ??= []).push(r);
    }
    for (const d of derived) {
      if (held.has(d.name)) continue;
      let erred = false;
      if (list) {
        let unknown = false;
        for (const m of d.tri) {
          const v = m(req);
          if (v === true) {
            held.add(d.name);
            erred = unknown = false;
            break;
          }
          if (v === "unknown") unknown = true;
          else if (v === "error") {
            (call.errors ??= []).push(`membership of role \`${d.name}\` could not be evaluated`);
            erred = true;
          }
        }
        if (erred) (call.erred ??= []).push(d.name);
        if (unknown) (call.maybe ??= []).push(d.name);
        continue;
      }
      for (const m of d.members) {
        try {
          if (m(req)) {
            held.add(d.name);
            erred = false;
            break;
          }
        } catch (err) {
          if (!(err instanceof EvalError)) throw err;
          (call.errors ??= []).push(`membership of role \`${d.name}\`: ${err.message}`);
          erred = true;
        }
      }
      if (erred) (call.erred ??= []).push(d.name);
    }
    if (held.size === 0) return call.maybe ? roleSetFor([]) : undefined;
    const closed = new Set<string>();
    for (const r of held) for (const x of closures.get(r)!) closed.add(x);
    const rs = roleSetFor([...closed].sort());
    if (derived.length === 0 && given !== undefined) {
      if (given.length === 1) singleRoleSets.set(given[0]!, rs); // holds declared role names only
      else {
        if (givenRoleSets.size >= MAX_CACHED_ROLESETS) givenRoleSets.clear();
        givenRoleSets.set(JSON.stringify(given), rs);
      }
    }
    return rs;
  }

  /**
   * The deny rules that the erring memberships of `call.erred` may bring in for a target (the roles
   * they include and that are not held), roles sorted, rules in source order, each with its erring role.
   */
  function unsureDenies(call: Call, held: readonly string[], kind: Kind, name: string): { rule: CRule; via: string }[] | undefined {
    if (call.erred === undefined) return undefined;
    const via = new Map<string, string>();
    for (const e of call.erred) for (const x of closures.get(e)!) if (!held.includes(x) && !via.has(x)) via.set(x, e);
    if (via.size === 0) return undefined;
    const names = [...via.keys()].sort();
    const key = JSON.stringify(names);
    let us = unsureSets.get(key);
    if (!us) {
      us = new RoleSet(names, index, ruleAt, false);
      if (unsureSets.size >= MAX_CACHED_ROLESETS) unsureSets.clear();
      unsureSets.set(key, us);
    }
    const out: { rule: CRule; via: string }[] = [];
    for (const r of us.candidates(kind, name)) if (!r.allow) out.push({ rule: r, via: via.get(r.role!)! });
    return out.length ? out : undefined;
  }

  /** tools/list: the rules (allow and deny) of the roles of `call.maybe` (closed, minus those held) that fit the tool. */
  function maybeRules(call: Call, held: readonly string[], name: string): readonly CRule[] | undefined {
    if (call.maybe === undefined) return undefined;
    const names = new Set<string>();
    for (const m of call.maybe) for (const x of closures.get(m)!) if (!held.includes(x)) names.add(x);
    if (names.size === 0) return undefined;
    const sorted = [...names].sort();
    const key = `maybe:${JSON.stringify(sorted)}`;
    let ms = unsureSets.get(key);
    if (!ms) {
      ms = new RoleSet(sorted, index, ruleAt, false);
      if (unsureSets.size >= MAX_CACHED_ROLESETS) unsureSets.clear();
      unsureSets.set(key, ms);
    }
    return ms.candidates("tool", name);
  }

  function denyOf(code: Reason["code"], message: string, roles: readonly string[], errors: string[], risk: IrTool["risk"], rule?: string): Decision {
    return decision("deny", [rule ? { code, rule, message } : { code, message }], roles, errors, EMPTY, risk);
  }

  /** Budgets when one rule allows: shared frozen lists, no allocation after the first call. */
  function singleBudgets(r: CRule, tool: CTool | undefined): readonly string[] {
    if (!tool || tool.budgetIds.length === 0) return r.baseBudgets;
    let memo = r.budgetMemo.get(tool.ir.name);
    if (!memo) {
      memo = Object.freeze([...r.baseBudgets, ...tool.budgetIds]);
      r.budgetMemo.set(tool.ir.name, memo);
    }
    return memo;
  }

  /** Budgets when several rules allow (or none, under `default allow`). */
  function budgets(allows: readonly CRule[], tool: CTool | undefined): readonly string[] {
    const out = policyBudgets.slice();
    const roles = [...new Set(allows.map((r) => r.role as string))].sort();
    for (const r of roles) out.push(...(roleBudgets.get(r) ?? []));
    if (tool) for (const id of tool.budgetIds) out.push(id);
    return out;
  }

  /** Same as the interpreter's `visibility`: reasons are given when rules make it `never`. */
  function visibility(req: PolicyRequest, cands: readonly CRule[], unsure: { rule: CRule; via: string }[] | undefined, maybe: readonly CRule[] | undefined, tool: CTool | undefined): { v: Visibility; reasons?: Reason[] } {
    let allowSure = false;
    let allowMaybe = false;
    let denyMaybe = false;
    let errs: Reason[] | undefined;
    let denies: Reason[] | undefined;
    for (const r of cands) {
      const w: Tri = r.whenTri ? r.whenTri(req) : true;
      const u: Tri = r.unlessTri ? r.unlessTri(req) : false;
      if (w === "error" || u === "error") {
        (errs ??= []).push({ code: "evaluation_error", rule: r.id, message: `rule \`${r.id}\` could not be evaluated` });
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
    // Same as the interpreter: a deny an erring membership may bring in errs when it would match.
    if (unsure) for (const { rule: r, via } of unsure) {
      const w: Tri = r.whenTri ? r.whenTri(req) : true;
      const u: Tri = w === "error" || w === false || !r.unlessTri ? false : r.unlessTri(req);
      if (w === false || u === true) continue;
      if (w !== "error" && (w === "unknown" || u === "unknown")) denyMaybe = true;
      else (errs ??= []).push({ code: "evaluation_error", rule: r.id, message: unsureMessage(r.id, via) });
    }
    // Same as the interpreter: a role held for some arguments only makes its rules a maybe.
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
    if (denyMaybe || allowMaybe || (!allowSure && !defaultAllow)) return { v: "depends" };
    if (tool?.approval) {
      if (!tool.approvalTri) return { v: "depends" };
      const a = tool.approvalTri(req);
      if (a === "error") return { v: "never", reasons: [approvalErrorReason(tool.ir.name)] };
      if (a !== false) return { v: "depends" };
    }
    return { v: "always" };
  }

  // The decision is split into small functions on purpose: V8 optimizes small functions the same way on
  // every run, while one large function sometimes lost its inlining and ran twice as slow.

  function noRoleDecision(req: PolicyRequest, method: Method, call: Call, risk: IrTool["risk"]): Decision {
    const errors = call.errors;
    const ignored = call.ignored ?? EMPTY;
    const d: Mutable<Decision> = denyOf("no_role", ignored.length ? `the principal holds no role of this policy (ignored: ${ignored.join(", ")})` : "the principal holds no role of this policy", EMPTY, errors ?? EMPTY, risk);
    if (method === "tools/list" && req.tool !== undefined) d.visibility = "never";
    return d;
  }

  function listDecision(req: PolicyRequest, rs: RoleSet, call: Call, tool: CTool | undefined, risk: IrTool["risk"]): Decision {
    const roles = rs.roles;
    const errors = call.errors;
    if (req.tool === undefined) {
      return decision("allow", [{ code: "allow_rule", message: "listing tools is allowed to principals that hold a role" }], roles, errors ?? EMPTY, EMPTY, undefined);
    }
    const { v, reasons } = visibility(req, rs.candidates("tool", req.tool), unsureDenies(call, roles, "tool", req.tool), maybeRules(call, roles, req.tool), tool);
    if (v === "never") {
      const d: Mutable<Decision> = denyOf("no_rule", `no call to tool \`${req.tool}\` can be allowed for ${whoOf(roles)}`, roles, errors ?? EMPTY, risk);
      if (reasons) d.reasons = reasons;
      d.visibility = v;
      return d;
    }
    const message = v === "always" ? `tool \`${req.tool}\` is always allowed` : `tool \`${req.tool}\` is allowed for some arguments`;
    return decision("allow", [{ code: "allow_rule", message }], roles, errors ?? EMPTY, EMPTY, risk, v);
  }

  /** Steps 3-5: a deny Decision when a rule errs or denies; otherwise the allows are left in `call`. */
  function matchRules(req: PolicyRequest, cands: readonly CRule[], unsure: { rule: CRule; via: string }[] | undefined, rs: RoleSet, risk: IrTool["risk"], call: Call): Decision | undefined {
    let firstAllow: CRule | undefined;
    let allAllows: CRule[] | undefined;
    let denies: CRule[] | undefined;
    let errs: Reason[] | undefined;
    for (let i = 0; i < cands.length; i++) {
      const r = cands[i]!;
      let holds: boolean;
      try {
        holds = (r.when === undefined || r.when(req)) && (r.unless === undefined || !r.unless(req));
      } catch (err) {
        if (!(err instanceof EvalError)) throw err;
        (errs ??= []).push({ code: "evaluation_error", rule: r.id, message: `rule \`${r.id}\` could not be evaluated: ${err.message}` });
        (call.errors ??= []).push(`${r.id}: ${err.message}`);
        continue;
      }
      if (!holds) continue;
      if (!r.allow) (denies ??= []).push(r);
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
      if (holds) (errs ??= []).push({ code: "evaluation_error", rule: r.id, message: unsureMessage(r.id, via) + why });
    }
    if (errs) return decision("deny", errs, rs.roles, call.errors ?? EMPTY, EMPTY, risk);
    if (denies) return decision("deny", denies.length === 1 ? denies[0]!.reasons : denies.map((r) => r.reason), rs.roles, call.errors ?? EMPTY, EMPTY, risk);
    call.firstAllow = firstAllow;
    call.allAllows = allAllows;
    return undefined;
  }

  /** Step 8 for a tool with `approval required`. */
  function approvalDecision(req: PolicyRequest, tool: CTool, reasons: Reason[], roles: readonly string[], budgetIds: readonly string[], risk: IrTool["risk"], call: Call): Decision | undefined {
    let needs: boolean;
    try {
      needs = tool.approval!(req);
    } catch (err) {
      if (!(err instanceof EvalError)) throw err;
      (call.errors ??= []).push(err.message);
      return denyOf("evaluation_error", `the approval condition of \`${tool.ir.name}\` could not be evaluated: ${err.message}`, roles, call.errors, risk, `tool:${tool.ir.name}/approval`);
    }
    return needs ? decision("require_approval", [...reasons, tool.approvalReason], roles, call.errors ?? EMPTY, budgetIds, risk) : undefined;
  }

  function decideUnsafe(req: PolicyRequest): Decision {
    const shape = validateRequest(req);
    if ("error" in shape) return denyOf("invalid_request", shape.error, EMPTY, EMPTY, undefined);
    const method = shape.method;
    const call: Call = { errors: undefined, ignored: undefined, erred: undefined, maybe: undefined, firstAllow: undefined, allAllows: undefined };
    const rs = resolveRoles(req, call, method === "tools/list" && req.tool !== undefined);
    const kind = KIND_OF[method]!;
    const tool = kind === "tool" && req.tool !== undefined ? tools.get(req.tool) : undefined;
    const risk = tool?.ir.risk;
    if (!rs) return noRoleDecision(req, method, call, risk);
    if (method === "tools/list") return listDecision(req, rs, call, tool, risk);
    const target = (kind === "tool" ? req.tool : kind === "resource" ? req.resource : req.prompt) as string;
    const denied = matchRules(req, rs.candidates(kind, target), unsureDenies(call, rs.roles, kind, target), rs, risk, call);
    if (denied) return denied;
    const roles = rs.roles;
    const single = call.allAllows === undefined ? call.firstAllow : undefined;
    const several = call.allAllows;
    let reasons: Reason[];
    if (single) reasons = single.reasons as Reason[];
    else if (several) reasons = several.map((r) => r.reason);
    else {
      if (!defaultAllow) return denyOf("no_rule", `no rule allows ${kind} \`${target}\` for ${roles.map((r) => `\`${r}\``).join(", ")}`, roles, call.errors ?? EMPTY, risk);
      reasons = [{ code: "default_allow", message: "no rule decided; the policy's default is allow" }];
    }
    const callTool = method === "tools/call" ? tool : undefined;
    if (callTool?.args) {
      const fault = callTool.args(req.arguments ?? {});
      if (fault !== null) return denyOf("invalid_argument", fault, roles, call.errors ?? EMPTY, risk, callTool.argsRule);
    }
    const budgetIds = single ? singleBudgets(single, callTool) : budgets(several ?? [], callTool);
    if (callTool?.approval) {
      const d = approvalDecision(req, callTool, reasons, roles, budgetIds, risk, call);
      if (d) return d;
    }
    return decision("allow", reasons, roles, call.errors ?? EMPTY, budgetIds, risk);
  }

  return {
    decide(req: PolicyRequest): Decision {
      try {
        return decideUnsafe(req);
      } catch (err) {
        return decision("deny", [{ code: "internal_error", message: `internal error: ${(err as Error)?.message ?? String(err)}` }], EMPTY, EMPTY, EMPTY, undefined);
      }
    },
  };
}

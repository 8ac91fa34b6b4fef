/**
 * The compiled decision function. Built once per policy from the IR:
 *  - every condition and argument type is a closure (closures.ts);
 *  - rules are indexed by role set, method and target name: a request looks up its candidate rules
 *    in a Map instead of scanning the policy, so the cost stays flat as the policy grows;
 *  - reasons and role lists are prebuilt and frozen, so an allow allocates little beyond its result.
 * It must decide exactly as eval/interpreter.ts does (a property test checks this).
 * INVARIANT: never throws; any fault is a deny with reason `internal_error`.
 */
import { EvalError, validateRequest } from "../eval/request.js";
import type { Tri } from "../eval/interpreter.js";
import type { IrPolicy, IrRule, IrTool } from "../ir/ir.js";
import { buildRuleIndex, lookup, type IndexedRule, type OwnerIndex, type RuleIndex } from "../ir/optimize.js";
import type { Decision, Method, PolicyRequest, Reason, Visibility } from "../runtime/types.js";
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
const KIND_OF: Record<Method, Kind | undefined> = { "tools/call": "tool", "tools/list": "tool", "resources/read": "resource", "prompts/get": "prompt" };
const MAX_CACHED_NAMES = 4096;
const MAX_CACHED_ROLESETS = 1024;
/** The shared empty list of a decision without errors or budgets. Frozen: callers cannot change it. */
const EMPTY = Object.freeze([]) as unknown as string[];

/** Candidate rules for one set of held roles, looked up in the optimizer's index and memoized by name. */
class RoleSet {
  readonly roles: readonly string[];
  private readonly owners: OwnerIndex[];
  private readonly byName: Record<Kind, Map<string, readonly CRule[]>> = { tool: new Map(), resource: new Map(), prompt: new Map() };
  constructor(roles: string[], index: RuleIndex, private readonly ruleAt: (r: IndexedRule) => CRule) {
    this.roles = Object.freeze(roles);
    this.owners = [index.top, ...roles.map((r) => index.roles.get(r)!)];
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
    else globs.push(p.test);
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
  const derived = [...ir.roles.values()].filter((r) => r.members.length > 0).map((r) => ({ name: r.name, members: r.members.map(compilePred) }));
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

  function roleSetFor(names: string[]): RoleSet {
    const key = names.join("\u0000");
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
  /** Per-call scratch: membership errors and ignored role names (decide is synchronous, never re-entered). */
  let callErrors: string[] | undefined;
  let callIgnored: string[] | undefined;

  /** Held roles, closed and sorted; errors of membership conditions go to `callErrors`. */
  function resolveRoles(req: PolicyRequest): RoleSet | undefined {
    const given = req.principal?.roles;
    if (derived.length === 0 && given !== undefined) {
      // Fast paths: the host's role list seen before (one role: by name, no key to build).
      if (given.length === 1) {
        const hit = singleRoleSets.get(given[0]!);
        if (hit) return hit;
      } else if (given.length > 1) {
        const hit = givenRoleSets.get(given.join("\u0000"));
        if (hit) return hit;
      }
    }
    const held = new Set<string>();
    if (given) for (const r of given) {
      if (closures.has(r)) held.add(r);
      else (callIgnored ??= []).push(r);
    }
    for (const d of derived) {
      if (held.has(d.name)) continue;
      for (const m of d.members) {
        try {
          if (m(req)) {
            held.add(d.name);
            break;
          }
        } catch (err) {
          if (!(err instanceof EvalError)) throw err;
          (callErrors ??= []).push(`membership of role \`${d.name}\`: ${err.message}`);
        }
      }
    }
    if (held.size === 0) return undefined;
    const closed = new Set<string>();
    for (const r of held) for (const x of closures.get(r)!) closed.add(x);
    const rs = roleSetFor([...closed].sort());
    if (derived.length === 0 && given !== undefined) {
      if (given.length === 1) singleRoleSets.set(given[0]!, rs); // holds declared role names only
      else {
        if (givenRoleSets.size >= MAX_CACHED_ROLESETS) givenRoleSets.clear();
        givenRoleSets.set(given.join("\u0000"), rs);
      }
    }
    return rs;
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
  function visibility(req: PolicyRequest, cands: readonly CRule[], tool: CTool | undefined): { v: Visibility; reasons?: Reason[] } {
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
    if (errs) return { v: "never", reasons: errs };
    if (denies) return { v: "never", reasons: denies };
    if (!allowSure && !allowMaybe && !defaultAllow) return { v: "never" };
    if (denyMaybe || (!allowSure && !defaultAllow)) return { v: "depends" };
    if (tool?.approval) {
      if (!tool.approvalTri) return { v: "depends" };
      if (tool.approvalTri(req) !== false) return { v: "depends" };
    }
    return { v: "always" };
  }

  // The decision is split into small functions on purpose: V8 optimizes small functions the same way on
  // every run, while one large function sometimes lost its inlining and ran twice as slow.

  function noRoleDecision(req: PolicyRequest, method: Method, errors: string[] | undefined, risk: IrTool["risk"]): Decision {
    const ignored = callIgnored ?? EMPTY;
    const d = denyOf("no_role", ignored.length ? `the principal holds no role of this policy (ignored: ${ignored.join(", ")})` : "the principal holds no role of this policy", EMPTY, errors ?? EMPTY, risk);
    if (method === "tools/list" && req.tool !== undefined) d.visibility = "never";
    return d;
  }

  function listDecision(req: PolicyRequest, rs: RoleSet, errors: string[] | undefined, tool: CTool | undefined, risk: IrTool["risk"]): Decision {
    const roles = rs.roles;
    if (req.tool === undefined) {
      return decision("allow", [{ code: "allow_rule", message: "listing tools is allowed to principals that hold a role" }], roles, errors ?? EMPTY, EMPTY, undefined);
    }
    const { v, reasons } = visibility(req, rs.candidates("tool", req.tool), tool);
    if (v === "never") {
      const d = denyOf("no_rule", `no call to tool \`${req.tool}\` can be allowed for ${roles.map((r) => `\`${r}\``).join(", ")}`, roles, errors ?? EMPTY, risk);
      if (reasons) d.reasons = reasons;
      d.visibility = v;
      return d;
    }
    const message = v === "always" ? `tool \`${req.tool}\` is always allowed` : `tool \`${req.tool}\` is allowed for some arguments`;
    return decision("allow", [{ code: "allow_rule", message }], roles, errors ?? EMPTY, EMPTY, risk, v);
  }

  /** Per-call scratch for matchRules: the first matching allow, and all of them when there are several. */
  let firstAllow: CRule | undefined;
  let allAllows: CRule[] | undefined;

  /** Steps 3-5: a deny Decision when a rule errs or denies; otherwise the allows are left in the scratch. */
  function matchRules(req: PolicyRequest, cands: readonly CRule[], rs: RoleSet, risk: IrTool["risk"]): Decision | undefined {
    firstAllow = undefined;
    allAllows = undefined;
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
        (callErrors ??= []).push(`${r.id}: ${err.message}`);
        continue;
      }
      if (!holds) continue;
      if (!r.allow) (denies ??= []).push(r);
      else if (firstAllow === undefined) firstAllow = r;
      else (allAllows ??= [firstAllow]).push(r);
    }
    if (errs) return decision("deny", errs, rs.roles, callErrors ?? EMPTY, EMPTY, risk);
    if (denies) return decision("deny", denies.length === 1 ? denies[0]!.reasons : denies.map((r) => r.reason), rs.roles, callErrors ?? EMPTY, EMPTY, risk);
    return undefined;
  }

  /** Step 8 for a tool with `approval required`. */
  function approvalDecision(req: PolicyRequest, tool: CTool, reasons: Reason[], roles: readonly string[], budgetIds: readonly string[], risk: IrTool["risk"]): Decision | undefined {
    let needs: boolean;
    try {
      needs = tool.approval!(req);
    } catch (err) {
      if (!(err instanceof EvalError)) throw err;
      (callErrors ??= []).push(err.message);
      return denyOf("evaluation_error", `the approval condition of \`${tool.ir.name}\` could not be evaluated: ${err.message}`, roles, callErrors, risk, `tool:${tool.ir.name}/approval`);
    }
    return needs ? decision("require_approval", [...reasons, tool.approvalReason], roles, callErrors ?? EMPTY, budgetIds, risk) : undefined;
  }

  function decideUnsafe(req: PolicyRequest): Decision {
    const shape = validateRequest(req);
    if ("error" in shape) return denyOf("invalid_request", shape.error, EMPTY, EMPTY, undefined);
    const method = shape.method;
    callErrors = undefined;
    callIgnored = undefined;
    const rs = resolveRoles(req);
    const kind = KIND_OF[method]!;
    const tool = kind === "tool" && req.tool !== undefined ? tools.get(req.tool) : undefined;
    const risk = tool?.ir.risk;
    if (!rs) return noRoleDecision(req, method, callErrors, risk);
    if (method === "tools/list") return listDecision(req, rs, callErrors, tool, risk);
    const target = (kind === "tool" ? req.tool : kind === "resource" ? req.resource : req.prompt) as string;
    const denied = matchRules(req, rs.candidates(kind, target), rs, risk);
    if (denied) return denied;
    const roles = rs.roles;
    const single = allAllows === undefined ? firstAllow : undefined;
    const several = allAllows;
    let reasons: Reason[];
    if (single) reasons = single.reasons as Reason[];
    else if (several) reasons = several.map((r) => r.reason);
    else {
      if (!defaultAllow) return denyOf("no_rule", `no rule allows ${kind} \`${target}\` for ${roles.map((r) => `\`${r}\``).join(", ")}`, roles, callErrors ?? EMPTY, risk);
      reasons = [{ code: "default_allow", message: "no rule decided; the policy's default is allow" }];
    }
    const callTool = method === "tools/call" ? tool : undefined;
    if (callTool?.args) {
      const fault = callTool.args(req.arguments ?? {});
      if (fault !== null) return denyOf("invalid_argument", fault, roles, callErrors ?? EMPTY, risk, callTool.argsRule);
    }
    const budgetIds = single ? singleBudgets(single, callTool) : budgets(several ?? [], callTool);
    if (callTool?.approval) {
      const d = approvalDecision(req, callTool, reasons, roles, budgetIds, risk);
      if (d) return d;
    }
    return decision("allow", reasons, roles, callErrors ?? EMPTY, budgetIds, risk);
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

/**
 * The compiled decision function: the shared decision core (eval/core/) over a fast evaluator built
 * once per policy from the IR:
 *  - every condition and argument type is a closure (closures.ts);
 *  - rules are indexed by role set, target kind and target name: a request looks up its candidate rules
 *    in a Map instead of scanning the policy, so the cost stays flat as the policy grows;
 *  - reasons and role lists are prebuilt and frozen, so an allow allocates little beyond its result.
 * It decides exactly as eval/interpreter.ts does (the same core; a property test checks the rest).
 * INVARIANT: never throws; any fault is a deny with reason `internal_error`.
 * INVARIANT: per-call state lives in the core's one `Call` object per decide(), never in closure or
 * module variables, so a nested decide() (a getter on the request) cannot change the outer decision.
 * What lives here is per policy: compiled rules and caches of role sets, keyed by JSON.stringify of role
 * lists, which no two different lists share; every cache is bounded, except the weak one by the host's
 * role-list array (an entry lives as long as the array, and answers only while the array holds the same
 * names, compared one by one).
 */
import { EvalError } from "../contract/errors.js";
import {
  blockSetKey,
  coreBlock,
  coreRule,
  decideWith,
  mergeBlocks,
  missingServerFault,
  noRoleReasons,
  noRuleReasons,
  resourceSeeds,
  ruleBaseBudgets,
  type Call,
  type CoreRule,
  type CoreBlock,
  type CoreTool,
  type CallTarget,
  type Evaluator,
  type Pred,
  type RoleView,
  type TriPred,
  type Unsure,
} from "../eval/core/index.js";
import { REASON_TEXT } from "../contract/reasons.js";
import type { IrExpr, IrPolicy, IrRule, IrTool, IrType } from "../ir/ir.js";
import { serverBudgetsOf, serverScopedBlocks, toolBlocks } from "../ir/queries.js";
import { lazyRuleIndex, lookup, type IndexedRule, type LazyRuleIndex, type OwnerIndex } from "../ir/optimize.js";
import type { Decision, PolicyRequest, Reason, TargetKind } from "../contract/index.js";
import { compilePred, compileTri, compileType, type Check } from "./closures.js";
import { enterDecision, leaveDecision } from "./history-call.js";

const MAX_CACHED_NAMES = 4096;
const MAX_CACHED_ROLESETS = 1024;
/** Per role set and kind, `no_rule` reasons kept (an attacker picks the names: bounded, cleared when full). */
const MAX_CACHED_NO_RULES = 256;
/** Longer names (of targets, of unknown roles) get their reasons built on every call, never kept. */
const MAX_CACHED_NAME_LENGTH = 256;
/** Longer keys of a host's role list are never kept (1024 lists of at most 4096 code units). */
const MAX_CACHED_LIST_KEY = 4096;

const NO_CANDIDATES: readonly CoreRule[] = Object.freeze([]);
const NO_BUDGETS: readonly string[] = Object.freeze([]);

/** A target's candidate rules for one role set and, for a tool, its merged blocks (one lookup for both). */
interface TargetEntry extends CallTarget {
  readonly cands: readonly CoreRule[];
  readonly tool: CoreTool | undefined;
}
/** The entry of a name with no candidates and no tool block: shared, so attacker-chosen names cost a map slot only. */
const NOTHING: TargetEntry = Object.freeze({ cands: NO_CANDIDATES, tool: undefined });

/** Candidate rules for one set of held roles, looked up in the optimizer's index and memoized by name. */
class RoleSet implements RoleView {
  readonly roles: readonly string[];
  private readonly owners: OwnerIndex[];
  /** Per kind, made on its first lookup (most role sets only ever see tools; issue 16: memory per used role). */
  private readonly byName: Partial<Record<TargetKind, Map<string, TargetEntry>>> = {};
  /**
   * `withTop`: the top-level denies are candidates too (false for the roles an erring membership may bring).
   * `toolOf`: the policy's tool lookup when it does not depend on the server (no families, no server
   * blocks): then a tool's entry holds its merged blocks too, and `callTarget` answers both at once.
   */
  constructor(
    roles: string[],
    index: LazyRuleIndex,
    private readonly ruleAt: (r: IndexedRule) => CoreRule,
    withTop = true,
    private readonly toolOf?: (name: string) => CoreTool | undefined,
  ) {
    this.roles = Object.freeze(roles);
    this.owners = [...(withTop ? [index.top] : []), ...roles.map((r) => index.role(r)!)];
  }
  private entry(kind: TargetKind, name: string): TargetEntry {
    const cache = (this.byName[kind] ??= new Map());
    const hit = cache.get(name);
    if (hit) return hit;
    const found: IndexedRule[] = [];
    for (const o of this.owners) lookup(o, kind, name, found);
    // Owners come in global order and each lookup is in order, so `found` is already sorted.
    const cands = found.length === 0 ? NO_CANDIDATES : found.map(this.ruleAt);
    const tool = kind === "tool" && this.toolOf !== undefined ? this.toolOf(name) : undefined;
    const out: TargetEntry = cands === NO_CANDIDATES && tool === undefined ? NOTHING : { cands, tool };
    if (cache.size < MAX_CACHED_NAMES && name.length <= MAX_CACHED_NAME_LENGTH) cache.set(name, out);
    return out;
  }
  candidates(kind: TargetKind, name: string): readonly CoreRule[] {
    return this.entry(kind, name).cands;
  }
  callTarget(name: string): CallTarget | undefined {
    return this.toolOf === undefined ? undefined : this.entry("tool", name);
  }
  /** Per kind, made on its first lookup, as `byName` (three Maps up front were ~0.3 KB per used role set). */
  private readonly noRules: Partial<Record<TargetKind, Map<string, readonly Reason[]>>> = {};
  /** The `no_rule` reasons of `kind` `name` for these roles, frozen, kept per name (bounded; long names never kept). */
  noRule(kind: TargetKind, name: string): readonly Reason[] {
    const cache = (this.noRules[kind] ??= new Map());
    const hit = cache.get(name);
    if (hit) return hit;
    const out = Object.freeze(noRuleReasons(kind, name, this.roles).map((r) => Object.freeze(r)));
    if (name.length <= MAX_CACHED_NAME_LENGTH) {
      if (cache.size >= MAX_CACHED_NO_RULES) cache.clear();
      cache.set(name, out);
    }
    return out;
  }
}

/** Whether a list holds exactly `names`, in order (reads its length and each element once). */
function sameNames(list: readonly string[], names: readonly string[]): boolean {
  const n = list.length;
  if (n !== names.length) return false;
  for (let i = 0; i < n; i++) if (list[i] !== names[i]) return false;
  return true;
}

export interface CompiledDecider {
  decide(req: PolicyRequest): Decision;
}

export function compileDecider(ir: IrPolicy): CompiledDecider {
  const ev = compileEvaluator(ir);
  return {
    decide: (req: PolicyRequest): Decision => {
      const prev = enterDecision();
      try {
        return decideWith(ev, req);
      } finally {
        leaveDecision(prev);
      }
    },
  };
}

/** The fast evaluator of one policy (see the module header). */
export function compileEvaluator(ir: IrPolicy): Evaluator {
  // A role's budget ids, made on the role's first ask (issue 16: not a Map of every role up front).
  const roleBudgetIds = new Map<string, readonly string[]>();
  const roleBudgets = {
    get(role: string): readonly string[] | undefined {
      let ids = roleBudgetIds.get(role);
      if (ids === undefined) {
        const r = ir.roles.get(role);
        if (r === undefined) return undefined;
        roleBudgetIds.set(role, (ids = r.budgets.length ? r.budgets.map((b) => b.id) : NO_BUDGETS));
      }
      return ids;
    },
  };
  const policyBudgets = ir.budgets.map((b) => b.id);
  // One frozen list per owner, shared by its rules (issue 16: one per rule was ~0.2 KB per used role).
  const baseBudgets = new Map<string | undefined, readonly string[]>();
  const baseOf = (role: string | undefined): readonly string[] => {
    let b = baseBudgets.get(role);
    if (!b) baseBudgets.set(role, (b = ruleBaseBudgets(policyBudgets, role !== undefined ? roleBudgets.get(role) ?? [] : [])));
    return b;
  };
  const cRule = (r: IrRule): CoreRule =>
    coreRule(
      r,
      { when: r.when && compilePred(r.when), unless: r.unless && compilePred(r.unless), whenTri: r.when && compileTri(r.when), unlessTri: r.unless && compileTri(r.unless) },
      baseOf(r.role),
    );
  // Each rule is compiled once, on first use (a large policy compiles fast; rules never met cost nothing),
  // and kept at the position the optimizer's index gives it.
  // Roles are indexed on first use too (ir/optimize.ts lazyRuleIndex).
  const index = lazyRuleIndex(ir);
  // Kept in the index entry's slot (built with the role's index, on first use), not in an array of every rule.
  const ruleAt = (r: IndexedRule): CoreRule => (r.compiled ??= cRule(r.rule)) as CoreRule;
  const derived = [...ir.roles.values()].filter((r) => r.members.length > 0).map((r) => ({ name: r.name, members: r.members.map(compilePred), tri: r.members.map(compileTri) }));
  // The roles' closures, read from the IR itself (a second Map of every role was ~29 B per role).
  const closures = { has: (name: string): boolean => ir.roles.has(name), get: (name: string) => ir.roles.get(name)?.closure };
  const tool = compileTools(ir);
  // Without families and server blocks a tool's blocks depend on its name only: role sets keep them with
  // the candidates (RoleSet `callTarget`), one map lookup for both.
  const toolByName = ir.families.length === 0 && ir.servers.size === 0 ? (name: string) => tool(name, undefined) : undefined;
  let seeds: readonly string[] | undefined;
  const roleSets = new Map<string, RoleSet>();
  /** One role named by the host, no derived roles in the policy: its role set, by name. */
  const singleRoleSets = new Map<string, RoleSet>();
  /** Role sets by the host's role list (only when the policy derives no roles); bounded. */
  const givenRoleSets = new Map<string, RoleSet>();
  /**
   * `no_role` reasons of role lists naming no declared role (only when the policy derives no roles), by
   * the single name or the list's key; bounded, cleared when full; long lists never kept.
   */
  const unknownRoles = new Map<string, readonly Reason[]>();
  const unknownReasons = (key: string, single: boolean): readonly Reason[] => {
    let r = unknownRoles.get(key);
    if (r === undefined) {
      // Built from the key itself, not by reading the list again (a getter could answer another name).
      r = noRoleReasons(single ? [key] : (JSON.parse(key) as string[]));
      if (key.length <= MAX_CACHED_NAME_LENGTH) {
        if (unknownRoles.size >= MAX_CACHED_ROLESETS) unknownRoles.clear();
        unknownRoles.set(key, r);
      }
    }
    return r;
  };
  /**
   * Multi-role lists (only when the policy derives no roles) by the host's array, with the names it held
   * when its answer was filed: a host that builds one array per principal and passes it on every call
   * skips the JSON key. Weak: an entry lives as long as the host's array. Only lists whose key was kept
   * (or whose `no_role` reasons were) are filed, and the names are a copy read from the key, so a list
   * that answers differently on each read (a getter, a Proxy) is compared against what it was filed as.
   */
  const byList = new WeakMap<object, { names: readonly string[]; rs: RoleSet | undefined; noRole: readonly Reason[] | undefined }>();
  const rememberList = (given: readonly string[], key: string, rs: RoleSet | undefined, noRole: readonly Reason[] | undefined): void => {
    if (key.length > MAX_CACHED_LIST_KEY) return;
    byList.set(given, { names: JSON.parse(key) as string[], rs, noRole });
  };
  /** Role sets of the roles an erring membership may bring in (their deny rules only are used), and of `maybe` roles; bounded. */
  const unsureSets = new Map<string, RoleSet>();

  // Keys of role lists: JSON.stringify is injective on lists of strings (a join on any separator is not).
  function roleSetFor(names: string[]): RoleSet {
    const key = JSON.stringify(names);
    let rs = roleSets.get(key);
    if (!rs) {
      rs = new RoleSet(names, index, ruleAt, true, toolByName);
      // Bounded: when full, start over rather than stop caching (role sets are cheap to rebuild).
      if (roleSets.size >= MAX_CACHED_ROLESETS) roleSets.clear();
      roleSets.set(key, rs);
    }
    return rs;
  }

  /** A role set without the top-level denies (for `unsure` and `maybe` roles), by sorted names. */
  function sideSetFor(prefix: string, names: Iterable<string>): RoleSet {
    const sorted = [...names].sort();
    const key = prefix + JSON.stringify(sorted);
    let s = unsureSets.get(key);
    if (!s) {
      s = new RoleSet(sorted, index, ruleAt, false);
      if (unsureSets.size >= MAX_CACHED_ROLESETS) unsureSets.clear();
      unsureSets.set(key, s);
    }
    return s;
  }

  /** Held roles (see `Evaluator.resolveRoles`); memberships are evaluated only when the policy derives roles. */
  function resolveRoles(req: PolicyRequest, call: Call, list: boolean): RoleSet | undefined {
    let given = req.principal?.roles;
    if (derived.length === 0) {
      // Fast paths: no roles at all; the host's role list seen before (one role: by name, no key to
      // build); a list of undeclared names only (its `no_role` reasons cached, nothing built).
      if (given === undefined || given.length === 0) return undefined;
      if (given.length === 1) {
        const name = given[0]!;
        const hit = singleRoleSets.get(name);
        if (hit) return hit;
        if (!closures.has(name)) {
          call.noRole = unknownReasons(name, true);
          return undefined;
        }
      } else {
        // The same array as a recent call, still holding the same names (compared one by one, so a list
        // changed in place since is not mistaken for its old self): that call's answer, without a key.
        const seen = byList.get(given);
        if (seen !== undefined && sameNames(given, seen.names)) {
          if (seen.rs === undefined) call.noRole = seen.noRole;
          return seen.rs;
        }
        // The key of a copy: JSON.stringify would call an own `toJSON` of the host's array, so an array
        // could be filed under another list's key.
        const key = JSON.stringify(Array.from(given));
        const hit = givenRoleSets.get(key);
        if (hit) {
          rememberList(given, key, hit, undefined);
          return hit;
        }
        let declared = false;
        for (let i = 0; i < given.length; i++) if (closures.has(given[i]!)) declared = true;
        if (!declared) {
          call.noRole = unknownReasons(key, false);
          rememberList(given, key, undefined, call.noRole);
          return undefined;
        }
      }
      // A miss: the roles held and the key they are cached under below are read from one copy, so a
      // list that answers differently on each read (a getter, a Proxy) cannot file one list's roles
      // under another list's key (a later plain request would get them).
      given = Array.from(given);
    }
    const held = new Set<string>();
    if (given) for (const r of given) {
      if (closures.has(r)) held.add(r);
      else (call.ignored ??= []).push(r);
    }
    let erred: string[] | undefined;
    let maybeHeld: string[] | undefined;
    for (const d of derived) {
      if (held.has(d.name)) continue;
      let err = false;
      if (list) {
        let unknown = false;
        for (const m of d.tri) {
          const v = m(req);
          if (v === true) {
            held.add(d.name);
            err = unknown = false;
            break;
          }
          if (v === "unknown") unknown = true;
          else if (v === "error") {
            (call.errors ??= []).push(REASON_TEXT.membershipError(d.name));
            err = true;
          }
        }
        if (err) (erred ??= []).push(d.name);
        if (unknown) (maybeHeld ??= []).push(d.name);
        continue;
      }
      for (const m of d.members) {
        try {
          if (m(req)) {
            held.add(d.name);
            err = false;
            break;
          }
        } catch (e) {
          if (!(e instanceof EvalError)) throw e;
          (call.errors ??= []).push(REASON_TEXT.membershipError(d.name, e.message));
          err = true;
        }
      }
      if (err) (erred ??= []).push(d.name);
    }
    const closed = new Set<string>();
    for (const r of held) for (const x of closures.get(r)!) closed.add(x);
    if (erred) {
      const unsure = new Map<string, string>();
      for (const e of erred) for (const x of closures.get(e)!) if (!closed.has(x) && !unsure.has(x)) unsure.set(x, e);
      if (unsure.size) call.unsure = unsure;
    }
    if (maybeHeld) {
      const maybe = new Set<string>();
      for (const m of maybeHeld) for (const x of closures.get(m)!) if (!closed.has(x)) maybe.add(x);
      if (maybe.size) call.maybe = maybe;
    }
    if (held.size === 0) return call.maybe ? roleSetFor([]) : undefined;
    const rs = roleSetFor([...closed].sort());
    if (derived.length === 0 && given !== undefined) {
      if (given.length === 1) singleRoleSets.set(given[0]!, rs); // holds declared role names only
      else {
        const key = JSON.stringify(given);
        if (key.length <= MAX_CACHED_LIST_KEY) {
          // The host's list may name undeclared roles of any length: a long list is never kept.
          if (givenRoleSets.size >= MAX_CACHED_ROLESETS) givenRoleSets.clear();
          givenRoleSets.set(key, rs);
        }
      }
    }
    return rs;
  }

  return {
    defaultAllow: ir.defaultEffect === "allow",
    policyBudgets,
    serverBudgets: serverBudgetsOf(ir),
    roleBudgets: (role) => roleBudgets.get(role) ?? [],
    resolveRoles,
    unsureDenies(call, kind, name) {
      const unsure = call.unsure;
      if (unsure === undefined) return undefined;
      const out: Unsure[] = [];
      for (const r of sideSetFor("unsure:", unsure.keys()).candidates(kind, name)) if (!r.allow) out.push({ rule: r, via: unsure.get(r.role!)! });
      return out.length ? out : undefined;
    },
    maybeRules(call, kind, name) {
      if (call.maybe === undefined) return undefined;
      const out = sideSetFor("maybe:", call.maybe).candidates(kind, name);
      return out.length ? out : undefined;
    },
    tool,
    resourceSeeds: () => (seeds ??= Object.freeze(resourceSeeds(ir))),
  };
}

const MAX_CACHED_BLOCK_SETS = 1024;

/**
 * The merged tool blocks of a call (eval/core/tools.ts), compiled once per block. Without families and
 * server blocks, one merged tool per declared name, built up front. Otherwise the tool's name and server
 * are attacker input, so nothing grows per name without bound: merged tools are shared by the SET of
 * blocks that apply (bounded, cleared when full); the names of declared exact blocks are remembered for
 * good (bounded by the policy), any other name in a bounded map cleared when full. The server is reduced
 * to one of the policy's server blocks, "another server" or "no server" before it keys anything.
 */
function compileTools(ir: IrPolicy): (name: string, server: string | undefined) => CoreTool | undefined {
  const blocks = new Map<IrTool, CoreBlock>();
  // Blocks that declare the same `args` type share one frozen object (check/intern.ts), and so one
  // compiled check; the same for an approval condition and its predicates. Both are pure functions of
  // the node (issue 16: one compiled check per block was ~0.12 KB per role of the scale policy).
  const checks = new Map<IrType, Check>();
  const preds = new Map<IrExpr, readonly [Pred, TriPred]>();
  const checkOf = (args: IrType): Check => {
    let c = checks.get(args);
    if (c === undefined) checks.set(args, (c = compileType(args, "args")));
    return c;
  };
  const predsOf = (when: IrExpr): readonly [Pred, TriPred] => {
    let p = preds.get(when);
    if (p === undefined) preds.set(when, (p = [compilePred(when), compileTri(when)]));
    return p;
  };
  const blockOf = (t: IrTool): CoreBlock => {
    let b = blocks.get(t);
    if (!b) {
      const when = t.approval?.when && predsOf(t.approval.when);
      blocks.set(t, (b = coreBlock(t, t.args && checkOf(t.args), when?.[0], when?.[1])));
    }
    return b;
  };
  if (ir.families.length === 0 && ir.servers.size === 0) {
    const exact = new Map<string, CoreTool>();
    for (const t of ir.tools.values()) exact.set(t.name, mergeBlocks([blockOf(t)])!);
    return (name) => exact.get(name);
  }
  const declared = new Set<string>(ir.tools.keys());
  for (const s of ir.servers.values()) for (const n of s.tools.keys()) declared.add(n);
  const bySet = new Map<string, CoreTool | undefined>();
  const NONE = "\u0000none";
  const OTHER = "\u0000other";
  const caches = new Map<string, { declared: Map<string, CoreTool | undefined>; others: Map<string, CoreTool | undefined> }>();
  const build = (name: string, server: string | undefined): CoreTool | undefined => {
    const found = toolBlocks(ir, name, server);
    const scoped = server === undefined ? serverScopedBlocks(ir, name) : [];
    const setKey = blockSetKey(found, scoped[0]?.id);
    if (bySet.has(setKey)) return bySet.get(setKey);
    const merged = mergeBlocks(found.map(blockOf), scoped.length ? missingServerFault(scoped) : undefined);
    if (bySet.size >= MAX_CACHED_BLOCK_SETS) bySet.clear();
    bySet.set(setKey, merged);
    return merged;
  };
  return (name, server) => {
    const sk = server === undefined ? NONE : ir.servers.has(server) ? server : OTHER;
    let c = caches.get(sk);
    if (!c) caches.set(sk, (c = { declared: new Map(), others: new Map() }));
    const map = declared.has(name) ? c.declared : c.others;
    if (map.has(name)) return map.get(name);
    // A server the policy has no block for applies the same blocks as any other such server.
    const merged = build(name, server);
    if (map === c.others) {
      if (name.length > MAX_CACHED_NAME_LENGTH) return merged; // attacker-sized names never kept
      if (map.size >= MAX_CACHED_NAMES) map.clear();
    }
    map.set(name, merged);
    return merged;
  };
}

/**
 * History predicates that can never hold (issue 14, finding A0008 `history-never`): `after`, `previous`,
 * `count`, `sum` and `no` over events of kind `allowed`, `completed` or `failed` of tools no principal
 * the rule applies to can ever be allowed to call. Such an event never enters the session's history (the
 * engine records a principal's own calls, per principal and session), so `after`/`previous` are false,
 * `count`/`sum` are 0 and `no` is true (or the predicate errs: missing or dropped history); a rule whose
 * condition then can never be true can never fire (a deny can still deny through that error).
 * `attempted` and `denied` events happen for any call, allowed or not: they never make a finding.
 * GUARANTEES (sound; "only when certain"):
 * - a tool counts as callable when some scenario in scope may allow it or send it to approval
 *   (scenario.ts, derived roles included, as A0005): only exact tool names are judged, a glob never;
 * - the scope of a rule of role S is every role whose closure holds S (each alone, with the roles its
 *   `member when` conditions derive); when one of those roles has a `member when` (a principal given
 *   any roles may derive it), and for a top-level deny, the scope is every role, and no role at all;
 * - replacing a predicate whose only value besides an error is v by the constant v keeps every way the
 *   condition is true (a true condition met no error on its way: `and`/`or`/`not` propagate one, so each
 *   predicate it evaluated had the value v), so when the solver finds the rewritten condition can never
 *   hold, the rule's condition can never be true;
 * - only rules whose own condition may hold are reported (A0001 / W0002 report the others).
 */
import type { IrExpr, IrHistory, IrPolicy, IrRule } from "../ir/ir.js";
import { readsHistory } from "../ir/history.js";
import { analyseScenario, configRequest, TYPICAL_CONFIG } from "./scenario.js";
import { mayHold, ruleCondition } from "./solver.js";
import type { Env } from "./abstract.js";

/** Event kinds that only a call the policy let through can produce. */
const NEEDS_CALL = new Set(["allowed", "completed", "failed"]);

/** Why one history rule can never fire, for a finding. */
export interface HistoryNever {
  readonly rule: IrRule;
  /** The predicates (as written) that can never hold. */
  readonly predicates: readonly string[];
  /** The tools they need that no principal in scope can call. */
  readonly tools: readonly string[];
  /** The roles whose principals the rule applies to (empty: a top-level deny, every principal). */
  readonly roles: readonly string[];
  /** Whether no principal whatever its roles can call those tools (else: none of `roles` alone can). */
  readonly everyone: boolean;
}

/** A copy of `e` with `f`'s replacement wherever `f` gives one (IR nodes are objects with a string `k`). */
function rewrite(e: IrExpr, f: (x: IrExpr) => IrExpr | undefined): IrExpr {
  const r = f(e);
  if (r !== undefined) return r;
  const isNode = (v: unknown): v is IrExpr => v !== null && typeof v === "object" && typeof (v as { k?: unknown }).k === "string";
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(e)) {
    if (Array.isArray(v)) out[key] = v.map((x: unknown) => (isNode(x) ? rewrite(x, f) : x));
    else out[key] = isNode(v) ? rewrite(v, f) : v;
  }
  return out as unknown as IrExpr;
}

/** The value a predicate has when none of its events can happen, or undefined when that is not so simple. */
function emptyValue(h: IrHistory, impossible: (tool: string) => boolean): IrExpr | undefined {
  if (!NEEDS_CALL.has(h.m.kind)) return undefined;
  if (!h.m.tools.every((p) => p.kind === "exact" && impossible(p.text))) return undefined;
  if (h.op === "after" || h.op === "previous") return { k: "lit", value: false };
  if (h.op === "count" || h.op === "sum") return { k: "lit", value: 0 };
  if (h.op === "no") return { k: "lit", value: true }; // nothing to find after any anchor
  return undefined; // min/max err when no event matches: no value to put in their place
}

/** An environment where only the rule's target name is known (exact pattern), as findings.ts reads rules. */
function nameEnv(r: IrRule, name: string | undefined): Env {
  const req = configRequest({ kind: r.target, name: name ?? "" }, { hostRoles: [], exact: false }, TYPICAL_CONFIG);
  const nameRoot = r.target === "tool" ? "tool.name" : r.target === "resource" ? "resource.uri" : undefined;
  return { req, known: (root) => root === nameRoot && name !== undefined };
}

function mayFire(r: IrRule, cond: IrExpr): boolean {
  return r.patterns.some((p) => mayHold(cond, { env: nameEnv(r, p.kind === "exact" ? p.text : undefined) }));
}

/** The history rules of `rules` that can never fire because a history predicate can never hold. */
export function historyNever(ir: IrPolicy, rules: readonly IrRule[]): HistoryNever[] {
  const cache = new Map<string, boolean>();
  const callable = (roles: readonly string[], tool: string): boolean => {
    const key = `${JSON.stringify(roles)}\u0000${tool}`;
    let v = cache.get(key);
    if (v === undefined) {
      const res = analyseScenario(ir, { kind: "tool", name: tool }, { hostRoles: roles, exact: false });
      v = res.effects.has("allow") || res.effects.has("require_approval");
      cache.set(key, v);
    }
    return v;
  };
  const scopes: string[][] = [[], ...[...ir.roles.keys()].map((r) => [r])];
  const nobody = (tool: string) => scopes.every((s) => !callable(s, tool));
  const out: HistoryNever[] = [];
  for (const r of rules) {
    const cond = ruleCondition(r.when, r.unless);
    if (r.patterns.length === 0 || !readsHistory(cond)) continue;
    const holders = r.role === undefined ? [] : [...ir.roles.values()].filter((x) => x.closure.includes(r.role!));
    if (r.role !== undefined && holders.length === 0) continue;
    // A role some `member when` may derive can be held by a principal given any roles (or none): then
    // the rule's scope is every principal, as for a top-level deny.
    const anyone = r.role === undefined || holders.some((x) => x.members.length > 0);
    const roles = holders.map((x) => x.name);
    const inScope = anyone ? nobody : (tool: string) => roles.every((role) => !callable([role], tool));
    const hit = new Set<IrHistory>();
    const rewritten = rewrite(cond, (x) => {
      if (x.k !== "history") return undefined;
      const v = emptyValue(x, inScope);
      if (v !== undefined) hit.add(x);
      return v;
    });
    if (hit.size === 0 || !mayFire(r, cond) || mayFire(r, rewritten)) continue;
    const tools = [...new Set([...hit].flatMap((h) => h.m.tools.map((p) => p.text)))];
    out.push({ rule: r, predicates: [...new Set([...hit].map((h) => h.text))], tools, roles, everyone: anyone || tools.every(nobody) });
  }
  return out;
}

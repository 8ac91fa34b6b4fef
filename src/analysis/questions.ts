/**
 * The questions: canRoleCall ("can role R ever call tool T?"), rolesReaching ("which roles can reach
 * T?"), whatMay ("what may principal P do?"), each answered with witness requests.
 * GUARANTEES: `never`, `always` and `with-approval` come from the exact enumeration of scenario.ts and
 * are never contradicted by a request in the question's scope (for `always` / `with-approval`: with
 * arguments that pass the tool's `args` block). `depends` is said only with two verified witnesses of
 * different effects; when the enumeration says "maybe" and no witness proves it, the answer is
 * `unknown`. Every witness has been decided by `policy.decide` as its field says (witness.ts).
 * Scope of a role question: a principal the host gives role R, holding exactly R and the roles R
 * includes (no role derived through `member when` besides them), any scopes, claims, client, session,
 * time and annotations. Scope of a principal question: that principal (its roles as given, plus the
 * roles its membership conditions derive), with the given context fixed and the rest free.
 */
import type { AttrRoot, IrPolicy, IrRule, TargetKind } from "../ir/ir.js";
import { isAmbiguousUri } from "../builtins/glob/glob.js";
import { patternMatches } from "../ir/match.js";
import { allToolBlocks } from "../ir/queries.js";
import { nameFault } from "../contract/names.js";
import { parseTime } from "../contract/time.js";
import type { Policy } from "../policy.js";
import type { Effect, Principal } from "../contract/index.js";
import { attrsOf, E, F, T } from "./abstract.js";
import { globInstance } from "./harvest.js";
import { printExpr, printGuard } from "./print.js";
import { analyseScenario, closureOf, type Scenario, type ScenarioResult, type Target } from "./scenario.js";
import type { PatternVerdict, PrincipalReport, RequestContext, RoleVerdict, Verdict, Witnesses } from "./types.js";
import { findWitness, invalidArgsWitness, type Budget } from "./witness.js";

/** `decide` calls one question may spend looking for witnesses. */
const BUDGET = 4000;
const EFFECT_ORDER: readonly Effect[] = ["allow", "require_approval", "deny"];
const WITNESS_FIELD = { allow: "allowed", require_approval: "approval", deny: "denied" } as const;

const q = (s: string) => `\`${s}\``;

/** Every outcome a rule has in some config of the scenario. */
function outcomesOf(res: ScenarioResult, r: IrRule): number {
  let o = 0;
  for (const c of res.configs) for (const x of c.candidates) if (x.rule === r) o |= x.out;
  return o;
}

/** The words of a verdict: which rules decide, approval, arguments. */
function explain(ir: IrPolicy, res: ScenarioResult, who: string): string[] {
  const because: string[] = [];
  const cands = [...new Set(res.configs.flatMap((c) => c.candidates.map((x) => x.rule)))];
  const ordered = cands.sort((a, b) => (a.effect === b.effect ? 0 : a.effect === "deny" ? -1 : 1));
  for (const r of ordered) {
    const o = outcomesOf(res, r);
    if (!(o & T) && !(o & E)) continue;
    const owner = r.role ? ` (role ${q(r.role)})` : "";
    const guard = o === T ? "" : printGuard(r) || " sometimes";
    const onlyViaError = res.configs.every((c) => c.candidates.every((x) => x.rule !== r || x.viaError));
    if (onlyViaError) {
      const g = printGuard(r);
      because.push(`${q(r.id)}${owner} denies it (evaluation_error) where a \`member when\` that would bring its role errs (a missing or mistyped attribute)${g ? `, and then only${g}` : ""}`);
      continue;
    }
    const err = o & E ? "; an error in its condition (a missing or mistyped attribute) denies too" : "";
    const verb = r.effect === "deny" ? "denies" : "allows";
    because.push(`${q(r.id)}${owner} ${verb} it${guard}${r.effect === "deny" && r.because ? ` (${r.because})` : ""}${err}`);
  }
  if (!cands.some((r) => r.effect === "allow")) {
    because.push(
      ir.defaultEffect === "allow" ? `no rule allows it for ${who}; the policy's default is allow` : `no rule allows ${res.target.kind} ${q(res.target.name)} for ${who}; the default is deny`,
    );
  }
  const approval = res.tool?.approval;
  if (approval && (res.effects.has("allow") || res.effects.has("require_approval"))) because.push(`${q(`tool:${res.target.name}/approval`)} requires approval${approval.when ? ` when ${printExpr(approval.when)}` : ""}`);
  if (res.target.kind === "resource" && isAmbiguousUri(res.target.name)) because.push("the URI is ambiguous (dot segments, encoded slashes, backslashes or control characters): it is denied before any rule");
  if (res.configs.length === 0) because.push(`no request can hold exactly the roles of ${who}: a \`member when\` of another role always holds`);
  return because;
}

function dependsOn(res: ScenarioResult): string[] {
  const out = new Set<string>();
  const known = res.configs[0]?.env.known ?? (() => false);
  const fixed = (root: AttrRoot) => known(root) && !res.finite.some((f) => f.root === root);
  const varying = (o: number) => o !== T && o !== F && o !== E && o !== 0;
  for (const r of res.rules) {
    const per = res.configs.map((c) => c.candidates.find((x) => x.rule === r)?.out ?? 0);
    const all = per.reduce((a, b) => a | b, 0);
    if (!varying(all)) continue;
    for (const x of [r.when, r.unless]) if (x) for (const a of attrsOf(x)) if (!fixed(a.root)) out.add(a.text);
  }
  const appr = res.tool?.approval?.when;
  if (appr && res.configs.some((c) => c.approval !== undefined && varying(c.approval))) for (const a of attrsOf(appr)) if (!fixed(a.root)) out.add(a.text);
  return [...out].sort();
}

function verdictOf(policy: Policy, res: ScenarioResult, who: string): Verdict {
  const ir = policy.ir;
  const budget: Budget = { left: BUDGET };
  const possible = EFFECT_ORDER.filter((e) => res.effects.has(e));
  const witness: Witnesses = {};
  const found: Effect[] = [];
  for (const want of possible) {
    const w = findWitness({ policy, result: res, want, byRules: true, budget });
    if (w) {
      witness[WITNESS_FIELD[want]] = w;
      found.push(want);
    }
  }
  const because = explain(ir, res, who);
  let argsChecked = false;
  const like = witness.allowed ?? witness.approval;
  if (res.target.kind === "tool" && res.tool?.args && like) {
    const bad = invalidArgsWitness(policy, res, like);
    argsChecked = bad !== undefined || argsChecked;
    if (bad && !witness.denied) witness.denied = bad;
    if (bad) because.push(`arguments must pass ${q(`${res.tool.pattern === undefined && res.tool.server === undefined ? `tool:${res.target.name}` : res.tool.id}/args`)}; others are denied`);
  }
  const passes = possible.filter((e) => e !== "deny");
  let answer: Verdict["answer"];
  let effects: Effect[];
  if (passes.length === 0) {
    answer = "never";
    effects = ["deny"];
  } else if (possible.length === 1) {
    answer = possible[0] === "allow" ? "always" : "with-approval";
    effects = [...possible];
    if (found.length === 0) because.push("no example request was found (arguments that pass the args block could not be built)");
  } else if (found.length >= 2) {
    answer = "depends";
    effects = found;
    const missing = possible.filter((e) => !found.includes(e));
    if (missing.length) because.push(`no request was found for the effect${missing.length > 1 ? "s" : ""} ${missing.join(", ")}, which the analysis could not rule out`);
  } else {
    answer = "unknown";
    effects = found;
    const open = possible.filter((e) => !found.includes(e));
    because.push(`the analysis could not rule out ${open.join(" or ")}, and no request was found for ${open.length > 1 ? "them" : "it"}`);
  }
  return { target: res.target.kind, name: res.target.name, answer, effects, dependsOn: answer === "depends" || answer === "unknown" ? dependsOn(res) : [], argsChecked, witness, because };
}

/**
 * Can a principal given `role` (holding exactly it and what it includes) call `tool`? Throws RangeError for
 * an undeclared role, and for a name that decide refuses as invalid_request (control or invisible
 * characters, edge white space, empty).
 */
export function canRoleCall(policy: Policy, role: string, tool: string): RoleVerdict {
  return canRoleReach(policy, role, "tool", tool);
}

/** canRoleCall for any kind of target: a tool, a resource URI or a prompt name. */
export function canRoleReach(policy: Policy, role: string, kind: TargetKind, name: string): RoleVerdict {
  if (!policy.ir.roles.has(role)) throw new RangeError(`unknown role \`${role}\``);
  // decide refuses such a name as invalid_request before any rule: no answer about it could be `always`.
  const fault = typeof name === "string" ? nameFault(name) : "is not a string";
  if (fault) throw new RangeError(`the ${kind === "resource" ? "resource URI" : `${kind} name`} ${JSON.stringify(name)} ${fault}`);
  const target: Target = { kind, name };
  const scenario: Scenario = { hostRoles: [role], exact: true };
  const res = analyseScenario(policy.ir, target, scenario);
  const roles = [...closureOf(policy.ir, [role])];
  const who = roles.length > 1 ? `role ${q(role)} (with ${roles.filter((r) => r !== role).map(q).join(", ")})` : `role ${q(role)}`;
  return { role, ...verdictOf(policy, res, who) };
}

/** The roles whose principals can call `tool` (every answer but `never`), in declaration order. */
export function rolesReaching(policy: Policy, tool: string): RoleVerdict[] {
  return [...policy.ir.roles.keys()].map((r) => canRoleCall(policy, r, tool)).filter((v) => v.answer !== "never");
}

/** Names a principal might target: declared tools, exact names in rules, and one instance per glob (allow or deny). */
function targetsOf(ir: IrPolicy, kind: TargetKind, roles: ReadonlySet<string>): { name: string; pattern?: string }[] {
  const out = new Map<string, { name: string; pattern?: string }>();
  if (kind === "tool") for (const t of ir.tools.keys()) out.set(t, { name: t });
  // Tool families (and server blocks' tools): one instance per family glob, and their exact names.
  if (kind === "tool") {
    for (const t of allToolBlocks(ir)) {
      const name = t.pattern === undefined ? t.name : globInstance(t.pattern);
      if (!out.has(name)) out.set(name, { name });
    }
  }
  const rules = [...ir.topDenies, ...[...ir.roles.values()].filter((r) => roles.has(r.name)).flatMap((r) => r.rules)].filter((r) => r.target === kind);
  for (const r of rules) for (const p of r.patterns) if (p.kind === "exact" && !out.has(p.text)) out.set(p.text, { name: p.text });
  for (const r of rules) {
    for (const p of r.patterns) {
      if (p.kind !== "glob") continue;
      const name = globInstance(p.text);
      if (patternMatches(p, name) && !out.has(name)) out.set(name, { name, pattern: p.text });
    }
  }
  return [...out.values()];
}

/** What `principal` may do: the roles it holds, and a verdict per tool, resource and prompt the policy names. */
export function whatMay(policy: Policy, principal: Principal, context?: RequestContext): PrincipalReport {
  const ir = policy.ir;
  // What decide refuses as invalid_request, the analysis refuses too (it would only ever answer `never`).
  for (const r of principal.roles ?? []) {
    const fault = typeof r === "string" ? nameFault(r) : "is not a string";
    if (fault) throw new RangeError(`the role name ${JSON.stringify(r)} ${fault}`);
  }
  if (context?.time !== undefined && parseTime(context.time) === undefined) throw new RangeError("`time` must be epoch milliseconds or an RFC 3339 date-time with `Z` or an offset");
  const server: unknown = context?.server;
  if (server !== undefined && (typeof server !== "object" || server === null || Array.isArray(server) || !["string", "undefined"].includes(typeof (server as { name?: unknown }).name))) {
    throw new RangeError("`server` must be an object whose `name` is a string");
  }
  const scenario: Scenario = { hostRoles: principal.roles ?? [], exact: false, principal, ...(context && { context }) };
  const probe = analyseScenario(ir, { kind: "tool", name: "\u0000roles" }, scenario);
  const always = new Set(ir.roles.keys());
  const sometimes = new Set<string>();
  for (const c of probe.configs) {
    for (const r of [...always]) if (!c.sureRoles.has(r)) always.delete(r);
    for (const r of [...c.sureRoles, ...c.maybeRoles]) sometimes.add(r);
  }
  for (const r of always) sometimes.delete(r);
  const held = new Set([...always, ...sometimes]);
  const answer = (kind: TargetKind) =>
    targetsOf(ir, kind, held).map(({ name, pattern }): PatternVerdict => ({
      ...verdictOf(policy, analyseScenario(ir, { kind, name }, scenario), "this principal"),
      ...(pattern !== undefined && { pattern }),
    }));
  return { roles: { always: [...always].sort(), sometimes: [...sometimes].sort() }, tools: answer("tool"), resources: answer("resource"), prompts: answer("prompt") };
}

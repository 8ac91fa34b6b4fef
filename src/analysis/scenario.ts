/**
 * The exact part of the analysis: for one target (a tool, resource or prompt name) and one scenario
 * (the roles the host gives, or a fixed principal; optionally a fixed client/session/time), it
 * enumerates every assignment ("config") of the finite attributes the relevant conditions read — the
 * rows of the attribute registry with a finite domain: the four MCP annotations and client.tls /
 * client.mtls — and, in each, evaluates every candidate rule,
 * membership and approval condition abstractly (abstract.ts, refined by solver.ts), with the other
 * attributes (scopes, claims, client.ip, certSubject, session, server, time, arguments) unknown unless
 * the scenario's context fixes their request field.
 * GUARANTEES: per config, `effects` contains every effect `decide` gives to a request of the scenario
 * with that config and arguments that pass the tool's `args` block (sound). Over the finite attributes
 * it is exact: a config the scenario cannot have is dropped only when that is certain, and conditions
 * that read only finite attributes are evaluated, not approximated.
 * Scenarios: `exact` means the principal holds exactly the given roles and what they include (no role
 * derived through `member when` besides them); otherwise derived roles are held as their conditions say.
 */
import type { AttrRoot, IrExpr, IrPolicy, IrRole, IrRule, IrTool, TargetKind } from "../ir/ir.js";
import { isAmbiguousUri } from "../builtins/glob/glob.js";
import { patternMatches } from "../eval/interpreter.js";
import type { Effect, Method, PolicyRequest, Principal } from "../contract/index.js";
import { ATTRIBUTE_ROWS, ATTRIBUTES, type AttributeRow } from "../contract/attributes.js";
import { actionMethodOf } from "../contract/methods.js";
import { attrsOf, defaultedRoots, E, F, outcomes, T, type Env, type Out } from "./abstract.js";
import { mayErr, mayHold, ruleCondition } from "./solver.js";
import type { RequestContext } from "./types.js";
import { toolView } from "./tool-view.js";
import { serverBudgetsOf, serverScopedBlocks } from "../ir/queries.js";
import { harvest } from "./harvest.js";

export const METHOD_OF: Readonly<Record<TargetKind, Method>> = { tool: actionMethodOf("tool"), resource: actionMethodOf("resource"), prompt: actionMethodOf("prompt") };
const TARGET_FIELD = { tool: "tool", resource: "resource", prompt: "prompt" } as const;

export interface Target {
  readonly kind: TargetKind;
  readonly name: string;
}

export interface Scenario {
  /** Roles the host gives (`principal.roles`), when the principal is not fixed. */
  readonly hostRoles: readonly string[];
  /** Hold exactly the closure of the host roles (derived roles excluded). */
  readonly exact: boolean;
  /** A fixed principal (its roles are the host roles). */
  readonly principal?: Principal;
  readonly context?: RequestContext;
}

/** The attributes a scenario enumerates: those with a finite domain in the registry (annotations, client.tls, client.mtls). */
const FINITE_ROWS = ATTRIBUTE_ROWS.filter((r) => r.domain.kind === "finite");
export type FiniteRoot = AttrRoot;

/** Whether the registry gives `root` a finite domain (the scenario enumerates it). */
export const isFiniteRoot = (root: AttrRoot): boolean => ATTRIBUTES[root].domain.kind === "finite";

export interface Config {
  /**
   * The value of each finite attribute; a root left out (or undefined) is absent: its default applies
   * (MCP's annotation defaults, false for client.tls / client.mtls).
   */
  readonly values: Readonly<Partial<Record<AttrRoot, boolean>>>;
}

/** The config of a scenario that enumerates nothing: each finite attribute at its typical value (tls on, no mTLS, no annotations). */
export const TYPICAL_CONFIG: Config = {
  values: Object.fromEntries(FINITE_ROWS.flatMap((r) => (r.domain.kind === "finite" && r.domain.typical !== undefined ? [[r.path, r.domain.typical]] : []))),
};

export interface Candidate {
  readonly rule: IrRule;
  readonly out: Out;
  /** The rule's owner is held for sure (or it is a top-level deny); otherwise maybe. */
  readonly sure: boolean;
  /**
   * A deny rule of a role that only an erring membership condition may bring in: it never denies by
   * itself, but errs (denies with `evaluation_error`) wherever its own condition may hold or err.
   */
  readonly viaError?: true;
}

export interface ConfigResult {
  readonly config: Config;
  readonly env: Env;
  readonly effects: ReadonlySet<Effect>;
  readonly sureRoles: ReadonlySet<string>;
  readonly maybeRoles: ReadonlySet<string>;
  readonly candidates: readonly Candidate[];
  readonly approval?: Out;
}

export interface ScenarioResult {
  readonly target: Target;
  readonly scenario: Scenario;
  readonly tool: IrTool | undefined;
  /** The configs the scenario can have, with their possible effects. */
  readonly configs: readonly ConfigResult[];
  readonly effects: ReadonlySet<Effect>;
  /** The finite attributes enumerated. */
  readonly finite: readonly FiniteAttr[];
  /** The rules whose target kind and pattern fit the target (any owner). */
  readonly rules: readonly IrRule[];
  /** Every condition that can change the decision: rules, memberships, approval. */
  readonly conditions: readonly IrExpr[];
}

export function closureOf(ir: IrPolicy, roles: Iterable<string>): Set<string> {
  const out = new Set<string>();
  for (const r of roles) for (const x of ir.roles.get(r)?.closure ?? []) out.add(x);
  return out;
}

const and = (es: IrExpr[]): IrExpr => (es.length === 1 ? es[0]! : { k: "and", es });
const or = (es: IrExpr[]): IrExpr => (es.length === 0 ? { k: "lit", value: false } : es.length === 1 ? es[0]! : { k: "or", es });
const not = (e: IrExpr): IrExpr => ({ k: "not", e });

/**
 * The outcomes of "the rule matches" (when true, unless false), refined by the solver: with `args`,
 * for valid arguments only; with `assume`, for requests where every assumed condition is true.
 */
export function ruleOutcome(r: Pick<IrRule, "when" | "unless">, env: Env, args?: IrTool["args"], assume: readonly IrExpr[] = []): Out {
  const w = r.when ? outcomes(r.when, env) : T;
  const u = r.unless ? outcomes(r.unless, env) : F;
  let o = (w & E) | (w & F);
  if (w & T) o |= (u & E) | (u & T ? F : 0) | (u & F ? T : 0);
  if (!r.when && !r.unless) return o;
  const cond = ruleCondition(r.when, r.unless);
  const opts = { env, ...(args && { args }) };
  if (o & T && !mayHold(and([cond, ...assume]), opts)) o = o & ~T || F | E;
  if (o & F && !mayHold(and([not(cond), ...assume]), opts)) o = o & ~F || T | E;
  if (o & E && !mayErr(cond, opts, assume)) o = o & ~E || o;
  return o;
}

/** What the solver says about the rules together, beyond each rule alone (see effectsOf). */
interface Joint {
  /** Some request can pass the rules with the approval condition false / true. */
  readonly allow: boolean;
  readonly approval: boolean;
  /** Some request can be denied by a rule or by the default (errors aside). */
  readonly deny: boolean;
}

function joint(ir: IrPolicy, cands: readonly Candidate[], env: Env, tool: IrTool | undefined, assume: readonly IrExpr[]): Joint {
  const cond = (c: Candidate) => ruleCondition(c.rule.when, c.rule.unless);
  const allows = cands.filter((c) => c.rule.effect === "allow");
  const denies = cands.filter((c) => c.rule.effect === "deny");
  const opts = { env, ...(tool?.args && { args: tool.args }) };
  const defaultAllow = ir.defaultEffect === "allow";
  // Passing: an allow matches (or the default allows) and no deny of a role surely held matches.
  const pass = and([...assume, defaultAllow ? { k: "lit", value: true } : or(allows.map(cond)), ...denies.filter((c) => c.sure).map((c) => not(cond(c)))]);
  const appr = tool?.approval ? (tool.approval.when ?? { k: "lit", value: true }) : undefined;
  const denied = or([...denies.map(cond), ...(defaultAllow ? [] : [and([{ k: "lit", value: true }, ...allows.filter((c) => c.sure).map((c) => not(cond(c)))])])]);
  return {
    allow: mayHold(appr ? and([pass, not(appr)]) : pass, opts),
    approval: appr !== undefined && mayHold(and([pass, appr]), opts),
    deny: mayHold(and([...assume, denied]), opts),
  };
}

/**
 * The outcomes of a role's membership: T (held), F (not held), E (not held, and a condition erred, so
 * its deny rules and those of the roles it includes may apply as errors).
 */
function membership(role: IrRole, env: Env): Out {
  let o = 0;
  for (const m of role.members) {
    let x = outcomes(m, env);
    if (x & T && !mayHold(m, { env })) x = (x & ~T) || F;
    if (x & E && !mayErr(m, { env })) x = (x & ~E) || F;
    o |= x;
    if (x === T) return T;
  }
  return o;
}

/**
 * The roots a scenario fixes: the finite ones (enumerated), the target's name, the principal's when it is
 * fixed, and those read from a request field the scenario's context gives (client, session, server, time).
 */
function knownRoots(target: Target, scenario: Scenario): (root: AttrRoot) => boolean {
  const fixedPrincipal = scenario.principal !== undefined;
  const ctx: Readonly<Record<string, unknown>> = { ...scenario.context };
  return (root) => {
    const row = ATTRIBUTES[root];
    if (row.domain.kind === "finite") return true;
    const field = row.at[0];
    if (field === "principal") return fixedPrincipal;
    if (field === TARGET_FIELD[target.kind]) return true;
    return Object.prototype.hasOwnProperty.call(ctx, field) && ctx[field] !== undefined;
  };
}

/** Writes `v` at a row's place in a request (creating the enclosing object), or nothing when `v` is undefined. */
function place(req: PolicyRequest, at: AttributeRow["at"], v: unknown): void {
  if (v === undefined) return;
  const r = req as Record<string, unknown>;
  const [field, key] = at;
  if (key === undefined) {
    r[field] = v;
    return;
  }
  const o = (r[field] ?? (r[field] = {})) as Record<string, unknown>;
  o[key] = v;
}

/** The request every config shares, its finite attributes filled in (absent ones left out). */
export function configRequest(target: Target, scenario: Scenario, config: Config): PolicyRequest {
  const ctx = scenario.context ?? {};
  const req: PolicyRequest = {
    principal: scenario.principal ? structuredClone(scenario.principal) : { id: "agent-1", roles: [...scenario.hostRoles] },
    method: METHOD_OF[target.kind],
    [TARGET_FIELD[target.kind]]: target.name,
    client: ctx.client ? structuredClone(ctx.client) : {},
  };
  // A finite attribute whose request field the context gives keeps the context's value.
  for (const r of FINITE_ROWS) if (!givenBy(ctx, r)) place(req, r.at, config.values[r.path]);
  if (ctx.session) req.session = structuredClone(ctx.session);
  if (ctx.server) req.server = structuredClone(ctx.server);
  req.time = ctx.time ?? "2026-01-05T10:00:00Z";
  return req;
}

/** A finite attribute and the values it takes: false and true, and absent too when a condition tests it with `has`. */
export interface FiniteAttr {
  readonly root: FiniteRoot;
  readonly values: readonly (boolean | undefined)[];
}

/** Whether the scenario's context gives the request field a row reads (then the context's value stands). */
function givenBy(ctx: RequestContext | undefined, row: AttributeRow): boolean {
  const c: Readonly<Record<string, unknown>> = { ...ctx };
  return c[row.at[0]] !== undefined;
}

/** The finite attributes `conditions` read (those the context, such as a fixed client, does not already give). */
export function finiteRoots(conditions: readonly IrExpr[], context?: RequestContext): FiniteAttr[] {
  const reads = conditions.flatMap((c) => attrsOf(c));
  const defaulted = new Set(conditions.flatMap((c) => defaultedRoots(c)));
  return FINITE_ROWS.filter((r) => reads.some((a) => a.root === r.path) && !givenBy(context, r)).map((r) => ({
    root: r.path,
    values: [...(r.domain.kind === "finite" ? r.domain.values : []), ...(reads.some((a) => a.root === r.path && a.k === "has") || defaulted.has(r.path) ? [undefined] : [])],
  }));
}

/** Every assignment of the finite attributes; the others keep their typical value (TYPICAL_CONFIG). */
export function enumerate(finite: readonly FiniteAttr[]): Config[] {
  const total = finite.reduce((n, f) => n * f.values.length, 1);
  const out: Config[] = [];
  for (let i = 0; i < total; i++) {
    const values: Partial<Record<AttrRoot, boolean>> = { ...TYPICAL_CONFIG.values };
    let rest = i;
    for (const f of finite) {
      const v = f.values[rest % f.values.length];
      rest = Math.floor(rest / f.values.length);
      if (v === undefined) delete values[f.root];
      else values[f.root] = v;
    }
    out.push({ values });
  }
  return out;
}

export function analyseScenario(ir: IrPolicy, target: Target, scenario: Scenario): ScenarioResult {
  const srv = scenario.context?.server?.name;
  const scoped = typeof srv !== "string" && (serverBudgetsOf(ir).size > 0 || (target.kind === "tool" && serverScopedBlocks(ir, target.name).length > 0));
  return scoped ? perServer(ir, target, scenario) : analyseOne(ir, target, scenario);
}

/**
 * A scenario that fixes no server, on a policy whose server blocks apply to the target: the union of the
 * scenario on each of those servers and on a server with no block (so every config's request names its
 * server, and witnesses do too), plus the deny of a request that names no server (grammar/README.md,
 * "Server blocks").
 */
function perServer(ir: IrPolicy, target: Target, scenario: Scenario): ScenarioResult {
  const names = serverNamesOf(ir);
  let other = "zz-other-server";
  while (names.includes(other)) other += "-x";
  const results = [...names, other].map((name) => analyseOne(ir, target, { ...scenario, context: { ...scenario.context, server: { name } } }));
  const first = results[0]!;
  const effects = new Set<Effect>(results.flatMap((r) => [...r.effects]));
  effects.add("deny");
  return { ...first, configs: results.flatMap((r) => r.configs), effects, conditions: [...new Set(results.flatMap((r) => r.conditions))] };
}

const SERVER_NAMES = new WeakMap<IrPolicy, readonly string[]>();

/**
 * The servers a scenario that fixes none is split into: every server block's, and every name a condition
 * compares `server.name` with (`deny ... unless server.name == "a"` must be analysed on `a` too, a server
 * without a block: found by a property, where leaving it out claimed `never` for a call `a` allows).
 */
function serverNamesOf(ir: IrPolicy): readonly string[] {
  let names = SERVER_NAMES.get(ir);
  if (names === undefined) {
    const set = new Set<string>(ir.servers.keys());
    for (const v of harvest(ir).values.get("server.name") ?? []) if (typeof v === "string" && v !== "") set.add(v);
    names = [...set];
    SERVER_NAMES.set(ir, names);
  }
  return names;
}

function analyseOne(ir: IrPolicy, target: Target, scenario: Scenario): ScenarioResult {
  const rules = [...ir.topDenies, ...[...ir.roles.values()].flatMap((r) => r.rules)].filter((r) => r.target === target.kind && patternMatches(r, target.name));
  const srv = scenario.context?.server?.name;
  const tool = target.kind === "tool" ? toolView(ir, target.name, typeof srv === "string" ? srv : undefined) : undefined;
  const conditions: IrExpr[] = [];
  for (const r of rules) conditions.push(...[r.when, r.unless].filter((x): x is IrExpr => x !== undefined));
  for (const role of ir.roles.values()) conditions.push(...role.members);
  if (tool?.approval?.when) conditions.push(tool.approval.when);
  const finite = finiteRoots(conditions, scenario.context);
  const known = knownRoots(target, scenario);
  const ambiguous = target.kind === "resource" && isAmbiguousUri(target.name);
  const hostRoles = scenario.principal ? scenario.principal.roles ?? [] : scenario.hostRoles;
  const given = closureOf(ir, hostRoles.filter((r) => ir.roles.has(r)));
  const args = tool?.args;
  const configs: ConfigResult[] = [];
  for (const config of enumerate(finite)) {
    const env: Env = { req: configRequest(target, scenario, config), known };
    const sureRoles = new Set(given);
    const maybeRoles = new Set<string>();
    /** Roles an erring membership may bring in: their denies err (grammar/README.md, "Errors deny"). */
    const unsureRoles = new Map<string, boolean>(); // role -> the membership that brings it errs for sure
    let feasible = true;
    for (const role of ir.roles.values()) {
      if (given.has(role.name) || role.members.length === 0) continue;
      const m = membership(role, env);
      if (m & E) for (const x of role.closure) unsureRoles.set(x, m === E || unsureRoles.get(x) === true);
      if (scenario.exact) {
        if (m === T && !given.has(role.name)) feasible = false;
      } else if (m === T) for (const x of role.closure) sureRoles.add(x);
      else if (m & T) for (const x of role.closure) maybeRoles.add(x);
    }
    if (!feasible) continue;
    for (const r of sureRoles) maybeRoles.delete(r);
    for (const r of sureRoles) unsureRoles.delete(r);
    for (const r of maybeRoles) unsureRoles.delete(r);
    const assume = scenario.exact ? notMembers(ir, given, env) : [];
    const candidates: Candidate[] = [];
    for (const rule of rules) {
      const sure = rule.role === undefined || sureRoles.has(rule.role);
      if (!sure && rule.effect === "deny" && unsureRoles.has(rule.role!)) {
        // It errs where its condition holds or errs; when the membership surely errs it is as sure as a held rule.
        const certain = unsureRoles.get(rule.role!) === true;
        const out = ruleOutcome(rule, env, args, assume);
        candidates.push({ rule, out: (out & (T | E) ? E : 0) | (out & F || !certain ? F : 0), sure: certain, viaError: true });
        continue;
      }
      if (!sure && !maybeRoles.has(rule.role!)) continue;
      const out = ruleOutcome(rule, env, args, assume);
      candidates.push({ rule, out: sure ? out : out | F, sure });
    }
    const approval = tool?.approval ? (tool.approval.when ? ruleOutcome({ when: tool.approval.when }, env, args, assume) : T) : undefined;
    // An ambiguous resource URI is denied before any rule is looked at.
    const effects = ambiguous ? new Set<Effect>(["deny"]) : effectsOf(ir, candidates, sureRoles.size > 0, maybeRoles.size > 0, approval, joint(ir, candidates, env, tool, assume));
    configs.push({ config, env, effects, sureRoles, maybeRoles, candidates, ...(approval !== undefined && { approval }) });
  }
  const effects = new Set<Effect>(configs.flatMap((c) => [...c.effects]));
  return { target, scenario, tool, configs, effects, finite, rules, conditions };
}

/**
 * In an exact scenario, the roles outside it must not be derived: each membership condition of theirs
 * is false. Only conditions that cannot err are assumed (an erring membership also withholds the role,
 * so "not true" is "false" only for those).
 */
function notMembers(ir: IrPolicy, given: ReadonlySet<string>, env: Env): IrExpr[] {
  const out: IrExpr[] = [];
  for (const role of ir.roles.values()) {
    if (given.has(role.name)) continue;
    for (const m of role.members) if (!mayErr(m, { env })) out.push(not(m));
  }
  return out;
}

/** The effects possible in one config: each rule's outcomes, then the solver on the rules together. */
function effectsOf(ir: IrPolicy, cands: readonly Candidate[], someSure: boolean, someMaybe: boolean, approval: Out | undefined, together: Joint): Set<Effect> {
  const sure = cands.filter((c) => c.sure);
  const denySure = !someSure && !someMaybe ? true : sure.some((c) => (c.rule.effect === "deny" && c.out === T) || c.out === E);
  const errorMay = cands.some((c) => c.out & E) || (approval !== undefined && (approval & E) !== 0);
  const denyMay = cands.some((c) => c.rule.effect === "deny" && c.out & T);
  const allowMay = cands.some((c) => c.rule.effect === "allow" && c.out & T);
  const allowSure = sure.some((c) => c.rule.effect === "allow" && c.out === T);
  const defaultAllow = ir.defaultEffect === "allow";
  const passMay = !denySure && (defaultAllow || allowMay);
  const passSure = someSure && !errorMay && ((!denyMay && (defaultAllow || allowSure)) || !together.deny);
  const effects = new Set<Effect>();
  if (!passSure) effects.add("deny");
  if (!passMay) return effects;
  if ((approval === undefined || approval & F) && together.allow) effects.add("allow");
  if (approval !== undefined && approval & T && together.approval) effects.add("require_approval");
  if (approval !== undefined && approval & E) effects.add("deny");
  return effects;
}

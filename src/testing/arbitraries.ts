/**
 * fast-check arbitraries derived from compiled policies: principals over their roles, scopes and
 * claims (plus unknown ones), requests over every method, their tools (declared, matched by rule globs,
 * unknown), resources and prompts, arguments from each constraint's domain, boundaries and
 * neighbourhood, client addresses at the edges of the policy's CIDR ranges, TLS, sessions and times.
 * Guarantees: every generated request is a plain JSON object (it prints as JSON and replays unchanged);
 * a request carries a `time` exactly when a policy reads `time.*` (never the clock, so every run
 * replays), and a field that only attribute-registry rows describe (`server`) exactly when a policy
 * reads one of them (values from the row's generator hint); records shrink towards fewer keys and the first value of each list, so a counterexample
 * shrinks to a small request; a scenario that names a role the policies do not declare, or a tool
 * they never mention, is refused (a typo would make a property hold vacuously).
 */
import fc from "fast-check";
import { compileGlob } from "../builtins/registry.js";
import type { Policy } from "../policy.js";
import type { ClientInfo, Decision, Method, PolicyRequest, Principal, ToolAnnotations } from "../contract/index.js";
import { ATTRIBUTE_ROWS, METHOD_ROWS, METHODS, type AttributeRow, type AttrRoot, type MethodRow, type RequestField, type TargetKind } from "../contract/index.js";
import { edgeAddresses, respellings } from "./addresses.js";
import { gatherFacts, hintsFor, type PolicyFacts } from "./facts.js";
import { hostileString as hostile } from "./hostile.js";
import { labelsArb, provenanceArb } from "./session.js";
import { withHistory, type HistoryContext } from "./history.js";
import type { IrExpr, IrPolicy, IrType } from "../ir/ir.js";
import { allToolBlocks } from "../ir/queries.js";
import { budgetKeyReads } from "../ir/budget-keys.js";
import { classifiedEdges, globExamples, hintValues, recordOf, uniqueValues, valueArb, withKey, type Classified, type ValueContext, type ValueMode } from "./values.js";

type Arb<T> = fc.Arbitrary<T>;
type Args = Record<string, unknown>;

/** Which requests to generate. Every field narrows; none given: every request. */
export interface Scenario {
  /** Only these methods (default: every method of the table, or `tools/call` when `tool` is given). */
  method?: Method | readonly Method[];
  /** Only requests for these tools (calls, or tools/list entries). */
  tool?: string | readonly string[];
  /** The principal holds these roles (named by the host). */
  holding?: string | readonly string[];
  /** The principal does not hold these roles: not named, and not derived (checked on each decision). */
  lacking?: string | readonly string[];
  /** Arguments: `mixed` (default: valid, boundary, just outside, hostile) or `valid` only. */
  args?: ValueMode;
  /** Only principals for which this holds (checked on each request; use it sparingly). */
  principal?: (principal: Principal) => boolean;
  /** Only requests for which this holds (checked on each request; use it sparingly). */
  where?: (request: PolicyRequest) => boolean;
}

/**
 * Whether a generated request falls outside its scenario: `where` or `principal` does not hold, or a
 * decision shows a `lacking` role held (derived from a condition). Such requests are skipped (and a run
 * that skips too many fails), never counted as passing.
 */
export function outsideScenario(s: Scenario, request: PolicyRequest, decisions: readonly Decision[]): boolean {
  if (s.where && !s.where(request)) return true;
  if (s.principal && !s.principal(request.principal ?? {})) return true;
  const lacking = asList(s.lacking);
  return decisions.some((d) => lacking.some((r) => d.roles.includes(r)));
}

/** One item or a list of them, as a list. */
export const asList = <T>(x: T | readonly T[] | undefined): readonly T[] => (x === undefined ? [] : Array.isArray(x) ? (x as readonly T[]) : [x as T]);
const strings = (xs: readonly unknown[]): string[] => [...new Set(xs.filter((x): x is string => typeof x === "string"))];

/** A subset of a list, in its order; shrinks by dropping items one by one (fc.subarray shrinks less far). */
function subset<T>(pool: readonly T[]): Arb<T[]> {
  return fc.tuple(...pool.map(() => fc.boolean())).map((bits) => pool.filter((_, i) => bits[i]));
}

/** A record of optional keys from paths (`org`, `team.name`), each leaf drawn from `leaf(key)`. */
function nested(paths: readonly (readonly string[])[], key: string, leaf: (key: string) => Arb<unknown>): Arb<Args> {
  const groups = new Map<string, (readonly string[])[]>();
  for (const p of paths) if (p.length) groups.set(p[0]!, [...(groups.get(p[0]!) ?? []), p.slice(1)]);
  const model: Record<string, Arb<unknown>> = {};
  for (const [name, rests] of groups) {
    const deeper = rests.filter((r) => r.length > 0);
    const here = leaf(`${key}.${name}`);
    model[name] = deeper.length ? fc.oneof(here, nested(deeper, `${key}.${name}`, leaf)) : here;
  }
  return recordOf(model);
}

/** Every attribute root the policies' conditions read (`has` included). */
function rootsRead(policies: readonly Policy[]): Set<AttrRoot> {
  const out = new Set<AttrRoot>();
  const visit = (e: IrExpr | undefined): void => {
    if (!e) return;
    if (e.k === "attr" || e.k === "has") out.add(e.root);
    else if (e.k === "not") visit(e.e);
    else if (e.k === "and" || e.k === "or") e.es.forEach(visit);
    else if (e.k === "inSet" || e.k === "matches" || e.k === "regex" || e.k === "carries" || e.k === "derives") visit(e.l);
    else if (e.k === "default") visit(e.e);
    // A history predicate's `where` reads the current request too (`event.args.to == args.to`).
    else if (e.k === "history") [e.m.where, e.since?.where].forEach(visit);
    else if ("r" in e) {
      visit(e.l);
      visit(e.r);
    }
  };
  const each = (ir: IrPolicy) => {
    for (const r of [...ir.topDenies, ...[...ir.roles.values()].flatMap((x) => x.rules)]) [r.when, r.unless].forEach(visit);
    for (const role of ir.roles.values()) role.members.forEach(visit);
    for (const t of allToolBlocks(ir)) visit(t.approval?.when);
  };
  policies.forEach((p) => each(p.ir));
  // What budgets are keyed by (`by principal.claims.tenant`, `by server`): requests must carry it too.
  policies.forEach((p) => budgetKeyReads(p.ir).forEach(visit));
  return out;
}

/**
 * Request fields whose records the hand-tuned generators below build (their known keys); every other
 * attribute of the registry (contract/attributes.ts) is generated from its row's hint, in the record of
 * its request field, whenever a condition reads it. So a new attribute row is generated with no change here.
 */
const HAND_BUILT: ReadonlySet<RequestField> = new Set<RequestField>(["principal", "client", "session", "annotations", "arguments", "tool", "resource", "prompt", "time", "method"]);

/** The generators of one policy (or of several, over what any of them mentions). */
class Generators {
  /** Any request: every method, every tool, every role. */
  readonly request: Arb<PolicyRequest>;
  readonly principal: Arb<Principal>;
  /** Tool names: declared, named or matched by rules, and unknown. */
  readonly toolName: Arb<string>;
  readonly annotations: Arb<ToolAnnotations>;
  readonly client: Arb<ClientInfo>;
  readonly session: Arb<{ id?: string }>;
  /** Epoch milliseconds or ISO strings around the hours and weekdays the policy compares with. */
  readonly time: Arb<number | string>;
  readonly resource: Arb<string>;
  readonly prompt: Arb<string>;
  /** URI templates (resources/templates/list): the resource targets with a segment made a variable, and malformed ones. */
  readonly resourceTemplate: Arb<string>;
  readonly hostileString = hostile();
  private readonly otherTools: string[];
  private readonly toolGlobs: ((s: string) => boolean)[];
  private readonly argCache = new Map<string, Arb<Args>>();
  /** Roots the conditions read: a row-generated attribute is added only then (other requests stay as they were). */
  private readonly reads: ReadonlySet<AttrRoot>;
  /** Records of request fields no hand-tuned generator builds (`server`), from the registry's rows. */
  private readonly rowFields: Record<string, Arb<unknown>>;
  private readonly memo = new Map<IrType, Map<string, Classified>>();
  /** What session histories are drawn from, when a condition asks a history predicate (testing/history.ts). */
  private readonly history?: HistoryContext;

  /** @param facts What the generators know about the policies. */
  constructor(readonly facts: PolicyFacts) {
    this.reads = rootsRead(facts.policies);
    this.rowFields = this.fieldsFromRows();
    const declared = [...facts.tools.keys()];
    const toolPatterns = facts.patterns.tool;
    const fromGlobs = toolPatterns.filter((p) => /[*?]/.test(p)).flatMap(globExamples);
    const unknown = ["unknown_tool", ...declared.slice(0, 1).map((t) => t.toUpperCase())];
    this.otherTools = strings([...toolPatterns.filter((p) => !/[*?]/.test(p)), ...fromGlobs, ...unknown]).filter((t) => !facts.tools.has(t));
    this.toolGlobs = toolPatterns.filter((p) => /[*?]/.test(p) && /[^*?]/.test(p)).map((p) => compileGlob(p, "name"));
    this.toolName = fc.constantFrom(...declared, ...this.otherTools);
    this.annotations = recordOf(this.withRows("annotations", { readOnlyHint: fc.boolean(), destructiveHint: fc.boolean(), idempotentHint: fc.boolean(), openWorldHint: fc.boolean() }));
    this.client = this.clientArb();
    const sessions = strings(["s-1", "s-2", ...hintsFor(facts, "session.id").values]);
    this.session = this.sessionArb(sessions);
    this.time = this.timeArb();
    this.resource = fc.constantFrom(...this.targets("resource", ["file:///etc/passwd", "unknown://x"]));
    this.prompt = fc.constantFrom(...this.targets("prompt", ["unknown-prompt"]));
    this.resourceTemplate = fc.constantFrom(...this.templates());
    if (facts.history) {
      const named = new Set(facts.history.tools);
      const labels = strings([...hintsFor(facts, "session.labels").values, ...hintsFor(facts, "event.labels").values]);
      const others = strings([...declared, ...toolPatterns.filter((p) => !/[*?]/.test(p)), "unknown_tool"]).filter((t) => !named.has(t));
      const servers = strings([...hintsFor(facts, "event.server").values, ...hintsFor(facts, "server.name").values, "other-server"]);
      this.history = { facts: facts.history, otherTools: others, labels, servers, leaf: this.hintLeaf };
    }
    this.principal = this.principalWith({});
    this.request = this.requests();
  }

  /** A value for an attribute the conditions read: their literals most often, then near misses. */
  private hintLeaf = (key: string): Arb<unknown> => {
    const hints = hintsFor(this.facts, key);
    const exact = uniqueValues(hints.values);
    const near = uniqueValues(hintValues(hints));
    const typical = fc.oneof(fc.string({ maxLength: 8 }), fc.integer({ min: -5, max: 100 }));
    const parts = [
      ...(exact.length ? [{ weight: 3, arbitrary: fc.constantFrom(...exact) }] : []),
      ...(near.length ? [{ weight: 2, arbitrary: fc.constantFrom(...near) }] : []),
      { weight: 1, arbitrary: this.hostileString },
      { weight: 1, arbitrary: typical },
    ];
    return fc.oneof(...parts);
  };

  /** A value for an attribute row from its generator hint: the policy's own values first, near misses, hostile strings. */
  private rowLeaf(row: AttributeRow): Arb<unknown> {
    const hints = hintsFor(this.facts, row.path);
    switch (row.gen.kind) {
      case "boolean":
        return fc.boolean();
      case "ip":
        return fc.constantFrom(...strings([...edgeAddresses(hints.cidrs), ...edgeAddresses(this.facts.cidrs).slice(0, 8), "203.0.113.7", "not-an-ip"]));
      case "strings":
        return subset(strings([...hints.values, "unknown"]));
      default: {
        const examples = row.gen.kind === "name" ? row.gen.examples : ["x"];
        const names = strings([...hints.values, ...hintValues(hints), ...hints.globs.flatMap(globExamples), ...examples]);
        return fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...names) }, { weight: 1, arbitrary: this.hostileString });
      }
    }
  }

  /** `model` plus a key for each registry row under request field `field` that the conditions read and `model` lacks. */
  private withRows<M extends Record<string, Arb<unknown>>>(field: RequestField, model: M): M {
    const out: Record<string, Arb<unknown>> = { ...model };
    for (const row of ATTRIBUTE_ROWS) {
      const [f, key] = row.at;
      if (f === field && key !== undefined && !Object.prototype.hasOwnProperty.call(out, key) && this.reads.has(row.path)) out[key] = this.rowLeaf(row);
    }
    return out as M;
  }

  /** The records of request fields that only registry rows describe (`server`), for the fields some condition reads. */
  private fieldsFromRows(): Record<string, Arb<unknown>> {
    const out: Record<string, Arb<unknown>> = {};
    for (const row of ATTRIBUTE_ROWS) {
      const [field, key] = row.at;
      if (HAND_BUILT.has(field) || !this.reads.has(row.path) || Object.prototype.hasOwnProperty.call(out, field)) continue;
      out[field] = key === undefined ? this.rowLeaf(row) : recordOf(this.withRows(field, {}), { freq: Object.fromEntries(ATTRIBUTE_ROWS.filter((r) => r.at[0] === field && r.at[1] !== undefined).map((r) => [r.at[1], 5])) });
    }
    return out;
  }

  /**
   * Sessions: an id, and the session facts the policies read (issue 14): `labels` (from the registry row,
   * usually a list, sometimes malformed) and `provenance` when a `derives from` reads it (testing/session.ts).
   * Present four times in five: absent facts must deny, and do.
   */
  private sessionArb(ids: string[]): Arb<{ id?: string }> {
    const model: Record<string, Arb<unknown>> = this.withRows("session", { id: fc.constantFrom(...ids) });
    if (model.labels) model.labels = labelsArb(model.labels);
    if (this.facts.provenanceLabels.length) model.provenance = provenanceArb(this.facts.provenanceLabels);
    return recordOf(model, { freq: { id: 5, labels: 5, provenance: 5 } });
  }

  private clientArb(): Arb<ClientInfo> {
    const f = this.facts;
    const ipHints = hintsFor(f, "client.ip");
    // The CIDR edges of the sets it is tested against, and the addresses it is compared with (`client.ip == "10.1.2.3"`).
    const hinted = strings([...edgeAddresses(ipHints.cidrs), ...ipHints.values]);
    const all = edgeAddresses(f.cidrs).slice(0, 32);
    const others = strings([...all, ...respellings(hinted[0] ?? "10.0.0.4").slice(0, 3), "8.8.8.8", "::1", "not-an-ip"]);
    // The addresses the conditions test client.ip against come first, and three times as often.
    const ip = hinted.length ? fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...hinted) }, { weight: 1, arbitrary: fc.constantFrom(...others) }) : fc.constantFrom(...others);
    const subject = hintsFor(f, "client.certSubject");
    const subjects = strings([...subject.globs.flatMap(globExamples), ...hintValues(subject), "CN=other"]);
    return recordOf(this.withRows("client", { ip, tls: fc.boolean(), mtls: fc.boolean(), certSubject: fc.constantFrom(...subjects) }), { freq: { ip: 5, tls: 3 } });
  }

  private timeArb(): Arb<number | string> {
    const near = (key: string, lo: number, hi: number) =>
      [...new Set(hintsFor(this.facts, key).values.filter((v): v is number => typeof v === "number").flatMap((n) => [n - 1, n, n + 1]))].filter(
        (n) => Number.isInteger(n) && n >= lo && n <= hi,
      );
    const pick = (key: string, lo: number, hi: number) => {
      const edges = near(key, lo, hi);
      return edges.length ? fc.oneof(fc.constantFrom(...edges), fc.integer({ min: lo, max: hi })) : fc.integer({ min: lo, max: hi });
    };
    // 2026-01-04 is a Sunday (weekday 0).
    const moment = fc
      .record({ day: pick("time.weekday", 0, 6), hour: pick("time.hour", 0, 23), minute: pick("time.minute", 0, 59), iso: fc.boolean() })
      .map(({ day, hour, minute, iso }) => {
        const ms = Date.UTC(2026, 0, 4 + day, hour, minute);
        return iso ? new Date(ms).toISOString() : ms;
      });
    return fc.oneof({ weight: 9, arbitrary: moment }, { weight: 1, arbitrary: fc.constant("not-a-time") });
  }

  private targets(kind: "resource" | "prompt", others: string[]): string[] {
    const examples = this.facts.patterns[kind].flatMap(globExamples);
    const sneaky =
      kind === "resource"
        ? examples.filter((e) => e.includes("/")).flatMap((e) => [`${e}/../../x`, e.replace(/\/([^/]*)$/, "/%2e%2e/$1"), `${e}%2F..`])
        : [];
    return strings([...examples, ...sneaky, ...others]);
  }

  /** URI templates from the resource targets: the last segment as `{name}`, the path as `{+path}`; and a malformed one. */
  private templates(): string[] {
    const examples = this.facts.patterns.resource.flatMap(globExamples).filter((e) => e.includes("/"));
    const out = examples.flatMap((e) => [e.replace(/\/[^/]*$/, "/{name}"), e.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/]*\/).*$/i, "$1{+path}")]);
    return strings([...out, "file:///{name}", "file:///{unclosed"]);
  }

  /** Principals holding (named by the host) or lacking (from the pool of roles drawn) some roles. */
  principalWith(options: { holding?: string | readonly string[]; lacking?: string | readonly string[] }): Arb<Principal> {
    const holding = asList(options.holding);
    const lacking = asList(options.lacking);
    this.checkRoles([...holding, ...lacking]);
    const roles = this.facts.roles;
    const unknown = ["ghost", ...roles.slice(0, 1).map((r) => r.toUpperCase())].filter((r) => !roles.includes(r));
    const pool = [...roles, ...unknown].filter((r) => !lacking.includes(r) && !holding.includes(r));
    const scopesHint = hintsFor(this.facts, "principal.scopes");
    const scopes = strings([...scopesHint.values, ...scopesHint.values.filter((v) => typeof v === "string").map((v) => v.toUpperCase()), "unknown:scope"]);
    const ids = strings([...hintsFor(this.facts, "principal.id").values, "agent-1", "agent-2"]);
    const model = this.withRows("principal", {
      id: fc.constantFrom(...ids),
      roles: subset(pool).map((r) => [...holding, ...r]),
      scopes: subset(scopes),
      claims: nested(this.facts.claimPaths, "principal.claims", this.hintLeaf),
    });
    return recordOf(model, { required: ["roles"] }) as Arb<Principal>;
  }

  private checkRoles(names: readonly string[]): void {
    for (const r of names) {
      if (!this.facts.roles.includes(r)) {
        throw new Error(`mcppolicy/testing: the scenario names role \`${r}\`, which the policy does not declare (declared: ${this.facts.roles.map((x) => `\`${x}\``).join(", ")})`);
      }
    }
  }

  private checkTools(names: readonly string[]): void {
    for (const t of names) {
      const mentioned = this.facts.tools.has(t) || this.facts.patterns.tool.includes(t) || this.toolGlobs.some((g) => g(t));
      if (!mentioned) {
        throw new Error(`mcppolicy/testing: the scenario names tool \`${t}\`, which the policy neither declares nor names in a rule (declared: ${[...this.facts.tools.keys()].map((x) => `\`${x}\``).join(", ")})`);
      }
    }
  }

  /** Arguments for one tool (from its `args` block, or from what the conditions read). */
  arguments(tool: string, mode: ValueMode = "mixed"): Arb<Args> {
    const cacheKey = `${mode}\u0000${tool}`;
    const known = this.argCache.get(cacheKey);
    if (known) return known;
    const free = nested(this.facts.argPaths, "args", this.hintLeaf);
    const types = this.facts.tools.get(tool) ?? [];
    const arbs = types.map((t) => (t ? (valueArb(t, this.valueContext(), mode) as Arb<Args> | undefined) : free));
    const defined = arbs.filter((a): a is Arb<Args> => a !== undefined);
    // No type known (undeclared tool, no args block): what the conditions read, plus a stray key.
    const base = defined.length ? fc.oneof(...defined) : free;
    const out =
      mode === "valid" || types.some((t) => t !== undefined)
        ? base
        : fc.oneof({ weight: 3, arbitrary: base }, { weight: 1, arbitrary: fc.tuple(base, this.hostileString).map(([o, v]) => withKey(o, "extra", v)) });
    this.argCache.set(cacheKey, out);
    return out;
  }

  private valueContext(): ValueContext {
    return { checks: this.facts.checks, hints: (k) => hintsFor(this.facts, k), key: "args", memo: this.memo };
  }

  /**
   * The boundary and neighbourhood values of one argument of a declared tool (`path`, `files.0.path`),
   * split by whether the policy's own check accepts them.
   */
  boundaries(tool: string, field: string): Classified {
    let type = this.facts.tools.get(tool)?.find((t) => t !== undefined);
    for (const seg of field.split(".")) {
      if (type?.t === "array") type = type.item;
      else if (type?.t === "object") type = type.fields.find((f) => f.name === seg)?.type;
      else type = undefined;
    }
    if (!type) throw new Error(`mcppolicy/testing: tool \`${tool}\` declares no argument \`${field}\``);
    return classifiedEdges(type, { ...this.valueContext(), key: `args.${field}` });
  }

  private context(): Record<string, Arb<unknown>> {
    return {
      annotations: this.annotations,
      client: this.client,
      session: this.session,
      ...this.rowFields,
      ...(this.facts.readsTime && { time: this.time }),
    };
  }

  private build(principal: Arb<Principal>, method: Method, fields: Record<string, Arb<unknown>>, required: string[]): Arb<PolicyRequest> {
    const model: Record<string, Arb<unknown>> = { principal, method: fc.constant(method), ...fields, ...this.context() };
    const keys = ["principal", "method", ...required, ...(this.facts.readsTime ? ["time"] : [])];
    const out = recordOf(model, { required: keys, freq: { arguments: 6, client: 6 } }) as Arb<PolicyRequest>;
    // Histories are planned against the request (its time, the arguments a `where` compares with).
    return this.history ? withHistory(out, this.history) : out;
  }

  /** `tools/call` requests to one tool. */
  callTo(tool: string, args: ValueMode = "mixed"): Arb<PolicyRequest> {
    return this.call(this.principal, tool, args);
  }

  private call(principal: Arb<Principal>, tool: string, args: ValueMode): Arb<PolicyRequest> {
    const required = args === "valid" ? ["tool", "arguments"] : ["tool"];
    return this.build(principal, "tools/call", { tool: fc.constant(tool), arguments: this.arguments(tool, args) }, required);
  }

  /**
   * Requests of a method other than tools/call and tools/list, by its row of the method table: a list
   * method with one item of its kind (or none), an action method with one of its targets, a
   * server-to-client method with none.
   */
  private byRow(principal: Arb<Principal>, row: MethodRow): Arb<PolicyRequest> {
    const of = (k: TargetKind): Arb<string> => (k === "resource" ? this.resource : k === "prompt" ? this.prompt : this.toolName);
    const m = row.method as Method;
    if (row.lists !== undefined) return this.build(principal, m, { [row.lists]: row.templates ? this.resourceTemplate : of(row.lists) }, []);
    if (row.targets.length === 0) return this.build(principal, m, {}, []);
    const arbs = row.targets.map((k) => this.build(principal, m, { [k]: of(k) }, [k]));
    return arbs.length === 1 ? arbs[0]! : fc.oneof(...arbs);
  }

  /** Requests of a scenario. */
  requests(scenario: Scenario = {}): Arb<PolicyRequest> {
    const tools = asList(scenario.tool);
    this.checkTools(tools);
    const methods = scenario.method !== undefined ? asList(scenario.method) : tools.length ? (["tools/call"] as const) : METHODS;
    const principal = this.principalWith({ holding: scenario.holding, lacking: scenario.lacking });
    const args = scenario.args ?? "mixed";
    const byMethod: { weight: number; arbitrary: Arb<PolicyRequest> }[] = [];
    for (const m of methods) {
      const focus = tools.length ? [] : this.facts.focusTools;
      if (m === "tools/call") {
        const names = tools.length ? tools : [...this.facts.tools.keys()];
        const calls = names.map((t) => this.call(principal, t, args));
        if (!tools.length) {
          const other = fc.constantFrom(...this.otherTools);
          calls.push(this.build(principal, m, { tool: other, arguments: this.arguments("", args) }, ["tool"]));
        }
        // Where policies may differ, half of the calls.
        const focused = focus.map((t) => this.call(principal, t, args));
        const all = fc.oneof(...calls);
        byMethod.push({ weight: 4, arbitrary: focused.length ? fc.oneof(all, fc.oneof(...focused)) : all });
      } else if (m === "tools/list") {
        const tool = tools.length ? fc.constantFrom(...tools) : focus.length ? fc.oneof(this.toolName, fc.constantFrom(...focus)) : this.toolName;
        byMethod.push({ weight: 2, arbitrary: this.build(principal, m, { tool }, tools.length ? ["tool"] : []) });
      } else byMethod.push({ weight: 1, arbitrary: this.byRow(principal, METHOD_ROWS[m]) });
    }
    return byMethod.length === 1 ? byMethod[0]!.arbitrary : fc.oneof(...byMethod);
  }
}

/** The public face of the generators. */
export type PolicyArbitraries = Pick<Generators, keyof Generators>;

/** Arbitraries for one policy, or for the union of several (to compare them on the same requests). */
export function arbitraries(policy: Policy | readonly Policy[]): PolicyArbitraries {
  const policies = Array.isArray(policy) ? (policy as readonly Policy[]) : [policy as Policy];
  return new Generators(gatherFacts(policies));
}


/**
 * What a compiled policy mentions, gathered once for the generators: its roles, tools and target
 * patterns, the literals its conditions compare each attribute with, the items of its sets, and the
 * parameters of its constraint types (`path(root:)`, `url(hosts:)`, `ip(deny:)`, `sql(tables:)`).
 * Guarantees: read-only (the policy is not changed); never throws on a compiled policy. Everything is
 * read from the IR, which holds sets as their items and constraints as their parameters (data defined
 * by the built-ins registry): the sources are never parsed again.
 */
import type { EventKind, IrEventMatch, IrExpr, IrPolicy, IrType, Scalar, TargetKind } from "../ir/ir.js";
import type { Policy } from "../policy.js";
import { budgetKeyReads } from "../ir/budget-keys.js";
import { expandCidrItem } from "./addresses.js";
import { checkParamsOf, globExamples, regexExamples } from "./values.js";
import { allToolBlocks, toolBlocks } from "../ir/queries.js";
import { COPIED_TEXTS } from "./session.js";

/** The parameters of one constraint type, as the policy wrote them (sets expanded to their items). */
export interface CheckParams {
  readonly kind: "path" | "url" | "ip" | "sql";
  readonly root?: string;
  readonly maxLength?: number;
  readonly schemes?: readonly string[];
  readonly hosts?: readonly string[];
  readonly deny?: readonly string[];
  readonly allow?: readonly string[];
  readonly ports?: readonly number[];
  readonly readonly?: boolean;
  readonly unions?: boolean;
  readonly dialect?: string;
  readonly tables?: readonly string[];
  readonly denyColumns?: readonly string[];
}

/** What the conditions compare one attribute with. */
export interface Hints {
  readonly values: Scalar[];
  /** `matches` globs. */
  readonly globs: string[];
  /** CIDR items of `in` sets. */
  readonly cidrs: string[];
  /** Domain items of `in` sets. */
  readonly domains: string[];
}

export interface PolicyFacts {
  readonly policies: readonly Policy[];
  readonly roles: readonly string[];
  /** Declared tools, with the `args` type of each policy that declares the tool (undefined: no args block). */
  readonly tools: ReadonlyMap<string, readonly (IrType | undefined)[]>;
  /** Rule patterns by target kind (exact names and globs), set items included. */
  readonly patterns: Readonly<Record<TargetKind, readonly string[]>>;
  /** Hints by attribute key: `principal.scopes`, `principal.claims.org`, `args.amount`, `client.ip`, ... */
  readonly hints: ReadonlyMap<string, Hints>;
  /** Paths read under `principal.claims` and `args` (by conditions, `has` included). */
  readonly claimPaths: readonly (readonly string[])[];
  readonly argPaths: readonly (readonly string[])[];
  /** Every CIDR item of every cidr set and constraint (built-in set names expanded). */
  readonly cidrs: readonly string[];
  /** Every domain item of every domain set and constraint. */
  readonly domains: readonly string[];
  readonly checks: ReadonlyMap<IrType, CheckParams>;
  /** Whether any condition reads `time.*` (requests then always carry a time, so runs replay). */
  readonly readsTime: boolean;
  /**
   * With several policies: tool names on which they may differ (a tool declared differently, or named
   * by a rule that only some of them have), for generators to visit more often. Empty for one policy.
   */
  readonly focusTools: readonly string[];
  /**
   * The labels `derives from` names (issue 14): requests then carry `session.provenance` (testing/session.ts).
   * The labels result blocks give are hints of `session.labels`, beside the strings conditions compare it with.
   */
  readonly provenanceLabels: readonly string[];
  /**
   * What the history predicates ask (issue 14), or undefined when no condition reads `session.history`:
   * requests then carry a `time` and a `session.history` (testing/history.ts).
   */
  readonly history?: HistoryFacts;
  /** Literal strings and numbers anywhere in the conditions (ids, sessions, subjects draw on them). */
  readonly strings: readonly string[];
  readonly numbers: readonly number[];
}

/** The history predicates of the policies, pooled: what their events must look like to match (or almost). */
export interface HistoryFacts {
  /** Each `KIND tool NAMES` of a predicate or its `since`: the kind, and the tool names it matches (exact names, instances of its globs). */
  readonly matches: readonly { readonly kind: EventKind; readonly tools: readonly string[] }[];
  /** Tool names the predicates match, all together. */
  readonly tools: readonly string[];
  /** Windows, in ms. */
  readonly windows: readonly number[];
  /** Paths under `event.args` read by a `where` or summed (`sum event.args.amount of ...`). */
  readonly argPaths: readonly (readonly string[])[];
  /** Those of them an aggregate adds up (`event.args.amount`): numbers, mostly. */
  readonly numericPaths: readonly string[];
  /** The numbers counts are compared with (`count ... < 3`): runs of that many like events are generated. */
  readonly counts: readonly number[];
  /** `event.args.id == args.id`: event key -> the request keys it is compared with (copied into events). */
  readonly links: ReadonlyMap<string, readonly string[]>;
}

const emptyHints = (): Hints => ({ values: [], globs: [], cidrs: [], domains: [] });

/** Record the parameters of every constraint in a type (the IR keeps them as data). */
function collectChecks(t: IrType, out: Map<IrType, CheckParams>): void {
  switch (t.t) {
    case "object":
      for (const f of t.fields) collectChecks(f.type, out);
      break;
    case "union":
      for (const m of t.members) collectChecks(m, out);
      break;
    case "array":
      collectChecks(t.item, out);
      break;
    case "check":
      out.set(t, checkParamsOf(t));
      break;
  }
}

/** Accumulates hints while walking the conditions. */
class Collector {
  readonly hints = new Map<string, Hints>();
  readonly claimPaths = new Map<string, string[]>();
  readonly argPaths = new Map<string, string[]>();
  readonly strings = new Set<string>();
  readonly numbers = new Set<number>();
  readonly derives = new Set<string>();
  readsTime = false;
  readonly matches = new Map<string, { kind: EventKind; tools: string[] }>();
  readonly numericPaths = new Set<string>();
  readonly counts = new Set<number>();
  readonly windows = new Set<number>();
  readonly eventPaths = new Map<string, string[]>();
  readonly links = new Map<string, Set<string>>();
  readsHistory = false;


  hint(key: string): Hints {
    let h = this.hints.get(key);
    if (!h) this.hints.set(key, (h = emptyHints()));
    return h;
  }

  private key(e: IrExpr): string | undefined {
    if (e.k === "default") return this.key(e.e);
    // A past event's field (`event.args.id`), and an aggregate as the value it adds up (`sum event.args.amount ... < 100`).
    if (e.k === "event") return ["event", e.field, ...e.path].join(".");
    if (e.k === "history") return e.value ? this.key(e.value) : undefined;
    if (e.k !== "attr" && e.k !== "has") return undefined;
    return e.path.length ? `${e.root}.${e.path.join(".")}` : e.root;
  }

  private literals(e: IrExpr): Scalar[] {
    return e.k === "lit" ? [e.value] : e.k === "list" ? [...e.values] : [];
  }

  private attr(e: IrExpr & { k: "attr" | "has" }): void {
    if (e.root === "principal.claims" && e.path.length) this.claimPaths.set(e.path.join("\u0000"), [...e.path]);
    if (e.root === "args" && e.path.length) this.argPaths.set(e.path.join("\u0000"), [...e.path]);
    if (e.root.startsWith("time.")) this.readsTime = true;
  }

  walk(e: IrExpr | undefined): void {
    if (!e) return;
    if (e.k === "lit" || e.k === "list") {
      for (const v of this.literals(e)) {
        if (typeof v === "string") this.strings.add(v);
        else if (typeof v === "number") this.numbers.add(v);
      }
    } else if (e.k === "attr" || e.k === "has") this.attr(e);
    else if (e.k === "not") this.walk(e.e);
    else if (e.k === "and" || e.k === "or") e.es.forEach((x) => this.walk(x));
    else if (e.k === "inSet") this.inSet(e);
    else if (e.k === "default") {
      // `a ?? d`: `a` is read (so generated present and absent), and `d` is a value it is compared like.
      this.walk(e.e);
      this.walk(e.d);
      this.hint(this.key(e.e)!).values.push(...this.literals(e.d));
    }
    else if (e.k === "pathRead" || e.k === "anyPathArg") this.pathTest(e);
    else if (e.k === "carries") this.walk(e.l);
    else if (e.k === "history") this.history(e);
    else if (e.k === "event") this.event(e);
    else if (e.k === "derives") {
      // What it reads is sometimes a copy of what a result gave (testing/session.ts).
      this.walk(e.l);
      this.derives.add(e.label);
      const key = this.key(e.l);
      if (key) this.hint(key).values.push(...COPIED_TEXTS);
    }
    else if (e.k === "matches") {
      this.walk(e.l);
      const key = this.key(e.l);
      if (key) this.hint(key).globs.push(e.pattern);
    } else if (e.k === "regex") {
      this.walk(e.l);
      const key = this.key(e.l);
      if (key) this.hint(key).values.push(...regexExamples(e.pattern));
    } else if ("r" in e) {
      // Comparisons, `in`, `contains`: `attr OP literal`, `literal OP attr` (`"dev" in principal.scopes`).
      this.walk(e.l);
      this.walk(e.r);
      for (const [a, b] of [
        [e.l, e.r],
        [e.r, e.l],
      ] as const) {
        const key = this.key(a);
        if (key) this.hint(key).values.push(...this.literals(b));
        if (a.k === "history" && a.op === "count") for (const v of this.literals(b)) if (typeof v === "number") this.counts.add(v);
        // `event.args.id == args.id`: events copy the current call's value (testing/history.ts).
        const other = this.key(b);
        if (key?.startsWith("event.") && other && !other.startsWith("event.")) {
          const set = this.links.get(key) ?? new Set<string>();
          this.links.set(key, set.add(other));
        }
      }
    }
  }

  /** A history predicate: its kinds, tools, window, and what its `where` and aggregate read. */
  private history(e: IrExpr & { k: "history" }): void {
    this.readsHistory = true;
    this.readsTime = true;
    if (e.windowMs !== undefined) this.windows.add(e.windowMs);
    if (e.value) {
      this.event(e.value);
      this.numericPaths.add(this.key(e.value)!);
    }
    for (const m of [e.m, e.since]) if (m) this.match(m);
  }

  private match(m: IrEventMatch): void {
    const tools = uniq(m.tools.flatMap((p) => (p.kind === "exact" ? [p.text] : globExamples(p.text))));
    this.matches.set(`${m.kind}\u0000${tools.join("\u0000")}`, { kind: m.kind, tools });
    this.walk(m.where);
  }

  private event(e: IrExpr & { k: "event" }): void {
    if (e.field === "args" && e.path.length) this.eventPaths.set(e.path.join("\u0000"), [...e.path]);
  }

  /** A typed path read or `any path arg`: the path arguments it reads, and what it compares them with. */
  private pathTest(e: IrExpr & { k: "pathRead" | "anyPathArg" }): void {
    const keys: string[] = [];
    if (e.k === "pathRead") {
      this.walk(e.l);
      keys.push(this.key(e.l)!);
    } else {
      for (const t of e.byTool) {
        for (const f of t.fields) {
          if (f.at.some((s) => s === null)) continue;
          const path = f.at as string[];
          this.argPaths.set(path.join("\u0000"), [...path]);
          keys.push(`args.${path.join(".")}`);
        }
      }
    }
    if (e.op === undefined) return;
    for (const key of keys) {
      const h = this.hint(key);
      if (e.op === "matches" && e.r.k === "lit") h.globs.push(String(e.r.value));
      else if (e.set) h.values.push(...e.set.set);
      else h.values.push(...this.literals(e.r));
    }
  }

  private inSet(e: IrExpr & { k: "inSet" }): void {
    this.walk(e.l);
    const key = this.key(e.l);
    if (!key) return;
    const h = this.hint(key);
    const s = e.set;
    if (s.kind === "string") h.values.push(...s.set);
    else if (s.kind === "tool") h.globs.push(...s.patterns);
    else if (s.kind === "cidr") h.cidrs.push(...s.items.flatMap(expandCidrItem));
    else h.domains.push(...s.items);
  }
}

function conditionsOf(ir: IrPolicy): (IrExpr | undefined)[] {
  const out: (IrExpr | undefined)[] = [];
  for (const r of ir.topDenies) out.push(r.when, r.unless);
  for (const role of ir.roles.values()) {
    out.push(...role.members);
    for (const r of role.rules) out.push(r.when, r.unless);
  }
  for (const t of allToolBlocks(ir)) out.push(t.approval?.when);
  // Result blocks (issue 14): their strings and the attributes they read are hints too.
  for (const b of ir.results) out.push(b.when, ...b.labels.map((l) => l.when), ...b.denies.map((d) => d.when));
  return out;
}

const uniq = <T>(xs: Iterable<T>): T[] => [...new Set(xs)];

/**
 * A declaration as comparable text: spans and rule ids left out, string sets as sorted items (the IR
 * is data, so constraint types print as their parameters).
 */
function signature(x: unknown): string {
  return JSON.stringify(x, (key, v: unknown) => {
    if (key === "span" || key === "id") return undefined;
    if (v instanceof Set) return [...v].map(String).sort();
    if (v instanceof Map) return [...v.entries()];
    return v;
  });
}

/** Tool names the policies may decide differently: differing tool blocks, and rules only some have. */
function focusOf(policies: readonly Policy[]): string[] {
  if (policies.length < 2) return [];
  const out = new Set<string>();
  const names = uniq(policies.flatMap((p) => [...p.ir.tools.keys()]));
  for (const name of names) {
    const sigs = new Set(policies.map((p) => signature(p.ir.tools.get(name) ?? null)));
    if (sigs.size > 1) out.add(name);
  }
  // Tool families (top level and in server blocks) some policies declare differently: instances of their globs.
  const families = uniq(policies.flatMap((p) => allToolBlocks(p.ir).filter((t) => t.pattern !== undefined).map((t) => t.id)));
  for (const id of families) {
    const sigs = new Set(policies.map((p) => signature(allToolBlocks(p.ir).find((t) => t.id === id) ?? null)));
    const pattern = policies.flatMap((p) => allToolBlocks(p.ir)).find((t) => t.id === id)!.pattern!;
    if (sigs.size > 1) globExamples(pattern).forEach((t) => out.add(t));
  }
  const ruleSets = policies.map((p) => {
    const rules = [...p.ir.topDenies, ...[...p.ir.roles.values()].flatMap((r) => r.rules)];
    return new Map(rules.map((r) => [signature(r), r] as const));
  });
  for (const set of ruleSets) {
    for (const [sig, rule] of set) {
      if (rule.target !== "tool" || ruleSets.every((other) => other.has(sig))) continue;
      for (const p of rule.patterns) (p.kind === "exact" ? [p.text] : globExamples(p.text)).forEach((t) => out.add(t));
    }
  }
  return [...out];
}

/** Gather the facts of one or more policies (more than one: the union, for equivalence checks). */
export function gatherFacts(policies: readonly Policy[]): PolicyFacts {
  const roles = new Set<string>();
  const tools = new Map<string, (IrType | undefined)[]>();
  const patterns: Record<TargetKind, Set<string>> = { tool: new Set(), resource: new Set(), prompt: new Set() };
  const checks = new Map<IrType, CheckParams>();
  const cidrs = new Set<string>();
  const domains = new Set<string>();
  const merged = new Map<string, Hints>();
  const claimPaths = new Map<string, readonly string[]>();
  const argPaths = new Map<string, readonly string[]>();
  const strings = new Set<string>();
  const numbers = new Set<number>();
  let readsTime = false;
  const provenanceLabels = new Set<string>();
  const resultLabels = new Set<string>();
  let readsHistory = false;
  const matches = new Map<string, { kind: EventKind; tools: string[] }>();
  const numericPaths = new Set<string>();
  const counts = new Set<number>();
  const windows = new Set<number>();
  const eventPaths = new Map<string, readonly string[]>();
  const links = new Map<string, Set<string>>();

  for (const policy of policies) {
    const ir = policy.ir;
    for (const r of ir.roles.keys()) roles.add(r);
    for (const rule of [...ir.topDenies, ...[...ir.roles.values()].flatMap((r) => r.rules)]) {
      for (const p of rule.patterns) patterns[rule.target].add(p.text);
    }
    for (const t of ir.tools.values()) {
      const list = tools.get(t.name) ?? [];
      list.push(t.args);
      tools.set(t.name, list);
      if (t.args) collectChecks(t.args, checks);
    }
    // Tool families and server blocks: the names they describe are tools too (instances of each family's
    // glob, so generated calls match it; the rule patterns' own examples and unknown names miss it), each
    // with the `args` of every block that applies to it.
    for (const t of allToolBlocks(ir)) {
      if (t.args) collectChecks(t.args, checks);
      if (t.pattern !== undefined) patterns.tool.add(t.pattern);
      for (const name of t.pattern === undefined ? [t.name] : globExamples(t.pattern)) {
        if (name === "" || ir.tools.has(name)) continue;
        const list = tools.get(name) ?? [];
        for (const b of [...toolBlocks(ir, name), ...(t.server === undefined ? [] : toolBlocks(ir, name, t.server).filter((x) => x.server !== undefined))]) if (!list.includes(b.args)) list.push(b.args);
        tools.set(name, list);
      }
    }
    for (const [name, list] of tools) for (const b of toolBlocks(ir, name)) if (b.pattern !== undefined && !list.includes(b.args)) list.push(b.args);
    for (const set of ir.sets.values()) {
      if (set.kind === "cidr" && !set.builtin) set.items.flatMap(expandCidrItem).forEach((c) => cidrs.add(c));
      else if (set.kind === "domain") set.items.forEach((d) => domains.add(d));
    }
    for (const p of checks.values()) {
      [...(p.deny ?? []), ...(p.allow ?? [])].flatMap(expandCidrItem).forEach((c) => cidrs.add(c));
      (p.hosts ?? []).forEach((d) => domains.add(d));
    }
    const c = new Collector();
    conditionsOf(ir).forEach((e) => c.walk(e));
    // Budget keys read claims and arguments too (`by principal.claims.tenant`, `by args.repo`).
    budgetKeyReads(ir).forEach((e) => c.walk(e));
    for (const [k, h] of c.hints) {
      const m = merged.get(k) ?? emptyHints();
      m.values.push(...h.values);
      m.globs.push(...h.globs);
      m.cidrs.push(...h.cidrs);
      m.domains.push(...h.domains);
      merged.set(k, m);
    }
    for (const [k, p] of c.claimPaths) claimPaths.set(k, p);
    for (const [k, p] of c.argPaths) argPaths.set(k, p);
    c.strings.forEach((s) => strings.add(s));
    c.numbers.forEach((n) => numbers.add(n));
    readsTime ||= c.readsTime;
    c.derives.forEach((l) => provenanceLabels.add(l));
    readsHistory ||= c.readsHistory;
    c.matches.forEach((m, k) => matches.set(k, m));
    c.numericPaths.forEach((p) => numericPaths.add(p));
    c.counts.forEach((n) => counts.add(n));
    c.windows.forEach((w) => windows.add(w));
    for (const [k, p] of c.eventPaths) eventPaths.set(k, p);
    for (const [k, set] of c.links) links.set(k, new Set([...(links.get(k) ?? []), ...set]));
    for (const b of ir.results) for (const l of b.labels) resultLabels.add(l.label);
  }
  if (resultLabels.size) {
    const h = merged.get("session.labels") ?? emptyHints();
    h.values.push(...resultLabels);
    merged.set("session.labels", h);
  }
  for (const [k, h] of merged) {
    merged.set(k, { values: uniq(h.values), globs: uniq(h.globs), cidrs: uniq(h.cidrs), domains: uniq(h.domains) });
  }
  return {
    policies,
    roles: [...roles],
    tools,
    patterns: { tool: [...patterns.tool], resource: [...patterns.resource], prompt: [...patterns.prompt] },
    hints: merged,
    claimPaths: [...claimPaths.values()],
    argPaths: [...argPaths.values()],
    cidrs: [...cidrs],
    domains: [...domains],
    checks,
    readsTime,
    focusTools: focusOf(policies),
    strings: [...strings],
    numbers: [...numbers],
    provenanceLabels: [...provenanceLabels],
    ...(readsHistory && {
      history: {
        matches: [...matches.values()],
        tools: uniq([...matches.values()].flatMap((m) => m.tools)),
        windows: [...windows].sort((a, b) => a - b),
        argPaths: [...eventPaths.values()],
        numericPaths: [...numericPaths],
        counts: [...counts],
        links: new Map([...links].map(([k, v]) => [k, [...v]] as const)),
      },
    }),
  };
}

/** The hints of an attribute key, or empty hints. */
export function hintsFor(facts: PolicyFacts, key: string): Hints {
  return facts.hints.get(key) ?? emptyHints();
}

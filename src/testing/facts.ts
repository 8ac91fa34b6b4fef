/**
 * What a compiled policy mentions, gathered once for the generators: its roles, tools and target
 * patterns, the literals its conditions compare each attribute with, the items of its sets, and the
 * parameters of its constraint types (`path(root:)`, `url(hosts:)`, `ip(deny:)`, `sql(tables:)`).
 * Guarantees: read-only (the policy is not changed); never throws on a compiled policy. The IR keeps a
 * constraint as a closure, so its parameters are read back from the policy's own source files (parsed
 * again from `policy.sources`, without imports being followed: every file the policy was compiled
 * from is among them); when they cannot be read, a constraint simply has no parameters and the generators fall
 * back to values that do not depend on them.
 */
import type * as A from "../ast/nodes.js";
import type { IrExpr, IrPolicy, IrType, Scalar, TargetKind } from "../ir/ir.js";
import type { Policy } from "../policy.js";
import { parsePolicy } from "../syntax/parse.js";
import { expandCidrItem } from "./addresses.js";
import { globExamples } from "./values.js";

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
  /** Literal strings and numbers anywhere in the conditions (ids, sessions, subjects draw on them). */
  readonly strings: readonly string[];
  readonly numbers: readonly number[];
}

const emptyHints = (): Hints => ({ values: [], globs: [], cidrs: [], domains: [] });

/** The source files a policy was compiled from (the Policy keeps them for diagnostics). */
function sourcesOf(policy: Policy): readonly { name: string; text: string }[] {
  return Array.isArray(policy.sources) ? policy.sources : [];
}

function astsOf(policy: Policy): A.PolicyFileAst[] {
  const out: A.PolicyFileAst[] = [];
  for (const f of sourcesOf(policy)) {
    const ast = parsePolicy(f.text, f.name).ast;
    if (ast) out.push(ast);
  }
  return out;
}

/** Sets and constants of a policy's sources, by name, with set references expanded to their items. */
class Names {
  private readonly sets = new Map<string, A.SetDecl>();
  private readonly consts = new Map<string, A.Literal>();
  constructor(asts: readonly A.PolicyFileAst[]) {
    for (const ast of asts) {
      for (const d of ast.declarations) {
        if (d.kind === "set") this.sets.set(d.name.text, d);
        else if (d.kind === "const") this.consts.set(d.name.text, d.value);
      }
    }
  }
  setNames(): string[] {
    return [...this.sets.keys()];
  }
  kindOf(name: string): string | undefined {
    return this.sets.get(name)?.setKind.text;
  }
  /** The items of a set (references to other sets and built-in CIDR sets expanded). */
  items(name: string, seen = new Set<string>()): string[] {
    const decl = this.sets.get(name);
    if (!decl) return expandCidrItem(name).filter((x) => x !== name); // a built-in CIDR set, or nothing
    if (seen.has(name)) return [];
    seen.add(name);
    return decl.items.items.flatMap((i) => (i.kind === "string" ? [i.value] : i.kind === "ref" ? this.items(i.name, seen) : []));
  }
  literal(v: A.Value): A.Value {
    return v.kind === "ref" ? this.consts.get(v.name) ?? v : v;
  }
  /** A set reference or an inline list, as items. */
  itemsOf(v: A.Value): string[] {
    if (v.kind === "ref") return this.items(v.name);
    if (v.kind === "list") return v.items.flatMap((i) => (i.kind === "string" ? [i.value] : i.kind === "ref" ? this.items(i.name) : []));
    return [];
  }
}

function params(names: Names, t: A.TypeExpr & { kind: "named" }, kind: CheckParams["kind"]): CheckParams {
  const out: Record<string, unknown> = { kind };
  for (const p of t.params) {
    const v = names.literal(p.value);
    const key = p.name.text;
    if (v.kind === "string" || v.kind === "number" || v.kind === "boolean") out[key] = v.value;
    else if (key === "ports" && v.kind === "list") out[key] = v.items.flatMap((i) => (i.kind === "number" ? [i.value] : []));
    else out[key] = names.itemsOf(v);
  }
  return out as unknown as CheckParams;
}

/** Walk an IR type and the AST type it was lowered from side by side, recording constraint parameters. */
function pairTypes(names: Names, ir: IrType, ast: A.TypeExpr | undefined, out: Map<IrType, CheckParams>): void {
  if (!ast) return;
  if (ir.t === "object" && ast.kind === "object") {
    for (const f of ir.fields) pairTypes(names, f.type, ast.fields.find((x) => x.name.text === f.name)?.type, out);
  } else if (ir.t === "union" && ast.kind === "union") {
    ir.members.forEach((m, i) => pairTypes(names, m, ast.members[i], out));
  } else if (ir.t === "array" && ast.kind === "named") {
    const item = ast.positional[0];
    if (item && item.kind !== "string" && item.kind !== "number" && item.kind !== "boolean") pairTypes(names, ir.item, item, out);
  } else if (ir.t === "check" && ast.kind === "named") {
    out.set(ir, params(names, ast, ir.kind));
  }
}

/** Accumulates hints while walking the conditions. */
class Collector {
  readonly hints = new Map<string, Hints>();
  readonly claimPaths = new Map<string, string[]>();
  readonly argPaths = new Map<string, string[]>();
  readonly strings = new Set<string>();
  readonly numbers = new Set<number>();
  readsTime = false;

  constructor(private readonly names: Names) {}

  hint(key: string): Hints {
    let h = this.hints.get(key);
    if (!h) this.hints.set(key, (h = emptyHints()));
    return h;
  }

  private key(e: IrExpr): string | undefined {
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
    else if (e.k === "matches") {
      this.walk(e.l);
      const key = this.key(e.l);
      if (key) this.hint(key).globs.push(e.pattern);
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
      }
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
    else if (s.kind === "cidr") h.cidrs.push(...this.names.items(s.name).flatMap(expandCidrItem));
    else h.domains.push(...this.names.items(s.name));
  }
}

function conditionsOf(ir: IrPolicy): (IrExpr | undefined)[] {
  const out: (IrExpr | undefined)[] = [];
  for (const r of ir.topDenies) out.push(r.when, r.unless);
  for (const role of ir.roles.values()) {
    out.push(...role.members);
    for (const r of role.rules) out.push(r.when, r.unless);
  }
  for (const t of ir.tools.values()) out.push(t.approval?.when);
  return out;
}

const uniq = <T>(xs: Iterable<T>): T[] => [...new Set(xs)];

/**
 * A declaration as comparable text: spans, rule ids and closures left out, sets as sorted items,
 * constraint types as their parameters.
 */
function signature(x: unknown, checks: ReadonlyMap<IrType, CheckParams>): string {
  return JSON.stringify(x, (key, v: unknown) => {
    if (key === "span" || key === "id" || (key === "pattern" && typeof v === "object")) return undefined;
    if (v instanceof Set) return [...v].map(String).sort();
    if (v instanceof Map) return [...v.entries()];
    if (typeof v === "object" && v !== null && checks.has(v as IrType)) return { t: "check", ...checks.get(v as IrType) };
    return v;
  });
}

/** Tool names the policies may decide differently: differing tool blocks, and rules only some have. */
function focusOf(policies: readonly Policy[], checks: ReadonlyMap<IrType, CheckParams>): string[] {
  if (policies.length < 2) return [];
  const out = new Set<string>();
  const names = uniq(policies.flatMap((p) => [...p.ir.tools.keys()]));
  for (const name of names) {
    const sigs = new Set(policies.map((p) => signature(p.ir.tools.get(name) ?? null, checks)));
    if (sigs.size > 1) out.add(name);
  }
  const ruleSets = policies.map((p) => {
    const rules = [...p.ir.topDenies, ...[...p.ir.roles.values()].flatMap((r) => r.rules)];
    return new Map(rules.map((r) => [signature(r, checks), r] as const));
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

  for (const policy of policies) {
    const ir = policy.ir;
    const asts = astsOf(policy);
    const names = new Names(asts);
    for (const r of ir.roles.keys()) roles.add(r);
    for (const rule of [...ir.topDenies, ...[...ir.roles.values()].flatMap((r) => r.rules)]) {
      for (const p of rule.patterns) patterns[rule.target].add(p.text);
    }
    const toolDecls = new Map<string, A.ToolDecl>();
    for (const ast of asts) for (const d of ast.declarations) if (d.kind === "tool" && !toolDecls.has(d.name.text)) toolDecls.set(d.name.text, d);
    for (const t of ir.tools.values()) {
      const list = tools.get(t.name) ?? [];
      list.push(t.args);
      tools.set(t.name, list);
      if (t.args) pairTypes(names, t.args, toolDecls.get(t.name)?.args, checks);
    }
    for (const name of names.setNames()) {
      const kind = names.kindOf(name);
      if (kind === "cidr") names.items(name).flatMap(expandCidrItem).forEach((c) => cidrs.add(c));
      else if (kind === "domain") names.items(name).forEach((d) => domains.add(d));
    }
    for (const p of checks.values()) {
      [...(p.deny ?? []), ...(p.allow ?? [])].flatMap(expandCidrItem).forEach((c) => cidrs.add(c));
      (p.hosts ?? []).forEach((d) => domains.add(d));
    }
    const c = new Collector(names);
    conditionsOf(ir).forEach((e) => c.walk(e));
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
    focusTools: focusOf(policies, checks),
    strings: [...strings],
    numbers: [...numbers],
  };
}

/** The hints of an attribute key, or empty hints. */
export function hintsFor(facts: PolicyFacts, key: string): Hints {
  return facts.hints.get(key) ?? emptyHints();
}

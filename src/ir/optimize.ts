/**
 * Stage: optimizer. Indexes the IR's rules by owner (the top level or a role), by target kind
 * (which MCP method they govern) and by exact target name, keeping glob rules in a short list
 * beside the map; a kind with few patterns (most roles) is one short list, scanned. Every rule gets its global order (top-level denies first, then roles in name order,
 * rules in source order) so that merging the rules of several owners reproduces the reference
 * interpreter's order exactly. The index is data only (and one slot per entry the evaluator that built it
 * may fill: codegen/decide.ts keeps a rule's compiled form there); evaluators decide how to use it.
 * INVARIANT: for any owner, kind and name, `lookup` returns exactly the owner's rules of that kind whose
 * patterns match the name, in source order.
 */
import type { IrPolicy, IrRule, TargetKind } from "./ir.js";
import { patternMatches } from "./match.js";

export interface IndexedRule {
  readonly rule: IrRule;
  /** Position in the global evaluation order. */
  readonly order: number;
  /**
   * A slot for the evaluator that built the index (codegen/decide.ts keeps the rule's compiled form
   * here, made on first use): one index per evaluator, one entry per rule and owner, so it is per rule.
   */
  compiled?: unknown;
}

export interface KindIndex {
  readonly exact: ReadonlyMap<string, readonly IndexedRule[]>;
  /**
   * Rules matched by testing their patterns, in order: those with a glob pattern, or, for a kind of at
   * most `scanLimit` patterns, every rule of the kind (then `exact` is empty).
   */
  readonly globs: readonly IndexedRule[];
}

export type OwnerIndex = Readonly<Record<TargetKind, KindIndex>>;

export interface RuleIndex {
  readonly top: OwnerIndex;
  readonly roles: ReadonlyMap<string, OwnerIndex>;
  readonly size: number;
}

/** The index of a kind an owner has no rule of: one shared, frozen value (most roles govern tools only). */
const NO_RULES: KindIndex = Object.freeze({ exact: new Map<string, readonly IndexedRule[]>(), globs: Object.freeze([]) });

/**
 * A kind of at most this many patterns is scanned, not mapped by name. Its lookup is made once per set
 * of held roles and name (codegen/decide.ts caches the answer), and the map of a role's names was about
 * 2.5 KB of every role a request had named (issue 16).
 */
export const SCAN_PATTERNS = 64;

const NO_NAMES: ReadonlyMap<string, readonly IndexedRule[]> = new Map();

function indexOwner(rules: readonly IrRule[], next: () => number, scanLimit: number): OwnerIndex {
  const build = (kind: TargetKind): KindIndex => {
    if (!rules.some((r) => r.target === kind)) return NO_RULES;
    let patterns = 0;
    for (const r of rules) if (r.target === kind) patterns += r.patterns.length;
    const scan = patterns <= scanLimit;
    const exact = new Map<string, IndexedRule[]>();
    const globs: IndexedRule[] = [];
    for (const rule of rules) {
      if (rule.target !== kind) continue;
      const ir: IndexedRule = { rule, order: next(), compiled: undefined };
      if (scan || rule.patterns.some((p) => p.kind === "glob")) {
        globs.push(ir);
        continue;
      }
      for (const p of rule.patterns) {
        const list = exact.get(p.text);
        if (!list) exact.set(p.text, [ir]);
        else if (list[list.length - 1] !== ir) list.push(ir);
      }
    }
    return { exact: exact.size === 0 ? NO_NAMES : exact, globs };
  };
  return { tool: build("tool"), resource: build("resource"), prompt: build("prompt") };
}

/** `scanLimit`: see SCAN_PATTERNS (0: every exact name mapped). */
export function buildRuleIndex(ir: IrPolicy, scanLimit = SCAN_PATTERNS): RuleIndex {
  const lazy = lazyRuleIndex(ir, scanLimit);
  const roles = new Map<string, OwnerIndex>();
  for (const name of [...ir.roles.keys()].sort()) roles.set(name, lazy.role(name)!);
  return { top: lazy.top, roles, size: lazy.size };
}

/** The same index, a role's part built on its first `role(name)` (then kept): orders as buildRuleIndex gives them. */
export interface LazyRuleIndex {
  readonly top: OwnerIndex;
  role(name: string): OwnerIndex | undefined;
  readonly size: number;
}

/**
 * A policy of many roles compiles without indexing them all, and a role no request names is never
 * indexed (issue 16: the index was about a third of what a compiled policy kept per role). A role's
 * orders start at the number of rules before it in the global order, counted up front.
 */
export function lazyRuleIndex(ir: IrPolicy, scanLimit = SCAN_PATTERNS): LazyRuleIndex {
  let order = 0;
  const top = indexOwner(ir.topDenies, () => order++, scanLimit);
  // Each role's first order, beside its name in sorted order (found by binary search on the role's first
  // use): not a Map of every role (issue 16: ~29 B per role kept by every compiled policy).
  const names = [...ir.roles.keys()].sort();
  const starts = new Uint32Array(names.length);
  for (let i = 0; i < names.length; i++) {
    starts[i] = order;
    order += ir.roles.get(names[i]!)!.rules.length;
  }
  const startOf = (name: string): number | undefined => {
    let lo = 0;
    let hi = names.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const m = names[mid]!;
      if (m === name) return starts[mid];
      if (m < name) lo = mid + 1;
      else hi = mid - 1;
    }
    return undefined;
  };
  const built = new Map<string, OwnerIndex>();
  return {
    top,
    size: order,
    role(name) {
      let o = built.get(name);
      if (o === undefined) {
        const start = startOf(name);
        const role = ir.roles.get(name);
        if (start === undefined || role === undefined) return undefined;
        let next = start;
        built.set(name, (o = indexOwner(role.rules, () => next++, scanLimit)));
      }
      return o;
    },
  };
}

/** Append the owner's rules of one kind that match `name` to `out`, in order (a merge of the exact hits and the matching globs). */
export function lookup(index: OwnerIndex, kind: TargetKind, name: string, out: IndexedRule[]): void {
  const k = index[kind];
  const hits = k.exact.get(name) ?? [];
  let i = 0;
  for (const g of k.globs) {
    if (!g.rule.patterns.some((p) => patternMatches(p, name))) continue;
    while (i < hits.length && hits[i]!.order < g.order) out.push(hits[i++]!);
    out.push(g);
  }
  while (i < hits.length) out.push(hits[i++]!);
}

/**
 * Stage: optimizer. Indexes the IR's rules by owner (the top level or a role), by target kind
 * (which MCP method they govern) and by exact target name, keeping glob rules in a short list
 * beside the map. Every rule gets its global order (top-level denies first, then roles in name order,
 * rules in source order) so that merging the rules of several owners reproduces the reference
 * interpreter's order exactly. The index is data only; evaluators decide how to use it.
 * INVARIANT: for any owner, kind and name, `lookup` returns exactly the owner's rules of that kind whose
 * patterns match the name, in source order.
 */
import type { IrPolicy, IrRule, TargetKind } from "./ir.js";
import { patternMatches } from "./match.js";

export interface IndexedRule {
  readonly rule: IrRule;
  /** Position in the global evaluation order. */
  readonly order: number;
}

export interface KindIndex {
  readonly exact: ReadonlyMap<string, readonly IndexedRule[]>;
  /** Rules with at least one glob pattern, in order. */
  readonly globs: readonly IndexedRule[];
}

export type OwnerIndex = Readonly<Record<TargetKind, KindIndex>>;

export interface RuleIndex {
  readonly top: OwnerIndex;
  readonly roles: ReadonlyMap<string, OwnerIndex>;
  readonly size: number;
}

function indexOwner(rules: readonly IrRule[], next: () => number): OwnerIndex {
  const build = (kind: TargetKind): KindIndex => {
    const exact = new Map<string, IndexedRule[]>();
    const globs: IndexedRule[] = [];
    for (const rule of rules) {
      if (rule.target !== kind) continue;
      const ir: IndexedRule = { rule, order: next() };
      if (rule.patterns.some((p) => p.kind === "glob")) {
        globs.push(ir);
        continue;
      }
      for (const p of rule.patterns) {
        const list = exact.get(p.text);
        if (!list) exact.set(p.text, [ir]);
        else if (list[list.length - 1] !== ir) list.push(ir);
      }
    }
    return { exact, globs };
  };
  return { tool: build("tool"), resource: build("resource"), prompt: build("prompt") };
}

export function buildRuleIndex(ir: IrPolicy): RuleIndex {
  let order = 0;
  const next = () => order++;
  const top = indexOwner(ir.topDenies, next);
  const roles = new Map<string, OwnerIndex>();
  for (const name of [...ir.roles.keys()].sort()) roles.set(name, indexOwner(ir.roles.get(name)!.rules, next));
  return { top, roles, size: order };
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

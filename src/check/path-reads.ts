/**
 * Typed path reads: a post-pass over a rule's lowered conditions (called by rules.ts). When the rule
 * targets tools and EVERY tool it can target (exact names with `args` blocks; families added in
 * path-fields.ts) types the argument `args.F` as `path(...)`, each read of `args.F` becomes a
 * `pathRead` node: the condition sees the resolved absolute path (relative values against the type's
 * first root), so `.git/config` and `/srv/a/.git/config` are one case. A value that does not resolve
 * (outside the roots, excluded, several readings, not a string) is an evaluation error, which denies.
 * Guarantees: only `attr` reads are replaced (`has args.F` still tests presence); everything else in
 * the expression is kept as it is; the result is pure data.
 */
import type { IrExpr, IrPattern, IrToolPaths } from "../ir/ir.js";
import { pathFieldsOf, targetBlocks } from "./path-fields.js";
import type { Symbols } from "./scope.js";

/** `e` with its typed path reads resolved, for a rule of `target` with `patterns`. */
export function withPathReads(sym: Symbols, target: string, patterns: readonly IrPattern[], e: IrExpr): IrExpr {
  if (target !== "tool" || patterns.length === 0) return e;
  const blocks = targetBlocks(sym, patterns);
  if (!blocks) return e;
  const byPath = new Map<string, IrToolPaths[] | null>();
  const lookup = (path: readonly string[]): IrToolPaths[] | null => {
    const key = JSON.stringify(path);
    let hit = byPath.get(key);
    if (hit === undefined) {
      hit = [];
      for (const b of blocks) {
        const f = pathFieldsOf(sym, b.decl)?.find((x) => x.at.length === path.length && x.at.every((s, i) => s === path[i]));
        if (!f) {
          hit = null;
          break;
        }
        hit.push({ tool: b.pattern, fields: [f] });
      }
      byPath.set(key, hit);
    }
    return hit;
  };
  return rewrite(e, lookup);
}

function rewrite(e: IrExpr, lookup: (path: readonly string[]) => IrToolPaths[] | null): IrExpr {
  const r = (x: IrExpr) => rewrite(x, lookup);
  switch (e.k) {
    case "attr": {
      if (e.root !== "args" || e.path.length === 0) return e;
      const byTool = lookup(e.path);
      return byTool ? { k: "pathRead", l: e, byTool } : e;
    }
    case "not":
      return { ...e, e: r(e.e) };
    case "and":
    case "or":
      return { ...e, es: e.es.map(r) };
    case "eq":
    case "ne":
    case "lt":
    case "le":
    case "gt":
    case "ge":
    case "in":
    case "contains":
      return { ...e, l: r(e.l), r: r(e.r) };
    case "inSet":
    case "matches":
      return { ...e, l: r(e.l) };
    case "lit":
    case "list":
    case "has":
    case "pathRead":
    case "anyPathArg":
      return e;
    default:
      // A node kind added by another change: left as it is (its reads stay raw).
      return e;
  }
}

/**
 * Typed path reads: a post-pass over a rule's lowered conditions (called by rules.ts). When the rule
 * targets tools and EVERY tool it can target (exact names and the families matching them, or a glob a
 * family covers: path-fields.ts) types the argument `args.F` as `path(...)`, each read of `args.F` becomes a
 * `pathRead` node: the condition sees the resolved absolute path (relative values against the type's
 * first root), so `.git/config` and `/srv/a/.git/config` are one case. A value that does not resolve
 * (outside the roots, excluded, several readings, not a string) is an evaluation error, which denies.
 * A read compared with a string (`matches`, `==`, `!=`) or tested against a list of strings or a
 * `string` set (`in`, `not in`) becomes one node with that test, made on the resolved path with the
 * case rule of `any path arg` (ir/match.ts `pathTest`: an answer that holds only in another letter case
 * errs, as the tool's file system may or may not ignore case).
 * Guarantees: only reads of `args` are replaced (`has args.F` still tests presence); everything else in
 * the expression is kept as it is; the result is pure data.
 */
import type { IrExpr, IrPattern, IrToolPaths } from "../ir/ir.js";
import { pathFieldsOf, targetBlocks } from "./path-fields.js";
import type { Symbols } from "./scope.js";

/** `e` with its typed path reads resolved, for a rule of `target` with `patterns`. */
export function withPathReads(sym: Symbols, target: string, patterns: readonly IrPattern[], e: IrExpr, server?: string): IrExpr {
  if (target !== "tool" || patterns.length === 0) return e;
  const blocks = targetBlocks(sym, patterns, server);
  if (!blocks) return e;
  const byPath = new Map<string, IrToolPaths[] | null>();
  const lookup = (path: readonly string[]): IrToolPaths[] | null => {
    const key = JSON.stringify(path);
    let hit = byPath.get(key);
    if (hit === undefined) {
      hit = [];
      for (const b of blocks) {
        const same = (x: { at: readonly unknown[] }) => x.at.length === path.length && x.at.every((s, i) => s === path[i]);
        const f = b.decls.map((d) => pathFieldsOf(sym, d)?.find(same)).find((x) => x !== undefined);
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

/** The typed read `x` would become, or undefined when `x` is not a read of a path-typed argument. */
function typedRead(x: IrExpr, lookup: (path: readonly string[]) => IrToolPaths[] | null): { l: IrExpr & { k: "attr" }; byTool: IrToolPaths[] } | undefined {
  if (x.k !== "attr" || x.root !== "args" || x.path.length === 0) return undefined;
  const byTool = lookup(x.path);
  return byTool ? { l: x, byTool } : undefined;
}

const isStringLit = (x: IrExpr) => x.k === "lit" && typeof x.value === "string";

/**
 * A comparison of a typed read with a string, a list or a string set becomes one `pathRead` node with
 * that test (made on the resolved path, with the case rule); other reads become plain `pathRead`s.
 */
function rewrite(e: IrExpr, lookup: (path: readonly string[]) => IrToolPaths[] | null): IrExpr {
  const r = (x: IrExpr) => rewrite(x, lookup);
  if (e.k === "matches") {
    const t = typedRead(e.l, lookup);
    if (t) return { k: "pathRead", ...t, op: "matches", r: { k: "lit", value: e.pattern } };
  } else if (e.k === "eq" || e.k === "ne") {
    const [side, other] = typedRead(e.l, lookup) && isStringLit(e.r) ? [e.l, e.r] : typedRead(e.r, lookup) && isStringLit(e.l) ? [e.r, e.l] : [undefined, undefined];
    const t = side && typedRead(side, lookup);
    if (t && other) return { k: "pathRead", ...t, op: e.k, r: other };
  } else if (e.k === "in" && e.r.k === "list" && e.r.values.every((v) => typeof v === "string")) {
    const t = typedRead(e.l, lookup);
    if (t) return { k: "pathRead", ...t, op: e.negate ? "notIn" : "in", r: e.r };
  } else if (e.k === "inSet" && e.set.kind === "string") {
    const t = typedRead(e.l, lookup);
    if (t) return { k: "pathRead", ...t, op: e.negate ? "notIn" : "in", r: { k: "lit", value: e.set.name }, set: e.set };
  }
  switch (e.k) {
    case "attr": {
      const t = typedRead(e, lookup);
      return t ? { k: "pathRead", ...t } : e;
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

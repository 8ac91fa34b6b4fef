/**
 * Stage: sets. Lowers `set NAME: KIND = [...]` declarations into sets as data (validated CIDR and
 * domain items, string sets, tool globs checked like rule targets); the evaluators build their tables
 * from the items (ir/match.ts). Items may name other sets of the same kind, or a built-in
 * CIDR set (`loopback`, `private`, ...); reference cycles are reported once.
 */
import type * as A from "../ast/nodes.js";
import { invalidSetItem, typeMismatch, unknownName, unsupportedGlob, wrongSetKind } from "../diagnostics/catalog.js";
import { BUILTIN_CIDR_SETS, cidrItemsProblem, domainItemsProblem, globProblem } from "../builtins/registry.js";
import type { IrSet } from "../ir/ir.js";
import type { Symbols } from "./scope.js";

export const SET_KINDS = ["cidr", "domain", "tool", "string"] as const;
export type SetKind = (typeof SET_KINDS)[number];

/** Lower the set called `name` (memoized). Returns null when it is unknown or broken. */
export function resolveSet(sym: Symbols, name: string, useSpan?: A.Name["span"], visiting = new Set<string>()): IrSet | null {
  const done = sym.sets.get(name);
  if (done !== undefined) return done;
  const decl = sym.setDecls.get(name);
  if (!decl) {
    if (name in BUILTIN_CIDR_SETS) {
      const items = BUILTIN_CIDR_SETS[name] as string[];
      const ir: IrSet | null = cidrItemsProblem(items) ? null : { kind: "cidr", name, items, builtin: true };
      sym.sets.set(name, ir);
      return ir;
    }
    if (useSpan) sym.diagnostics.push(unknownName(useSpan, "set", name, [...sym.setDecls.keys(), ...Object.keys(BUILTIN_CIDR_SETS)]));
    return null;
  }
  const kind = decl.setKind.text as SetKind;
  if (!(SET_KINDS as readonly string[]).includes(kind)) {
    sym.diagnostics.push(typeMismatch(decl.setKind.span, `unknown set kind \`${decl.setKind.text}\``, "use `cidr`, `domain`, `tool` or `string`"));
    sym.sets.set(name, null);
    return null;
  }
  if (visiting.has(name)) {
    sym.diagnostics.push(invalidSetItem(decl.name.span, kind, name, "the set includes itself"));
    sym.sets.set(name, null);
    return null;
  }
  visiting.add(name);
  const items: string[] = [];
  for (const item of decl.items.items) {
    if (item.kind === "string") {
      // Tool set items are tool patterns: the same glob rules as a rule target (E0210).
      const problem = kind === "tool" ? globProblem(item.value, "tool") : undefined;
      if (problem) sym.diagnostics.push(unsupportedGlob(item.span, item.value, problem.what, problem.hint));
      else items.push(item.value);
    } else if (item.kind === "ref") {
      const other = resolveSet(sym, item.name, item.span, visiting);
      if (!other) continue;
      if (other.kind !== kind) {
        sym.diagnostics.push(wrongSetKind(item.span, item.name, other.kind, kind));
        continue;
      }
      items.push(...setItems(other));
    } else {
      sym.diagnostics.push(invalidSetItem(item.span, kind, item.kind === "list" ? "[...]" : String(item.value), "set items are strings or names of other sets"));
    }
  }
  visiting.delete(name);
  const ir = lowerItems(sym, decl, kind, items);
  sym.sets.set(name, ir);
  return ir;
}

/** The items of a lowered set, as written (for a set that names it). */
function setItems(set: IrSet): readonly string[] {
  switch (set.kind) {
    case "cidr":
    case "domain":
      return set.items;
    case "string":
      return [...set.set];
    case "tool":
      return set.patterns;
  }
}

function lowerItems(sym: Symbols, decl: A.SetDecl, kind: SetKind, items: string[]): IrSet | null {
  let ir: IrSet | null = null;
  switch (kind) {
    case "cidr": {
      const r = cidrItemsProblem(items);
      if (r) sym.diagnostics.push(invalidSetItem(itemSpan(decl, r.item), "cidr", r.item, r.error));
      else ir = { kind, name: decl.name.text, items };
      break;
    }
    case "domain": {
      const r = domainItemsProblem(items);
      if (r) sym.diagnostics.push(invalidSetItem(itemSpan(decl, r.item), "domain", r.item, r.error));
      else ir = { kind, name: decl.name.text, items };
      break;
    }
    case "string":
      ir = { kind, name: decl.name.text, set: new Set(items) };
      break;
    case "tool":
      ir = { kind, name: decl.name.text, patterns: items };
      break;
  }
  return ir;
}

function itemSpan(decl: A.SetDecl, item: string) {
  const found = decl.items.items.find((i) => i.kind === "string" && i.value === item);
  return found ? found.span : decl.items.span;
}

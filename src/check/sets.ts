/**
 * Stage: sets. Lowers `set NAME: KIND = [...]` declarations into precompiled sets (CIDR tables,
 * domain tables, string sets, tool globs checked like rule targets). Items may name other sets of the same kind, or a built-in
 * CIDR set (`loopback`, `private`, ...); reference cycles are reported once.
 */
import type * as A from "../ast/nodes.js";
import { invalidSetItem, typeMismatch, unknownName, unsupportedGlob, wrongSetKind } from "../diagnostics/catalog.js";
import { BUILTIN_CIDR_SETS, CidrSet } from "../builtins/cidr/cidr.js";
import { DomainSet } from "../builtins/domain/domain.js";
import { compileNameGlob } from "../builtins/glob/glob.js";
import { globProblem } from "../builtins/glob/glob-syntax.js";
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
      const built = CidrSet.from(BUILTIN_CIDR_SETS[name] as string[]);
      const ir: IrSet | null = "set" in built ? { kind: "cidr", name, set: built.set } : null;
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
      items.push(...setItems(sym, other));
    } else {
      sym.diagnostics.push(invalidSetItem(item.span, kind, item.kind === "list" ? "[...]" : String(item.value), "set items are strings or names of other sets"));
    }
  }
  visiting.delete(name);
  const ir = lowerItems(sym, decl, kind, items);
  sym.sets.set(name, ir);
  return ir;
}

const rawItems = new WeakMap<IrSet, string[]>();
function setItems(sym: Symbols, set: IrSet): string[] {
  const known = rawItems.get(set);
  if (known) return known;
  if (set.kind === "cidr" && set.name in BUILTIN_CIDR_SETS && !sym.setDecls.has(set.name)) return BUILTIN_CIDR_SETS[set.name] as string[];
  return [];
}

function lowerItems(sym: Symbols, decl: A.SetDecl, kind: SetKind, items: string[]): IrSet | null {
  let ir: IrSet | null = null;
  switch (kind) {
    case "cidr": {
      const r = CidrSet.from(items);
      if ("error" in r) sym.diagnostics.push(invalidSetItem(itemSpan(decl, r.item), "cidr", r.item, r.error));
      else ir = { kind, name: decl.name.text, set: r.set };
      break;
    }
    case "domain": {
      const r = DomainSet.from(items);
      if ("error" in r) sym.diagnostics.push(invalidSetItem(itemSpan(decl, r.item), "domain", r.item, r.error));
      else ir = { kind, name: decl.name.text, set: r.set };
      break;
    }
    case "string":
      ir = { kind, name: decl.name.text, set: new Set(items) };
      break;
    case "tool": {
      const tests = items.map((p) => compileNameGlob(p));
      ir = { kind, name: decl.name.text, patterns: items, test: (s: string) => tests.some((t) => t(s)) };
      break;
    }
  }
  if (ir) rawItems.set(ir, items);
  return ir;
}

function itemSpan(decl: A.SetDecl, item: string) {
  const found = decl.items.items.find((i) => i.kind === "string" && i.value === item);
  return found ? found.span : decl.items.span;
}

/**
 * The optimizer's rule index: a lookup returns exactly the rules whose patterns match, in the
 * reference order — checked against a plain scan on generated policies and names.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compilePolicy } from "../src/index.js";
import { buildRuleIndex, lazyRuleIndex, lookup, SCAN_PATTERNS, type IndexedRule } from "../src/ir/optimize.js";
import type { IrRule } from "../src/ir/ir.js";
import { compileGlob } from "../src/builtins/registry.js";
import { policyText, TOOLS } from "./helpers/generators.js";

function scan(rules: readonly IrRule[], name: string): string[] {
  return rules.filter((r) => r.target === "tool" && r.patterns.some((p) => (p.kind === "exact" ? p.text === name : compileGlob(p.text, p.syntax)(name)))).map((r) => r.id);
}

// Every property runs with names mapped (scan limit 0) and with small kinds scanned (the default).
const LIMITS = [0, SCAN_PATTERNS] as const;

describe("optimizer: rule index", () => {
  it("lookup == scan, per owner, in source order", () => {
    fc.assert(
      fc.property(policyText, fc.constantFrom(...TOOLS, "unknown", "write_log", ""), fc.constantFrom(...LIMITS), (text, name, limit) => {
        const ir = compilePolicy(text, { readFile: null }).ir;
        const index = buildRuleIndex(ir, limit);
        const top: IndexedRule[] = [];
        lookup(index.top, "tool", name, top);
        expect(top.map((r) => r.rule.id)).toEqual(scan(ir.topDenies, name));
        for (const [role, owner] of index.roles) {
          const got: IndexedRule[] = [];
          lookup(owner, "tool", name, got);
          expect(got.map((r) => r.rule.id)).toEqual(scan(ir.roles.get(role)!.rules, name));
          const orders = got.map((r) => r.order);
          expect([...orders].sort((a, b) => a - b)).toEqual(orders);
        }
      }),
      { numRuns: 300 },
    );
  });

  it.each(LIMITS)("orders are unique and cover every rule once (scan limit %i)", (limit) => {
    const ir = compilePolicy('policy "p"\ndeny tool x\nrole b { allow tool "a*", y\n allow resource "r://*" }\nrole a { allow tool y, y\n deny prompt z }', { readFile: null }).ir;
    const index = buildRuleIndex(ir, limit);
    expect(index.size).toBe(5);
    const seen: number[] = [];
    for (const o of [index.top, ...index.roles.values()]) {
      for (const k of ["tool", "resource", "prompt"] as const) {
        for (const l of o[k].exact.values()) for (const r of l) seen.push(r.order);
        for (const r of o[k].globs) seen.push(r.order);
      }
    }
    expect([...new Set(seen)].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4]);
    const a: IndexedRule[] = [];
    lookup(index.roles.get("a")!, "tool", "y", a);
    expect(a.map((r) => r.rule.id)).toEqual(["a/1"]);
    // A small kind is one scanned list; with limit 0 exact names are mapped.
    expect(index.roles.get("a")!.tool.exact.size).toBe(limit === 0 ? 1 : 0);
  });

  it("the lazy index gives every role the orders of the eager one, whatever order roles are first asked for", () => {
    fc.assert(
      fc.property(policyText, fc.integer({ min: 0, max: 1000 }), fc.constantFrom(...LIMITS), (text, shift, limit) => {
        const ir = compilePolicy(text, { readFile: null }).ir;
        const eager = buildRuleIndex(ir, limit);
        const lazy = lazyRuleIndex(ir, limit);
        const names = [...ir.roles.keys()];
        const turned = names.map((_, i) => names[(i + shift) % names.length]!).reverse();
        const orders = (o: ReturnType<typeof lazy.role>) => ["tool", "resource", "prompt"].flatMap((k) => [...o![k as "tool"].exact.values()].flat().concat(o![k as "tool"].globs).map((r) => [r.rule.id, r.order]));
        for (const n of turned) expect(orders(lazy.role(n))).toEqual(orders(eager.roles.get(n)));
        expect(lazy.size).toBe(eager.size);
        expect(lazy.role("no such role")).toBeUndefined();
      }),
      { numRuns: 200 },
    );
  });
});

/**
 * Hash-consed rules (check/intern.ts, issue 16): equal conditions and equal pattern lists of different
 * rules are one object, every shared node is frozen (no stage can change what another rule holds), and
 * a rule is an object of exactly its fields, in the order the IR documents.
 */
import { isDeepStrictEqual } from "node:util";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compilePolicy } from "../src/index.js";
import type { IrExpr, IrPolicy, IrRule } from "../src/ir/ir.js";
import { policyText } from "./helpers/generators.js";

const rulesOf = (ir: IrPolicy): IrRule[] => [...ir.topDenies, ...[...ir.roles.values()].flatMap((r) => r.rules)];

/** Every node of a condition, children first. */
function nodes(e: IrExpr, out: object[] = []): object[] {
  for (const v of Object.values(e)) {
    if (Array.isArray(v)) for (const x of v) if (x && typeof x === "object" && "k" in x) nodes(x as IrExpr, out);
    if (v && typeof v === "object" && !Array.isArray(v) && "k" in v) nodes(v as IrExpr, out);
  }
  out.push(e);
  return out;
}

describe("hash-consed rule conditions", () => {
  it("the same condition written in two roles is one frozen node, and so is each of its parts", () => {
    const text = [
      'policy "p"',
      "set corp: cidr = [\"10.0.0.0/8\"]",
      'role a {\n  allow tool x when client.ip in corp and "write" in principal.scopes\n  deny tool y unless client.tls\n}',
      'role b {\n  allow tool z when client.ip in corp and "write" in principal.scopes\n  deny tool y unless client.tls\n}',
    ].join("\n");
    const ir = compilePolicy(text, { readFile: null }).ir;
    const [a1, a2] = ir.roles.get("a")!.rules;
    const [b1, b2] = ir.roles.get("b")!.rules;
    expect(a1!.when).toBe(b1!.when);
    expect(a2!.unless).toBe(b2!.unless);
    expect(a2!.patterns).toBe(b2!.patterns);
    expect(a1!.patterns).not.toBe(b1!.patterns);
    for (const n of nodes(a1!.when!)) expect(Object.isFrozen(n)).toBe(true);
    expect(() => {
      (a1!.when as { k: string }).k = "or";
    }).toThrow(TypeError);
    // Rules themselves stay one per declaration, with their own ids and spans.
    expect(a1).not.toBe(b1);
    expect(Object.keys(a1!)).toEqual(["id", "effect", "target", "patterns", "when", "role", "span"]);
  });

  it("on generated policies: deep-equal conditions are the same object, and every condition node is frozen", () => {
    fc.assert(
      fc.property(policyText, (text) => {
        const rules = rulesOf(compilePolicy(text, { readFile: null }).ir);
        const conds = rules.flatMap((r) => [r.when, r.unless]).filter((c): c is IrExpr => c !== undefined);
        for (const c of conds) for (const n of nodes(c)) expect(Object.isFrozen(n)).toBe(true);
        for (let i = 0; i < conds.length; i++)
          for (let j = i + 1; j < conds.length; j++) if (isDeepStrictEqual(conds[i], conds[j])) expect(conds[i]).toBe(conds[j]);
        for (const r of rules) expect(Object.isFrozen(r.patterns)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});

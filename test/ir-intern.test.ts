/**
 * Hash-consed rules (check/intern.ts, issue 16): equal conditions and equal pattern lists of different
 * rules are one object, every shared node is frozen (no stage can change what another rule holds), and
 * a rule is an object of exactly its fields, in the order the IR documents. Tool blocks that declare the
 * same `args` type (or approval condition) share one frozen value; roles and budgets are records of exactly
 * their fields too.
 */
import { isDeepStrictEqual } from "node:util";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compilePolicy } from "../src/index.js";
import type { IrExpr, IrPolicy, IrRule, IrTool } from "../src/ir/ir.js";
import { policyText } from "./helpers/generators.js";

/** Every plain object and array inside `v`, `v` first. */
function plainParts(v: unknown, out: object[] = []): object[] {
  if (typeof v !== "object" || v === null) return out;
  if (!Array.isArray(v) && Object.getPrototypeOf(v) !== Object.prototype) return out;
  out.push(v);
  for (const x of Object.values(v)) plainParts(x, out);
  return out;
}

const toolsOf = (ir: IrPolicy): IrTool[] => [...ir.tools.values(), ...ir.families, ...[...ir.servers.values()].flatMap((s) => [...s.tools.values(), ...s.families])];

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

describe("hash-consed tool blocks' args types and approval conditions", () => {
  const block = (name: string, mode: string) =>
    `tool ${name} {\n  approval required when not ("admin" in principal.scopes)\n  args {\n    path: path(root: "/workspace")\n    limit?: integer(min: 1, max: 1000)\n    mode?: enum(${mode})\n  }\n}`;
  const text = ['policy "p"', "default deny", block("a", '"fast", "full"'), block("b", '"fast", "full"'), block("c", '"fast", "slow"'), "role r {\n  allow tool a, b, c\n  limit rate 5 per minute\n}"].join("\n");

  it("two blocks declaring the same args share one deep-frozen type; a different one stays apart", () => {
    const policy = compilePolicy(text, { readFile: null });
    const [a, b, c] = ["a", "b", "c"].map((n) => policy.ir.tools.get(n)!);
    expect(a!.args).toBe(b!.args);
    expect(a!.args).not.toBe(c!.args);
    expect(a!.approval!.when).toBe(c!.approval!.when);
    for (const part of plainParts(a!.args)) expect(Object.isFrozen(part)).toBe(true);
    expect(() => {
      (a!.args as { open: boolean }).open = true;
    }).toThrow(TypeError);
    // Still each block's own record, with its own name and id; deciding reads each one's type as before.
    expect(a).not.toBe(b);
    expect([a!.id, b!.id]).toEqual(["tool:a", "tool:b"]);
    const call = (tool: string, mode: string) =>
      policy.decide({ principal: { id: "u", roles: ["r"], scopes: ["admin"] }, method: "tools/call", tool, arguments: { path: "/workspace/x", mode } }).effect;
    expect([call("b", "full"), call("c", "full"), call("c", "slow")]).toEqual(["allow", "deny", "allow"]);
  });

  it("roles and budgets are records of exactly their fields, in the documented order", () => {
    const ir = compilePolicy(text, { readFile: null }).ir;
    const r = ir.roles.get("r")!;
    expect(Object.keys(r)).toEqual(["name", "members", "includes", "closure", "rules", "budgets", "span"]);
    expect(Object.keys(r.budgets[0]!)).toEqual(["id", "kind", "scope", "window", "keys", "failOpen", "amount"]);
    expect(r.budgets[0]).toEqual({ id: "r/limit/1", kind: "rate", scope: { level: "role", role: "r" }, window: "minute", keys: [{ k: "named", name: "principal" }], failOpen: false, amount: 5 });
  });

  it("on generated policies: deep-equal args types of different blocks are the same object, every part frozen", () => {
    fc.assert(
      fc.property(policyText, (text) => {
        const types = toolsOf(compilePolicy(text, { readFile: null }).ir).flatMap((t) => (t.args ? [t.args] : []));
        for (const t of types) for (const part of plainParts(t)) expect(Object.isFrozen(part)).toBe(true);
        for (let i = 0; i < types.length; i++) for (let j = i + 1; j < types.length; j++) if (isDeepStrictEqual(types[i], types[j])) expect(types[i]).toBe(types[j]);
      }),
      { numRuns: 200 },
    );
  });
});

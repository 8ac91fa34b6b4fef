/**
 * `PATH ?? VALUE` and `contains` on strings beyond the conformance cases: the compiled function equals
 * the interpreter on generated policies that use `??` (requests with the attribute absent and present);
 * the testing kit's arbitraries produce both cases for a `??` read, so its equivalence properties
 * exercise the default; the analysis reasons about absence soundly (an absent attribute takes the
 * default); and the run-time messages name the operator the author wrote.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canRoleCall, compilePolicy, type PolicyRequest } from "mcppolicy";
import { arbitraries, assertEquivalent } from "mcppolicy/testing";
import { mayHold } from "../src/analysis/solver.js";
import { EvalError } from "../src/contract/errors.js";
import { opContains, opInList } from "../src/eval/operators.js";
import type { IrExpr } from "../src/ir/ir.js";
import { readsArgs } from "../src/ir/queries.js";
import { policyText, request } from "./helpers/generators.js";

const usesDefault = policyText.filter((t) => t.includes("??"));

describe("compiled == interpreter on policies using `??`", () => {
  it("agrees on generated policies and requests", () => {
    fc.assert(
      fc.property(usesDefault, fc.array(request, { minLength: 5, maxLength: 25 }), (text, reqs) => {
        const policy = compilePolicy(text, { readFile: null });
        for (const r of reqs) {
          const compiled = policy.decide(r as PolicyRequest);
          expect(compiled).toEqual(policy.interpret(r as PolicyRequest));
          expect(compiled.reasons.every((x) => x.code !== "internal_error")).toBe(true);
        }
      }),
      { numRuns: 200 },
    );
  });
});

const MERGE = compilePolicy(
  `policy "t"
deny tool merge when args.merge_method ?? "merge" == "squash"
role dev {
  allow tool merge when principal.claims.team ?? "" == "platform"
}
tool merge { args { merge_method?: enum("merge", "squash") } }
`,
  { readFile: null },
);

describe("the testing kit generates the attribute absent and present", () => {
  const samples = fc.sample(arbitraries(MERGE).request, { numRuns: 3000, seed: 11 }).filter((r) => r.tool === "merge" && r.method === "tools/call");
  const args = (r: PolicyRequest) => (r.arguments ?? {}) as Record<string, unknown>;
  const claims = (r: PolicyRequest) => (r.principal?.claims ?? {}) as Record<string, unknown>;

  it("an optional argument read through `??`: absent and present", () => {
    expect(samples.some((r) => !("merge_method" in args(r)))).toBe(true);
    expect(samples.some((r) => args(r).merge_method === "squash")).toBe(true);
  });
  it("a claim read through `??`: absent and present, with the compared value", () => {
    expect(samples.some((r) => !("team" in claims(r)))).toBe(true);
    expect(samples.some((r) => claims(r).team === "platform")).toBe(true);
  });
  it("both evaluators agree on every sample, and the default decides some of them", () => {
    let allowedByDefault = 0;
    for (const r of samples) {
      const d = MERGE.decide(r);
      expect(d).toEqual(MERGE.interpret(r));
      if (d.effect === "allow" && !("merge_method" in args(r))) allowedByDefault++;
    }
    expect(allowedByDefault).toBeGreaterThan(0);
  });
  it("equivalence: `a ?? d` is `has a and a ... or not has a and d ...`", () => {
    const spelt = compilePolicy(
      `policy "t"
deny tool merge when (has args.merge_method and args.merge_method == "squash") or (not has args.merge_method and "merge" == "squash")
role dev {
  allow tool merge when (has principal.claims.team and principal.claims.team == "platform") or (not has principal.claims.team and "" == "platform")
}
tool merge { args { merge_method?: enum("merge", "squash") } }
`,
      { readFile: null },
    );
    assertEquivalent(MERGE, spelt, { numRuns: 500 });
  });
});

describe("the analysis understands `??`", () => {
  const attr = (name: string): IrExpr & { k: "attr" } => ({ k: "attr", root: "args", path: [name], text: `args.${name}` });
  const has = (name: string): IrExpr => ({ k: "has", root: "args", path: [name], text: `args.${name}` });
  const dflt = (name: string, d: string): IrExpr => ({ k: "default", e: attr(name), d: { k: "lit", value: d } });
  const eq = (l: IrExpr, v: string): IrExpr => ({ k: "eq", l, r: { k: "lit", value: v } });

  it("absent takes the default: satisfiable when the default matches", () => {
    expect(mayHold({ k: "and", es: [{ k: "not", e: has("m") }, eq(dflt("m", "a"), "a")] })).toBe(true);
  });
  it("absent takes the default: refuted when the default does not match", () => {
    expect(mayHold({ k: "and", es: [{ k: "not", e: has("m") }, eq(dflt("m", "a"), "b")] })).toBe(false);
  });
  it("present is read: refuted when the value contradicts another test", () => {
    expect(mayHold({ k: "and", es: [has("m"), eq(attr("m"), "x"), eq(dflt("m", "y"), "y")] })).toBe(false);
    expect(mayHold({ k: "and", es: [eq(dflt("m", "y"), "y"), eq(dflt("m", "y"), "z")] })).toBe(false);
    expect(mayHold(eq(dflt("m", "y"), "z"))).toBe(true);
  });
  it("readsArgs sees through `??`", () => {
    expect(readsArgs(dflt("m", "a"))).toBe(true);
    expect(readsArgs({ k: "default", e: { k: "attr", root: "principal.claims", path: ["t"], text: "principal.claims.t" }, d: { k: "lit", value: "" } })).toBe(false);
  });
  it("a role question on a `??` condition finds witnesses that decide as claimed", () => {
    const v = canRoleCall(MERGE, "dev", "merge");
    expect(v.answer).toBe("depends");
  });
  it("`contains` on a string is satisfiable (it is not a list test)", () => {
    const s: IrExpr = { k: "contains", l: attr("q"), r: { k: "lit", value: "DROP" } };
    expect(mayHold(s, { args: { t: "object", open: false, fields: [{ name: "q", optional: false, type: { t: "string" } }] } })).toBe(true);
  });
});

describe("run-time messages name the operator written", () => {
  const message = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      expect(e).toBeInstanceOf(EvalError);
      return (e as Error).message;
    }
    throw new Error("expected an EvalError");
  };
  it("contains: a substring test on strings, membership on lists", () => {
    expect(opContains("SELECT; DROP", "DROP")).toBe(true);
    expect(opContains("drop", "DROP")).toBe(false);
    expect(opContains(["a", "b"], "b")).toBe(true);
    expect(opContains(["ab"], "a")).toBe(false);
    expect(opContains("", "")).toBe(true);
  });
  it("contains errs naming `contains`", () => {
    expect(message(() => opContains(7, "x"))).toMatch(/^`contains` needs a string or a list on the left, but found number 7/);
    expect(message(() => opContains({}, "x"))).toMatch(/^`contains`/);
    expect(message(() => opContains("abc", 1))).toMatch(/^`contains` on a string needs a string on the right/);
    expect(message(() => opContains(["a"], { x: 1 }))).toMatch(/^`contains`/);
    expect(message(() => opContains(["a"], NaN))).toMatch(/^`contains`/);
  });
  it("in errs naming `in`", () => {
    expect(message(() => opInList("a", "abc"))).toMatch(/^`in` needs a list/);
  });
});

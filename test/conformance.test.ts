/**
 * Conformance: every case of test/conformance/*.yaml runs against both evaluators — the compiled
 * decision function and the reference interpreter — and each must give the expected decision.
 */
import { describe, expect, it } from "vitest";
import { compilePolicy, type Decision, type PolicyRequest } from "mcppolicy";
import { loadConformance, type ExpectedDecision } from "./helpers/conformance.js";

function assertDecision(d: Decision, e: ExpectedDecision) {
  expect(d.effect).toBe(e.effect);
  if (e.reasons) {
    expect(d.reasons.map((r) => (r.rule === undefined ? { code: r.code } : { code: r.code, rule: r.rule }))).toEqual(
      e.reasons.map((r) => (r.rule === undefined ? { code: r.code } : { code: r.code, rule: r.rule })),
    );
  }
  if (e.visibility !== undefined) expect(d.visibility).toBe(e.visibility);
  if (e.roles) expect(d.roles).toEqual(e.roles);
  if (e.budgets) expect(d.budgets).toEqual(e.budgets);
  if (e.risk !== undefined) expect(d.risk ?? "none").toBe(e.risk);
  if (e.approvers !== undefined) expect(d.approvers ?? "none").toEqual(e.approvers);
  if (e.messageIncludes !== undefined) expect(d.reasons.map((r) => r.message).join("\n")).toContain(e.messageIncludes);
}

const groups = loadConformance();

describe("conformance corpus", () => {
  it("has a substantial number of cases", () => {
    expect(groups.reduce((n, g) => n + g.cases.length, 0)).toBeGreaterThanOrEqual(150);
  });
  for (const [gi, g] of groups.entries()) {
    describe(`${g.file} #${gi}`, () => {
      const policy = g.policyPath
        ? compilePolicy(g.policy, { filename: g.policyPath })
        : compilePolicy(g.policy, { filename: g.file.replace(/\.yaml$/, ".mcppolicy"), readFile: null });
      for (const c of g.cases) {
        it(`${c.name} (compiled)`, () => assertDecision(policy.decide(c.request as PolicyRequest), c.expect));
        it(`${c.name} (interpreter)`, () => assertDecision(policy.interpret(c.request as PolicyRequest), c.expect));
      }
    });
  }
});

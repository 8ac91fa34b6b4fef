/**
 * Tool families and server blocks (issue 11) beyond the conformance cases: the compiled function's
 * caches (bounded, keyed by the set of blocks, never by the attacker's tool name alone) agree with the
 * interpreter across more names than they hold; the analysis, the testing kit and the policy-test
 * coverage see every block; `server` stays usable as the root of `server.name`.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { analyzePolicy, canRoleCall, checkPolicy, compilePolicy, runPolicyTests, type PolicyRequest } from "mcppolicy";
import { arbitraries, toolsListMatchesCalls } from "mcppolicy/testing";

const SOURCE = `policy "families"
role dev {
  allow tool "github__*", "fs_*"
  allow tool other when server.name != "blocked"
}
role ops { allow tool "gitlab__*" }
tool "github__*" {
  args { owner: string, ... }
  risk medium
  limit calls 10 per hour
}
tool "github__p*" { approval required when args.force == true }
tool github__push { args { branch: string, ... } risk high }
tool "fs_*" { approval required }
server "gh" {
  deny tool "github__delete*"
  tool "github__*" { risk critical }
}
`;
const policy = compilePolicy(SOURCE, { readFile: null });

describe("the compiled tool lookup", () => {
  it("agrees with the interpreter on more distinct tool names than its caches hold, and again after they were cleared", () => {
    const names: string[] = [];
    for (let i = 0; i < 6000; i++) names.push(i % 3 === 0 ? `github__t${i}` : i % 3 === 1 ? `github__p${i}` : `x${i}`);
    const req = (tool: string, server?: string): PolicyRequest => ({
      principal: { roles: ["dev"] },
      tool,
      arguments: { owner: "o", force: true },
      ...(server !== undefined && { server: { name: server } }),
    });
    for (const server of [undefined, "gh", "other"]) {
      for (const n of names) expect(policy.decide(req(n, server))).toEqual(policy.interpret(req(n, server)));
      // The first names again: their cache entries were evicted (bounded), the answers are the same.
      for (const n of names.slice(0, 50)) expect(policy.decide(req(n, server))).toEqual(policy.interpret(req(n, server)));
    }
  });

  it("shares one merged tool between names with the same blocks, but never their reasons' names", () => {
    const a = policy.decide({ principal: { roles: ["dev"] }, tool: "github__pa", arguments: { owner: "o", force: true }, server: { name: "x" } });
    const b = policy.decide({ principal: { roles: ["dev"] }, tool: "github__pb", arguments: { owner: "o", force: true }, server: { name: "x" } });
    expect(a.reasons[1]).toEqual(b.reasons[1]);
    expect(a.reasons[1]).toMatchObject({ code: "approval_required", rule: "tool:github__p*/approval" });
  });
});

describe("syntax", () => {
  it("`server` is a declaration keyword and still the root of `server.name`", () => {
    const r = checkPolicy(`policy "p"\nrole dev { allow tool "*" when server.name == "a" }\nserver "a" { deny tool x when server.name == "a" }`, { readFile: null });
    expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  });

  it("an allow inside a server block is refused (E0301), a duplicate server block or tool block in one is E0103", () => {
    const codes = (src: string) => checkPolicy(src, { readFile: null }).diagnostics.map((d) => d.code);
    expect(codes(`policy "p"\nrole dev { allow tool "*" }\nserver "a" { allow tool x }`)).toContain("E0301");
    expect(codes(`policy "p"\nrole dev { allow tool "*" }\nserver "a" { }\nserver "a" { }`)).toContain("E0103");
    expect(codes(`policy "p"\nrole dev { allow tool "*" }\nserver "a" { tool "x*" { risk low } tool "x*" { risk high } }`)).toContain("E0103");
    expect(codes(`policy "p"\nrole dev { allow tool "*" }\ntool "x*" { risk low }\ntool "x*" { risk high }`)).toContain("E0103");
  });

  it("two overlapping families are not duplicates; a bare name only a family describes draws no W0006", () => {
    const r = checkPolicy(`policy "p"\nrole dev { allow tool github__list }\ntool "github__*" { risk low }\ntool "*__list" { risk high }`, { readFile: null });
    expect(r.diagnostics).toEqual([]);
  });
});

describe("the analysis sees families and server blocks", () => {
  it("canRoleCall: a family's approval and args apply to a tool no exact block declares", () => {
    const v = canRoleCall(policy, "dev", "fs_write");
    expect(v.answer).toBe("with-approval");
    expect(policy.decide(v.witness.approval!).effect).toBe("require_approval");
    const p = compilePolicy(`policy "p"\nrole dev { allow tool "github__*" }\ntool "github__*" { args { owner: string, ... } }`, { readFile: null });
    const g = canRoleCall(p, "dev", "github__list");
    expect(g.answer).toBe("always");
    expect(g.argsChecked).toBe(true);
    expect(p.decide(g.witness.denied!).reasons[0]).toMatchObject({ code: "invalid_argument", rule: "tool:github__*/args" });
  });

  it("a family no role can call is an unreachable tool", () => {
    const p = compilePolicy(`policy "p"\nrole dev { allow tool read }\ntool read { risk low }\ntool "github__*" { risk high }`, { readFile: null });
    const found = analyzePolicy(p).findings.map((f) => `${f.kind} ${f.tool ?? ""}`);
    expect(found).toContain("unreachable-tool github__*");
  });

  it("a rule whose condition needs arguments a family's args block refuses can never fire", () => {
    const p = compilePolicy(`policy "p"\nrole dev { allow tool gh__x when args.n > 5 }\ntool "gh__*" { args { n: integer(max: 3) } }`, { readFile: null });
    expect(analyzePolicy(p).findings.map((f) => f.kind)).toContain("never-fires");
  });
});

describe("the testing kit generates names in and out of families", () => {
  it("tool names matching each family, and names matching none", () => {
    const names = new Set(fc.sample(arbitraries(policy).toolName, { numRuns: 3000, seed: 7 }));
    const inFamily = (g: string) => [...names].some((n) => new RegExp(`^${g.replace("*", ".*")}$`).test(n));
    expect(inFamily("github__.*")).toBe(true);
    expect(inFamily("github__p.*")).toBe(true);
    expect(inFamily("fs_.*")).toBe(true);
    expect([...names].some((n) => !/^(github__|fs_|gitlab__)/.test(n))).toBe(true);
  });

  it("toolsListMatchesCalls holds on a policy with families and server blocks", () => {
    toolsListMatchesCalls(policy, { numRuns: 300, seed: 3 });
  });
});

describe("policy-test coverage counts every block", () => {
  it("family and server-block args and approvals are coverage items, exercised by the cases that hit them", () => {
    const files: Record<string, string> = {
      "/v/f.mcppolicy": SOURCE,
      "/v/f.test.yaml": `policy: f.mcppolicy
cases:
  - name: family args
    request: { principal: { roles: [dev] }, tool: github__list, arguments: {}, server: { name: x } }
    expect: { effect: deny, reason: invalid_argument, rule: "tool:github__*/args" }
  - name: family approval
    request: { principal: { roles: [dev] }, tool: fs_write, server: { name: x } }
    expect: require_approval
`,
    };
    const report = runPolicyTests(["/v/f.test.yaml"], { readFile: (p: string) => files[p] ?? (() => { throw new Error(`no file ${p}`); })() });
    expect(report.errors).toEqual([]);
    const items = report.coverage[0]!.items;
    const byId = new Map(items.map((i) => [i.id, i] as const));
    expect(byId.get("tool:github__*/args")?.exercisedBy.length).toBe(1);
    expect(byId.get("tool:fs_*/approval")?.exercisedBy.length).toBe(1);
    expect(byId.get("tool:github__p*/approval")?.exercisedBy.length).toBe(0);
    expect(byId.get("tool:github__push/args")?.line).toBe(13);
  });
});

/**
 * `approval required ... by caller | by others | by role R, ...` and `mode shadow` (issue 12): the
 * approvers a `require_approval` decision carries (both evaluators), the strictest of several blocks,
 * role resolution for approvers (`policy.rolesOf`, derived roles count) and the checker's diagnostics.
 */
import { describe, expect, it } from "vitest";
import { checkPolicy, compilePolicy, type PolicyRequest } from "../src/index.js";
import { strictestApprovers } from "../src/eval/core/decide.js";
import { formatDecision } from "../src/contract/format.js";

const SRC = `policy "approvals"
role dev { allow tool deploy, rm, x, "repo_*" }
role security { member when principal.claims.team == "sec" }
role admin includes security { }
role auditor { }
tool deploy { approval required by role security, admin }
tool rm { approval required by caller }
tool x { approval required }
tool "repo_*" { approval required by caller }
tool repo_delete { approval required when args.force == true by role security }
tool "repo_d*" { approval required by others }
`;

const call = (tool: string, args: Record<string, unknown> = {}): PolicyRequest => ({ principal: { id: "alice", roles: ["dev"] }, method: "tools/call", tool, arguments: args });

describe("approvers on require_approval", () => {
  const p = compilePolicy(SRC);
  const both = (r: PolicyRequest) => {
    const d = p.decide(r);
    expect(p.interpret(r)).toEqual(d);
    return d;
  };

  it("by role, by caller, and no `by` (others)", () => {
    expect(both(call("deploy")).approvers).toEqual({ kind: "roles", roles: ["security", "admin"] });
    expect(both(call("rm")).approvers).toEqual({ kind: "caller" });
    expect(both(call("x")).approvers).toEqual({ kind: "others" });
  });

  it("several blocks: the strictest of those that hold wins (roles > others > caller)", () => {
    // repo_list: only the family `repo_*` (caller).
    expect(both(call("repo_list")).approvers).toEqual({ kind: "caller" });
    // repo_delete without force: `repo_*` (caller) and `repo_d*` (others) hold: others.
    expect(both(call("repo_delete", { force: false })).approvers).toEqual({ kind: "others" });
    // with force: the exact block's `by role security` holds too: roles.
    const d = both(call("repo_delete", { force: true }));
    expect(d.effect).toBe("require_approval");
    expect(d.approvers).toEqual({ kind: "roles", roles: ["security"] });
  });

  it("the text rendering (CLI eval --format text) names the approvers", () => {
    expect(formatDecision(both(call("deploy")))).toContain("approvers: role security, admin");
    expect(formatDecision(both(call("rm")))).toContain("approvers: caller");
    expect(formatDecision(both({ principal: { id: "bob", roles: ["auditor"] }, method: "tools/call", tool: "deploy", arguments: {} })).join("\n")).not.toContain("approvers");
  });

  it("only require_approval carries approvers", () => {
    const d = both({ principal: { id: "bob", roles: ["auditor"] }, method: "tools/call", tool: "deploy", arguments: {} });
    expect(d.effect).toBe("deny");
    expect(d.approvers).toBeUndefined();
  });

  it("strictestApprovers: roles intersect, is commutative, and roles beat others beat caller", () => {
    const caller = { kind: "caller" } as const;
    const others = { kind: "others" } as const;
    const r1 = { kind: "roles", roles: ["a", "b"] } as const;
    const r2 = { kind: "roles", roles: ["b", "c"] } as const;
    const r3 = { kind: "roles", roles: ["c"] } as const;
    expect(strictestApprovers(caller, others)).toEqual(others);
    expect(strictestApprovers(others, caller)).toEqual(others);
    expect(strictestApprovers(others, r1)).toEqual(r1);
    expect(strictestApprovers(r1, caller)).toEqual(r1);
    expect(strictestApprovers(r1, r2)).toEqual({ kind: "roles", roles: ["b"] });
    expect(strictestApprovers(r2, r1)).toEqual({ kind: "roles", roles: ["b"] });
    expect(strictestApprovers(r1, r3)).toEqual({ kind: "roles", roles: [] });
  });

  it("policy.rolesOf resolves derived roles and includes, ignores undeclared names, never throws", () => {
    expect(p.rolesOf({ id: "sam", claims: { team: "sec" } })).toEqual(["security"]);
    expect(p.rolesOf({ id: "ann", roles: ["admin", "nope"] })).toEqual(["admin", "security"]);
    expect(p.rolesOf({ id: "eve" })).toEqual([]);
    expect(p.rolesOf(null as never)).toEqual([]);
    expect(p.rolesOf({ id: "x", roles: "admin" } as never)).toEqual([]);
  });
});

describe("mode", () => {
  it("mode shadow sets policy.shadow and does not change decide", () => {
    const base = 'policy "m"\nrole dev { allow tool a }\n';
    const enforce = compilePolicy(base);
    const shadow = compilePolicy(base + "mode shadow\n");
    const explicit = compilePolicy(base + "mode enforce\n");
    expect([enforce.shadow, shadow.shadow, explicit.shadow]).toEqual([false, true, false]);
    for (const tool of ["a", "b"]) {
      const r = { principal: { id: "u", roles: ["dev"] }, tool, arguments: {} };
      expect(shadow.decide(r)).toEqual(enforce.decide(r));
    }
  });

  it("`mode` is still a name: a tool or role may be called mode", () => {
    const p = compilePolicy('policy "m"\nrole mode { allow tool mode }\ntool mode { risk low }\nmode shadow\n');
    expect(p.shadow).toBe(true);
    expect(p.decide({ principal: { id: "u", roles: ["mode"] }, tool: "mode", arguments: {} }).effect).toBe("allow");
  });

  it("an imported file cannot set the mode", () => {
    const r = checkPolicy('policy "root"\nimport "./lib.mcppolicy"\nrole dev { allow tool a }\n', { filename: "/v/root.mcppolicy", readFile: () => 'policy "lib"\nmode shadow\n' });
    expect(r.diagnostics.map((d) => [d.code, d.message])).toEqual([["E0113", "an imported file cannot set the mode"]]);
  });
});

describe("diagnostics", () => {
  const codes = (src: string) => checkPolicy(src).diagnostics.map((d) => `${d.code} ${d.message} | ${d.hint ?? ""}`);
  it("unknown role, unknown approver, `by` twice, mode twice and unknown", () => {
    expect(codes('policy "p"\nrole dev { allow tool t }\nrole security { }\ntool t { approval required by role securty }\n')).toEqual(["E0101 unknown role `securty` | did you mean `security`?"]);
    expect(codes('policy "p"\nrole dev { allow tool t }\ntool t { approval required by callr }\n')).toEqual(["E0136 unknown approver `callr` after `by` | did you mean `caller`?"]);
    expect(codes('policy "p"\nrole dev { allow tool t }\ntool t { approval required by caller by others }\n')).toEqual(["E0113 `by` is given twice in tool `t` | keep one"]);
    expect(codes('policy "p"\nrole dev { allow tool t }\nmode shadow\nmode enforce\n')).toEqual(["E0113 `mode` is given twice | keep one: `mode shadow` or `mode enforce`"]);
    expect(codes('policy "p"\nrole dev { allow tool t }\nmode shadw\n')).toEqual(["E0137 unknown policy mode `shadw` | did you mean `shadow`?"]);
  });

  it("a role only named as approvers does not warn W0005 (role grants nothing)", () => {
    const p = compilePolicy('policy "p"\nrole dev { allow tool t }\nrole security { }\ntool t { approval required by role security }\n');
    expect(p.warnings.map((w) => w.code)).toEqual([]);
  });
});

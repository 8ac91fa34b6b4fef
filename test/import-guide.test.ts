/**
 * `mcppolicy import` (issue 15): the guide's YAML tool policy becomes a policy that decides as the guide's
 * isToolAllowed on every role and tool (a fast-check property over random YAML policies, through the
 * compiled decision), the guide's own section 11.1 cases, the test file it writes passing `mcppolicy test`,
 * and strict input (file:line errors, nothing written, no overwrite without --force).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { compilePolicy, type PolicyRequest } from "mcppolicy";
import { guideAllows, importGuidePolicy, type GuidePolicy } from "../src/authoring/import-guide.js";

const ROOT = path.resolve(import.meta.dirname, "..");
const CLI = path.join(ROOT, "dist/cli/main.js");
const EXAMPLE = path.join(ROOT, "examples/guide-import/tool-policy.yaml");
const cli = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: "utf8", timeout: 30_000 });
const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(path.join(tmpdir(), "mcppolicy-import-"));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const call = (role: string, tool: string): PolicyRequest => ({ principal: { id: "p", roles: [role] }, method: "tools/call", tool, session: { id: "s" } }) as PolicyRequest;

describe("mcppolicy import: the guide's example", () => {
  const r = importGuidePolicy(readFileSync(EXAMPLE, "utf8"), { policyName: "tool-policy", source: "tool-policy.yaml", policyFile: "tool-policy.mcppolicy" });
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  const policy = compilePolicy(r.policy);
  const effect = (role: string, tool: string) => policy.decide(call(role, tool)).effect;

  it("decides the guide's section 11.1 cases as its isToolAllowed does", () => {
    expect(effect("developer", "execute_command")).toBe("deny");
    expect(effect("developer", "read_file")).toBe("allow");
    // allowed; the guide's dangerous_tools asks for approval on execute_command, so it waits for one
    expect(effect("admin", "execute_command")).toBe("require_approval");
    expect(effect("admin", "delete_file")).toBe("allow");
    expect(effect("unknown-role", "read_file")).toBe("deny");
    expect(effect("readonly-agent", "write_file")).toBe("deny");
  });

  it("keeps the guide's quirks and says so: a name with an operation suffix is a literal name", () => {
    expect(effect("readonly-agent", "query_database")).toBe("deny");
    expect(guideAllows(r.guide, "readonly-agent", "query_database")).toBe(false);
    expect(r.warnings.map((w) => w.line)).toEqual([22, 35]);
  });

  it("the CLI writes the policy and a test file that `mcppolicy test` passes; no overwrite without --force", () => {
    const d = tmp();
    const out = path.join(d, "tool-policy.mcppolicy");
    const w = cli("import", EXAMPLE, "--out", out);
    expect(w.status, w.stderr).toBe(0);
    expect(existsSync(path.join(d, "tool-policy.test.yaml"))).toBe(true);
    const t = cli("test", d);
    expect(t.status, t.stdout + t.stderr).toBe(0);
    expect(t.stdout).toMatch(/tests: 40 passed, 0 failed/);
    const again = cli("import", EXAMPLE, "--out", out);
    expect(again.status).toBe(2);
    expect(again.stderr).toMatch(/already exists; pass --force/);
    expect(cli("import", EXAMPLE, "--out", out, "--force").status).toBe(0);
  });
});

describe("mcppolicy import: the README's command as written", () => {
  it("--out into a directory that does not exist yet creates it (README: --out imported/tool-policy.mcppolicy)", () => {
    const d = tmp();
    const out = path.join(d, "imported", "tool-policy.mcppolicy");
    const w = cli("import", EXAMPLE, "--out", out);
    expect(w.status, w.stderr).toBe(0);
    const t = cli("test", path.join(d, "imported"));
    expect(t.status, t.stdout + t.stderr).toBe(0);
    expect(t.stdout).toMatch(/tests: 40 passed, 0 failed/);
    // A parent that is a file: a usage error naming it, nothing written.
    writeFileSync(path.join(d, "a-file"), "");
    const bad = cli("import", EXAMPLE, "--out", path.join(d, "a-file", "x.mcppolicy"));
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain(`'${path.join(d, "a-file")}' is not a directory`);
  });
});

describe("mcppolicy import: strict input", () => {
  const bad = (yaml: string) => {
    const r = importGuidePolicy(yaml, { policyName: "x", source: "x.yaml", policyFile: "x.mcppolicy" });
    expect(r.ok).toBe(false);
    return r.ok ? [] : r.errors.map((e) => `${e.line}: ${e.message}`);
  };
  it("names the line of an unknown key, a wrong type, a glob name, a bad risk", () => {
    expect(bad("policies:\n  - role: a\n    alowed_tools: [x]\n")).toEqual([expect.stringMatching(/^3: a policy: unknown key `alowed_tools`/)]);
    expect(bad("policies:\n  - role: a\n    allowed_tools: x\n")).toEqual([expect.stringMatching(/^3: `allowed_tools` must be a list/)]);
    expect(bad("policies:\n  - role: a\n    allowed_tools: [\"read_*\"]\n")).toEqual([expect.stringMatching(/^3: .*glob characters/)]);
    expect(bad("policies: []\ndangerous_tools:\n  - name: x\n    risk: extreme\n")).toEqual([expect.stringMatching(/^4: `risk` must be one of/)]);
    expect(bad("policies: [\n")[0]).toMatch(/not valid YAML/);
    expect(bad("dangerous_tools: []\n")[0]).toMatch(/needs `policies`/);
    expect(bad("policies:\n  - role: \"a\\u0000b\"\n")[0]).toMatch(/^2: `role`/);
  });
  it("the CLI prints FILE:LINE:COL errors, exits 1 and writes nothing", () => {
    const d = tmp();
    const input = path.join(d, "bad.yaml");
    writeFileSync(input, "policies:\n  - role: a\n    denied: [x]\n");
    const out = path.join(d, "bad.mcppolicy");
    const r = cli("import", input, "--out", out);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${input}:3:5: error: a policy: unknown key \`denied\``);
    expect(existsSync(out)).toBe(false);
    expect(cli("import").status).toBe(2);
    expect(cli("import", path.join(d, "missing.yaml")).status).toBe(2);
  });
});

describe("mcppolicy import: equivalent to isToolAllowed on random tool policies", () => {
  const TOOLS = ["read", "write", "exec", "list-dir", "q:SELECT", "policy", "*"];
  const ROLES = ["dev", "admin", "ro", "x-y"];
  const names = fc.uniqueArray(fc.constantFrom(...TOOLS), { maxLength: 4 });
  const guide = fc.record({
    policies: fc.array(fc.record({ role: fc.constantFrom(...ROLES), allowed_tools: names, denied_tools: names }), { maxLength: 4 }),
    dangerous_tools: fc.uniqueArray(
      fc.record({ name: fc.constantFrom(...TOOLS.filter((t) => t !== "*")), requires_approval: fc.boolean(), risk: fc.constantFrom("low", "high") }),
      { selector: (t) => t.name, maxLength: 3 },
    ),
  });
  it("allowed (or sent to approval) exactly when the guide allows", () => {
    fc.assert(
      fc.property(guide, (g) => {
        const r = importGuidePolicy(stringify(g), { policyName: "p", source: "p.yaml", policyFile: "p.mcppolicy" });
        expect(r.ok).toBe(true);
        if (!r.ok) return;
        const policy = compilePolicy(r.policy);
        const approval = new Set(g.dangerous_tools.filter((t) => t.requires_approval).map((t) => t.name));
        for (const role of [...ROLES, "other"])
          for (const tool of [...TOOLS.filter((t) => t !== "*"), "unnamed"]) {
            const want = guideAllows(r.guide as GuidePolicy, role, tool) ? (approval.has(tool) ? "require_approval" : "allow") : "deny";
            expect(policy.decide(call(role, tool)).effect, `${role} ${tool}\n${r.policy}`).toBe(want);
          }
      }),
      { numRuns: 150 },
    );
  });
});

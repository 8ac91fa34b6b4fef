/**
 * The bundled policies: every file under policies/ compiles with no diagnostic at all (no error, no
 * warning), and the seed policy keeps the seed guide's tool policy (section 5) and test expectations
 * (section 11), checked here through the public API on the file itself.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { checkPolicy, compilePolicy, type PolicyRequest } from "mcppolicy";

const ROOT = join(import.meta.dirname, "..");
const POLICIES = join(ROOT, "policies");

function policyFiles(dir: string): string[] {
  return readdirSync(dir)
    .flatMap((n) => (statSync(join(dir, n)).isDirectory() ? policyFiles(join(dir, n)) : n.endsWith(".mcppolicy") ? [join(dir, n)] : []))
    .sort();
}

describe("bundled policies", () => {
  const files = policyFiles(POLICIES);
  it("there are several, including the seed policy", () => {
    expect(files.length).toBeGreaterThanOrEqual(4);
    expect(files.map((f) => relative(ROOT, f))).toContain("policies/seed.mcppolicy");
  });
  for (const f of files) {
    it(`${relative(ROOT, f)} compiles with no diagnostics`, () => {
      const r = checkPolicy(readFileSync(f, "utf8"), { filename: f });
      expect(r.render()).toBe("");
      expect(r.diagnostics).toEqual([]);
    });
  }
});

describe("policies/seed.mcppolicy keeps the seed guide", () => {
  const path = join(POLICIES, "seed.mcppolicy");
  const seed = compilePolicy(readFileSync(path, "utf8"), { filename: path });
  const call = (role: string, tool: string, args?: Record<string, unknown>, extra: Partial<PolicyRequest> = {}) =>
    seed.decide({ principal: { id: "agent-7", roles: [role] }, tool, ...(args && { arguments: args }), ...extra });

  it("11.1: developer may read_file but not execute_command", () => {
    expect(call("developer", "execute_command").effect).toBe("deny");
    expect(call("developer", "read_file", { path: "src/index.ts" }).effect).toBe("allow");
  });
  it("11.1: admin reaches everything (dangerous tools after approval)", () => {
    expect(call("admin", "execute_command").effect).toBe("require_approval");
    expect(call("admin", "delete_file").effect).toBe("allow");
  });
  it("11.1: unknown roles are denied; readonly-agent may not write_file", () => {
    expect(call("unknown-role", "read_file", { path: "src/index.ts" }).effect).toBe("deny");
    expect(call("readonly-agent", "write_file").effect).toBe("deny");
  });
  it("11.2: malicious read_file inputs are denied, the valid one allowed", () => {
    for (const args of [{ path: "../../../etc/passwd" }, { path: "/etc/shadow" }, { path: "file\u0000.txt" }, { path: "a".repeat(1000) }, { path: "valid.txt", extraField: "injected" }]) {
      const d = call("developer", "read_file", args);
      expect(d.effect, JSON.stringify(args)).toBe("deny");
      expect(d.reasons[0]?.code).toBe("invalid_argument");
    }
    expect(call("developer", "read_file", { path: "src/index.ts" }).effect).toBe("allow");
  });
  it("11.2: SQL that writes or stacks statements is denied; a plain SELECT is allowed", () => {
    for (const query of ["SELECT 1; DROP TABLE users;", "DELETE FROM users WHERE 1=1"]) {
      expect(call("readonly-agent", "query_database", { query, database: "analytics" }).effect, query).toBe("deny");
    }
    expect(call("readonly-agent", "query_database", { query: "SELECT id, name FROM customers WHERE id = $1", database: "analytics", parameters: [42] }).effect).toBe("allow");
  });
  it("5.1: dangerous tools carry their risk, approval and per-session limit", () => {
    const d = call("admin", "execute_command");
    expect(d.risk).toBe("critical");
    expect(d.budgets).toContain("tool:execute_command/limit/1");
    expect(seed.budgets.find((b) => b.id === "tool:execute_command/limit/1")).toMatchObject({ kind: "calls", amount: 5, keys: [{ k: "named", name: "session" }] });
    expect(call("admin", "write_file").effect).toBe("require_approval");
    expect(call("admin", "query_database", { query: "SELECT 1", database: "analytics" }).risk).toBe("medium");
  });
  it("8: the rate limit (60/min, burst 10, per client) and the session token budget are declared", () => {
    expect(seed.budgets).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: "rate", amount: 60, window: "minute", burst: 10, keys: [{ k: "named", name: "client" }] }),
        expect.objectContaining({ kind: "tokens", input: 500000, output: 100000, keys: [{ k: "named", name: "session" }] }),
      ]),
    );
  });
  it("9: audit redaction keys", () => {
    expect([...seed.redactKeys].sort()).toEqual(["api_key", "authorization", "password", "secret", "token"]);
    expect(seed.redact({ user: "a", DB_PASSWORD: "x", nested: { Authorization: "Bearer y", ok: 1 } })).toEqual({
      user: "a",
      DB_PASSWORD: "[REDACTED]",
      nested: { Authorization: "[REDACTED]", ok: 1 },
    });
  });
});

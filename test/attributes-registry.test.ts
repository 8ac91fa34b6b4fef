/**
 * The attribute registry (src/contract/attributes.ts) is the only list of request attributes: this test
 * walks its rows and proves every consumer covers every row, so a row that some consumer ignores fails
 * here. For each row: the checker accepts its path (with its static type) and lowers it to that root;
 * both evaluators read it (a condition on it allows with the value and not without); the analysis has
 * a domain for it and answers a role question on it with verified witnesses; the testing kit generates
 * it for a policy that reads it; the spec (grammar/README.md) documents it.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ATTRIBUTE_ROWS, type AttributeRow } from "../src/contract/attributes.js";
import type { PolicyRequest } from "../src/contract/index.js";
import { analyzePolicy, checkPolicy, compilePolicy, canRoleCall, canRoleReach, whatMay } from "../src/index.js";
import { arbitraries } from "../src/testing/index.js";
import { parsePolicyTests } from "../src/policytest/index.js";
import type { IrExpr } from "../src/ir/ir.js";

const CLOCK_TIME = "2026-01-05T10:20:00Z"; // a Monday: hour 10, minute 20, weekday 1

/** How a test puts a value of the row in a request, and the condition that holds exactly for it. */
interface Probe {
  /** The path a condition reads (open rows: one key below). */
  readonly expr: string;
  /** A condition true for `present` and not true for `other`. */
  readonly cond: string;
  /** The request fragment that holds the attribute. */
  readonly present: PolicyRequest;
  /** A fragment where the condition is not true (absent, or another value). */
  readonly other: PolicyRequest;
  /** The rule's target and the request's method. */
  readonly target: "tool" | "resource";
}

function put(row: AttributeRow, raw: unknown): PolicyRequest {
  const [field, key] = row.at;
  return (key === undefined ? { [field]: raw } : { [field]: { [key]: raw } }) as PolicyRequest;
}

function probe(row: AttributeRow): Probe {
  const target = row.at[0] === "resource" ? "resource" : "tool";
  const base = { expr: row.path, target } as const;
  switch (row.gen.kind) {
    case "free":
      return { ...base, expr: `${row.path}.k`, cond: `${row.path}.k == "v1"`, present: put(row, { k: "v1" }), other: put(row, { k: "v2" }) };
    case "strings":
      return { ...base, cond: `"v1" in ${row.path}`, present: put(row, ["v1"]), other: put(row, ["v2"]) };
    case "boolean": {
      // The value the default is not, so that an absent attribute does not hold.
      const v = row.default !== true;
      return { ...base, cond: v ? row.path : `not ${row.path}`, present: put(row, v), other: {} };
    }
    case "clock": {
      const value = row.read({ time: CLOCK_TIME }, [], row.path) as number;
      return { ...base, cond: `${row.path} == ${value}`, present: { time: CLOCK_TIME }, other: { time: "2026-01-10T23:59:00Z" } };
    }
    case "ip":
      return { ...base, cond: `${row.path} == "10.1.2.3"`, present: put(row, "10.1.2.3"), other: put(row, "10.1.2.4") };
    case "target":
      return { ...base, cond: `${row.path} == "${target === "tool" ? "t_v1" : "file:///v1"}"`, present: {}, other: {} };
    case "name":
      return { ...base, cond: `${row.path} == "v1"`, present: put(row, "v1"), other: {} };
  }
}

const policyFor = (row: AttributeRow, p: Probe) =>
  `policy "p"\nrole r {\n  allow ${p.target} ${p.target === "tool" ? "t_v1" : '"file:///**"'} when ${p.cond}\n}\n`;

function request(p: Probe, fragment: PolicyRequest): PolicyRequest {
  const req: PolicyRequest = { principal: { roles: ["r"] }, time: CLOCK_TIME, ...fragment };
  if (fragment.principal) req.principal = { ...fragment.principal, roles: ["r"] };
  if (p.target === "tool") return { ...req, method: "tools/call", tool: "t_v1" };
  return { ...req, method: "resources/read", resource: "file:///v1" };
}

function roots(e: IrExpr | undefined, out: Set<string> = new Set()): Set<string> {
  if (!e) return out;
  if (e.k === "attr" || e.k === "has") out.add(e.root);
  else if (e.k === "not") roots(e.e, out);
  else if (e.k === "and" || e.k === "or") e.es.forEach((x) => roots(x, out));
  else if (e.k === "inSet" || e.k === "matches" || e.k === "regex") roots(e.l, out);
  else if ("r" in e) {
    roots(e.l, out);
    roots(e.r, out);
  }
  return out;
}

const GRAMMAR = readFileSync(join(import.meta.dirname, "..", "grammar", "README.md"), "utf8");

describe("the attribute registry: every consumer covers every row", () => {
  it("has one row per path, each with a reader, a presence test and a domain", () => {
    const paths = ATTRIBUTE_ROWS.map((r) => r.path);
    expect(new Set(paths).size).toBe(paths.length);
    for (const row of ATTRIBUTE_ROWS) {
      expect(Object.isFrozen(row)).toBe(true);
      expect(typeof row.read).toBe("function");
      expect(typeof row.has).toBe("function");
      expect(["finite", "range", "open"]).toContain(row.domain.kind);
      if (row.domain.kind === "range") expect(row.domain.lo).toBeLessThanOrEqual(row.domain.hi);
      if (row.domain.kind === "finite") expect(row.type).toBe("boolean");
      // `has` never throws, even on a request whose part throws when read (then it is absent, or always present).
      const hostile = { get [row.at[0]]() { throw new Error("getter"); } } as unknown as PolicyRequest;
      expect(row.has(hostile, ["k"])).toBe(row.alwaysPresent === true);
    }
  });

  for (const row of ATTRIBUTE_ROWS.filter((r) => r.afterTool)) {
    describe(`${row.path} (after the tool)`, () => {
      it("a rule cannot read it (E0451); a result block reads it in both result inspectors", () => {
        expect(checkPolicy(`policy "p"\nrole r {\n  allow tool t_v1 when ${row.path}.k == "v1"\n}\n`, { readFile: null }).diagnostics.map((d) => d.code)).toEqual(["E0451"]);
        const policy = compilePolicy(`policy "p"\nrole r {\n  allow tool t_v1\n}\nresult of tool t_v1 {\n  label seen when ${row.path}.k == "v1"\n}\n`, { readFile: null });
        const req = (v: string): PolicyRequest => ({ principal: { roles: ["r"] }, method: "tools/call", tool: "t_v1", ...put(row, { k: v }) });
        for (const inspect of [policy.inspectResult.bind(policy), policy.interpretResult.bind(policy)]) {
          expect(inspect(req("v1")).labels).toEqual(["seen"]);
          expect(inspect(req("v2")).labels).toEqual([]);
        }
      });
      it("the spec documents it", () => {
        expect(GRAMMAR).toContain(`\`${row.path}`);
      });
    });
  }

  for (const row of ATTRIBUTE_ROWS.filter((r) => !r.afterTool)) {
    describe(row.path, () => {
      const p = probe(row);
      const text = policyFor(row, p);

      it("the checker accepts it and lowers it to its root", () => {
        const diags = checkPolicy(text, { readFile: null }).diagnostics.filter((d) => d.severity === "error");
        expect(diags).toEqual([]);
        const policy = compilePolicy(text, { readFile: null });
        const rule = policy.ir.roles.get("r")!.rules[0]!;
        expect([...roots(rule.when)]).toEqual([row.path]);
      });

      it("both evaluators read it: the condition holds with the value, not without", () => {
        const policy = compilePolicy(text, { readFile: null });
        const yes = request(p, p.present);
        const no = request(p, p.other);
        for (const decide of [policy.decide.bind(policy), policy.interpret.bind(policy)]) {
          expect(decide(yes).effect).toBe("allow");
          if (row.gen.kind !== "target") expect(decide(no).effect).toBe("deny");
        }
        expect(policy.decide(no)).toEqual(policy.interpret(no));
      });

      it("the analysis answers a question on it, with witnesses decide confirms", () => {
        const policy = compilePolicy(text, { readFile: null });
        const v = p.target === "tool" ? canRoleCall(policy, "r", "t_v1") : canRoleReach(policy, "r", "resource", "file:///v1");
        if (row.gen.kind === "target") expect(v.answer).toBe("always");
        else {
          expect(v.answer).toBe("depends");
          expect(v.dependsOn).toContain(p.expr);
        }
        expect(policy.decide(v.witness.allowed!).effect).toBe("allow");
        if (v.witness.denied) expect(policy.decide(v.witness.denied).effect).toBe("deny");
      });

      it("the testing kit generates it for a policy that reads it", () => {
        const policy = compilePolicy(text, { readFile: null });
        const reqs = fc.sample(arbitraries(policy).requests({ method: p.target === "tool" ? "tools/call" : "resources/read" }), { numRuns: 300, seed: 7 });
        const path = row.open ? ["k"] : [];
        expect(reqs.some((r) => row.has(r, path))).toBe(true);
        // And the condition holds on some generated request, fails on another (its values are drawn from the policy).
        if (row.gen.kind !== "target") {
          const effects = new Set(reqs.map((r) => policy.decide(r).effect));
          expect(effects.has("allow")).toBe(true);
        }
      });

      it("policy test files accept a request that holds it, and refuse a misspelled key beside it", () => {
        const req = JSON.stringify(request(p, p.present));
        const ok = parsePolicyTests(`cases:\n  - name: c\n    request: ${req}\n    expect: allow\n`, "t.test.yaml");
        expect(ok.errors).toEqual([]);
        const [field, key] = row.at;
        if (key !== undefined) {
          const typo = parsePolicyTests(`cases:\n  - name: c\n    request: { ${field}: { ${key}x: 1 } }\n    expect: allow\n`, "t.test.yaml");
          expect(typo.errors.length).toBe(1);
        }
      });

      if (row.name) {
        it("a name: requests carrying a lookalike are invalid, and the checker flags comparisons with one (E0213)", () => {
          const policy = compilePolicy(text, { readFile: null });
          for (const bad of ["v1\u200b", " v1", "", "v\u00001"]) {
            const req = request(p, p.present);
            const [field, key] = row.at;
            if (key === undefined) (req as Record<string, unknown>)[field] = bad;
            else (req as Record<string, unknown>)[field] = { [key]: bad };
            for (const decide of [policy.decide.bind(policy), policy.interpret.bind(policy)]) expect(decide(req).reasons.map((r) => r.code)).toEqual(["invalid_request"]);
          }
          const diags = checkPolicy(`policy "p"\nrole r {\n  allow ${p.target} "*" when ${row.path} == "v1\\u200b"\n}\n`, { readFile: null }).diagnostics;
          expect(diags.map((d) => d.code)).toContain("E0213");
        });
      }

      it("the spec documents it", () => {
        expect(GRAMMAR).toContain("`" + row.path);
      });
    });
  }
});

describe("server.name in the analysis", () => {
  const policy = compilePolicy(
    'policy "p"\nrole r {\n  allow tool issue_create when server.name == "github"\n}\ndeny tool "*" when has server.name and server.name == "untrusted" because "untrusted"\n',
    { readFile: null },
  );
  const verdict = (context?: Parameters<typeof whatMay>[2]) => whatMay(policy, { id: "bot", roles: ["r"] }, context).tools.find((t) => t.name === "issue_create")!;

  it("an unknown upstream makes the answer depend on server.name, with two verified witnesses", () => {
    const v = verdict();
    expect(v.answer).toBe("depends");
    expect(v.dependsOn).toEqual(["server.name"]);
    expect(v.witness.allowed?.server).toEqual({ name: "github" });
    expect(policy.decide(v.witness.denied!).effect).toBe("deny");
  });

  it("a context that fixes the upstream decides it exactly", () => {
    expect(verdict({ server: { name: "github" } }).answer).toBe("always");
    expect(verdict({ server: { name: "untrusted" } }).answer).toBe("never");
    expect(verdict({ server: {} }).answer).toBe("never"); // the name is missing: the allow errs
  });

  it("a malformed upstream in the context is refused, as decide refuses it", () => {
    for (const server of ["github", null, [], { name: 7 }]) {
      expect(() => verdict({ server } as never)).toThrow(/`server` must be an object/);
    }
  });

  it("the CLI's principal file passes the server to the analysis", () => {
    const dir = mkdtempSync(join(tmpdir(), "mcppolicy-server-"));
    writeFileSync(join(dir, "p.mcppolicy"), 'policy "p"\nrole r {\n  allow tool issue_create when server.name == "github"\n}\n');
    const cli = join(import.meta.dirname, "..", "dist", "cli", "main.js");
    const answer = (server: unknown) => {
      writeFileSync(join(dir, "who.json"), JSON.stringify({ principal: { id: "bot", roles: ["r"] }, server }));
      const r = spawnSync(process.execPath, [cli, "analyze", join(dir, "p.mcppolicy"), "--principal", join(dir, "who.json"), "--format", "json"], { encoding: "utf8", timeout: 30_000 });
      return (JSON.parse(r.stdout) as { principal: { tools: { name: string; answer: string }[] } }).principal.tools.find((t) => t.name === "issue_create")?.answer;
    };
    expect(answer({ name: "github" })).toBe("always");
    expect(answer({ name: "gitlab" })).toBe("never");
  });

  it("findings: a rule contradicting itself on server.name never fires", () => {
    const p = compilePolicy('policy "p"\nrole r {\n  allow tool t when server.name == "a" and server.name == "b"\n}\n', { readFile: null });
    expect(analyzePolicy(p).findings.map((f) => f.kind)).toContain("never-fires");
  });
});

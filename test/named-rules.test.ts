/**
 * Named rules (issue 11; grammar/README.md, "Named rules"): the name in the AST with its span; the id
 * it gives the rule in the IR, in decisions of both evaluators, in `explain`, in analysis findings and
 * in policy test files (whose positional id of a named rule is an error that tells the name); and
 * the property that makes names worth having: naming, renaming or unnaming a rule never changes
 * another rule's id, and moving or editing a named rule never changes its own. A rename keeps budget
 * counters (they are keyed by the budget, not by any rule). Semantics on both evaluators are in
 * test/conformance/named-rules.yaml; the diagnostics in test/diagnostics/cases/E013*.
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { analyzePolicy, checkPolicy, compilePolicy, createEngine, MemoryStore, runPolicyTests, type Policy } from "mcppolicy";
import { parsePolicy } from "../src/syntax/parse.js";
import { RULE_NAME, rulesWithPositions } from "../src/ir/rule-ids.js";

const codes = (text: string) => checkPolicy(text, { filename: "t.mcppolicy", readFile: null }).diagnostics.map((d) => d.code);

describe("syntax", () => {
  it("a name is an optional string right after the effect, with its own span", () => {
    const text = 'policy "t"\ndeny "no-push" tool push\nrole dev {\n  allow tool read_file\n  allow "docs" tool "docs_*" when client.tls\n}\n';
    const { ast, diagnostics } = parsePolicy(text, "t.mcppolicy");
    expect(diagnostics).toEqual([]);
    const top = ast!.declarations.find((d) => d.kind === "rule")!;
    expect(top.kind === "rule" && top.name?.text).toBe("no-push");
    const span = top.kind === "rule" ? top.name!.span : undefined;
    expect(text.slice(span!.start, span!.end)).toBe('"no-push"');
    const role = ast!.declarations.find((d) => d.kind === "role");
    const rules = role?.kind === "role" ? role.rules : [];
    expect(rules.map((r) => r.name?.text)).toEqual([undefined, "docs"]);
  });

  it("a name takes string escapes like any string; the decoded text is the name", () => {
    const p = compilePolicy('policy "t"\nrole dev { allow "a\\u002db" tool x }\n');
    expect(p.ir.roles.get("dev")!.rules[0]).toMatchObject({ id: "a-b", name: "a-b" });
  });

  it("an unquoted name, or a name after the target, is a syntax error", () => {
    expect(codes('policy "t"\nrole dev { allow docs tool x }\n')).toContain("E0003");
    expect(codes('policy "t"\nrole dev { allow tool "docs" x }\n')).toContain("E0003");
  });
});

describe("ids", () => {
  it("a named rule's id is its name (and IrRule.name); an unnamed one keeps its position, counting named rules", () => {
    const p = compilePolicy('policy "t"\ndeny "a" tool x\ndeny tool y\nrole dev {\n  allow tool r\n  allow "b" tool s\n  allow tool t\n}\n');
    expect(p.ir.topDenies.map((r) => [r.id, r.name])).toEqual([["a", "a"], ["policy/2", undefined]]);
    expect(p.ir.roles.get("dev")!.rules.map((r) => [r.id, r.name])).toEqual([["dev/1", undefined], ["b", "b"], ["dev/3", undefined]]);
    expect(rulesWithPositions(p.ir).map((x) => [x.rule.id, x.positional])).toEqual([["a", "policy/1"], ["policy/2", "policy/2"], ["dev/1", "dev/1"], ["b", "dev/2"], ["dev/3", "dev/3"]]);
  });

  it("names are unique across top level, roles and imports; a duplicate is E0130, even between an allow and a deny", () => {
    expect(codes('policy "t"\ndeny "x" tool a\nrole dev { allow "x" tool b }\n')).toEqual(["E0130"]);
    expect(codes('policy "t"\nrole dev { allow "x" tool b }\nrole ops { allow "x" tool b }\n')).toEqual(["E0130"]);
    const files: Record<string, string> = { "/v/lib.mcppolicy": 'policy "lib"\ndeny "x" tool a\n' };
    const r = checkPolicy('policy "t"\nimport "./lib.mcppolicy"\nrole dev { allow "x" tool b }\n', { filename: "/v/main.mcppolicy", readFile: (p) => files[p]! });
    expect(r.diagnostics.map((d) => [d.code, d.span.file])).toEqual([["E0130", "/v/main.mcppolicy"]]);
    expect(r.diagnostics[0]!.related?.[0]?.span.file).toBe("/v/lib.mcppolicy");
  });

  it("names differing only in case are different names", () => {
    expect(codes('policy "t"\nrole dev {\n  allow "Docs" tool a\n  allow "docs" tool b\n}\n')).toEqual([]);
  });

  it("every refused name is E0131 or E0132, never an id: no name can collide with a positional or tool id", () => {
    for (const bad of ["", "a b", "a/b", "x:y", "-a", ".a", "_a", "a\u200b", "é", "a".repeat(129), "a\nb"]) {
      const c = codes(`policy "t"\nrole dev { allow ${JSON.stringify(bad)} tool x }\n`);
      expect(c, JSON.stringify(bad)).toHaveLength(1);
      expect(["E0131", "E0132"]).toContain(c[0]);
    }
    for (const looks of ["dev/1", "policy/2", "tool:x/args", "tool:x/approval", "dev/limit/1", "policy/limit/3"]) {
      expect(codes(`policy "t"\nrole dev { allow ${JSON.stringify(looks)} tool x }\n`), looks).toEqual(["E0132"]);
    }
    for (const good of ["a", "1", "a.b_c-d", "A".repeat(128), "0-day"]) expect(codes(`policy "t"\nrole dev { allow ${JSON.stringify(good)} tool x }\n`), good).toEqual([]);
  });

  it("RULE_NAME never matches a positional id, a tool check id or a budget id", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9_-]{1,12}$/), fc.integer({ min: 1, max: 10_000 }), (role, n) => {
        for (const id of [`${role}/${n}`, `policy/${n}`, `tool:${role}/args`, `tool:${role}/approval`, `${role}/limit/${n}`, `tool:${role}/limit/${n}`]) expect(RULE_NAME.test(id)).toBe(false);
      }),
    );
  });
});

// ---- the stability property ----

interface GenRule {
  tool: string;
  effect: "allow" | "deny";
  name?: string;
  cond: boolean;
}
interface GenPolicy {
  top: GenRule[];
  roles: GenRule[][];
}

const text = (g: GenPolicy): string => {
  const rule = (r: GenRule) => `${r.effect}${r.name !== undefined ? ` "${r.name}"` : ""} tool ${r.tool}${r.cond ? " when client.tls" : ""}`;
  return ['policy "p"', ...g.top.map(rule), ...g.roles.map((rs, i) => `role r${i} {\n${rs.map((r) => "  " + rule(r)).join("\n")}\n}`)].join("\n") + "\n";
};

/** Each rule targets its own tool, so a rule is found again by its tool across edits. */
const idsByTool = (p: Policy): Map<string, string> => new Map(rulesWithPositions(p.ir).map(({ rule }) => [rule.patterns[0]!.text, rule.id]));

const genPolicy: fc.Arbitrary<GenPolicy> = fc
  .record({
    top: fc.array(fc.record({ named: fc.boolean(), cond: fc.boolean() }), { maxLength: 4 }),
    roles: fc.array(fc.array(fc.record({ named: fc.boolean(), cond: fc.boolean(), effect: fc.constantFrom("allow" as const, "deny" as const) }), { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 3 }),
  })
  .map(({ top, roles }) => {
    let k = 0;
    const mk = (effect: "allow" | "deny", named: boolean, cond: boolean): GenRule => {
      const n = k++;
      return { tool: `t${n}`, effect, cond, ...(named && { name: `n${n}` }) };
    };
    return { top: top.map((r) => mk("deny", r.named, r.cond)), roles: roles.map((rs) => rs.map((r) => mk(r.effect, r.named, r.cond))) };
  });

/** A rule by a flat index over the top level then the roles. */
function at(g: GenPolicy, i: number): { list: GenRule[]; j: number } {
  const lists = [g.top, ...g.roles];
  let n = i % lists.reduce((s, l) => s + l.length, 0);
  for (const list of lists) {
    if (n < list.length) return { list, j: n };
    n -= list.length;
  }
  throw new Error("unreachable");
}
const clone = (g: GenPolicy): GenPolicy => structuredClone(g);

describe("stable ids", () => {
  it("naming, renaming or unnaming one rule changes no other rule's id", () => {
    fc.assert(
      fc.property(genPolicy, fc.nat(), fc.option(fc.constantFrom("fresh-name", "other.name_2"), { nil: undefined }), (g, i, newName) => {
        const before = idsByTool(compilePolicy(text(g)));
        const h = clone(g);
        const { list, j } = at(h, i);
        const target = list[j]!;
        if (newName === undefined) delete target.name;
        else target.name = newName;
        const after = idsByTool(compilePolicy(text(h)));
        for (const [tool, id] of before) if (tool !== target.tool) expect(after.get(tool), tool).toBe(id);
        expect(after.get(target.tool)).toBe(newName ?? (list === h.top ? `policy/${j + 1}` : `r${h.roles.indexOf(list)}/${j + 1}`));
      }),
      { numRuns: 150 },
    );
  });

  it("moving a named rule, changing its condition or effect, or moving it to another role keeps its id", () => {
    fc.assert(
      fc.property(genPolicy, fc.nat(), fc.nat(), fc.nat(), fc.boolean(), (g, i, to, dest, flip) => {
        const original = clone(g);
        const o = at(original, i);
        o.list[o.j]!.name = "moved-rule";
        const edited = clone(original);
        const e = at(edited, i);
        const [moved] = e.list.splice(e.j, 1);
        moved!.cond = !moved!.cond;
        // Somewhere else: any place of any role (as an allow or a deny), or of the top level (a deny).
        const lists = [edited.top, ...edited.roles];
        const into = lists[dest % lists.length]!;
        if (into === edited.top) moved!.effect = "deny";
        else if (flip) moved!.effect = moved!.effect === "allow" ? "deny" : "allow";
        into.splice(to % (into.length + 1), 0, moved!);
        expect(idsByTool(compilePolicy(text(original))).get(moved!.tool)).toBe("moved-rule");
        expect(idsByTool(compilePolicy(text(edited))).get(moved!.tool)).toBe("moved-rule");
      }),
      { numRuns: 150 },
    );
  });

  it("an unnamed rule's id is its position among all rules of its role (or the top level), named or not", () => {
    fc.assert(
      fc.property(genPolicy, (g) => {
        const ids = idsByTool(compilePolicy(text(g)));
        g.top.forEach((r, j) => expect(ids.get(r.tool)).toBe(r.name ?? `policy/${j + 1}`));
        g.roles.forEach((rs, i) => rs.forEach((r, j) => expect(ids.get(r.tool)).toBe(r.name ?? `r${i}/${j + 1}`)));
      }),
      { numRuns: 100 },
    );
  });
});

// ---- where ids are read back ----

const POLICY = `policy "named"
deny "tls-only" tool "*" unless client.tls because "connect over TLS"
role dev {
  allow "read-docs" tool read_file
  allow tool search
  allow "never" tool write_file when client.tls and not client.tls
  limit calls 2 per hour
}
`;

describe("explain, analysis and test files use names", () => {
  it("explain lists named rules by name and the others by position", () => {
    const p = compilePolicy(POLICY);
    const e = p.explain({ principal: { roles: ["dev"] }, tool: "read_file", client: { tls: true } });
    expect(e.rules.map((r) => [r.rule, r.outcome])).toEqual([
      ["tls-only", "condition-false"],
      ["read-docs", "matched"],
      ["dev/2", "target-mismatch"],
      ["never", "target-mismatch"],
    ]);
    expect(e.rules[1]!.line).toBe(4);
  });

  it("`mcppolicy explain` prints a bundled policy's rules by name", () => {
    const root = fileURLToPath(new URL("..", import.meta.url));
    const request = { principal: { roles: ["reader"] }, tool: "get_file_contents", annotations: { readOnlyHint: true }, client: { tls: true } };
    const r = spawnSync(process.execPath, ["dist/cli/main.js", "explain", "policies/github-agent.mcppolicy", "-"], { cwd: root, input: JSON.stringify(request), encoding: "utf8", timeout: 60_000 });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("  - [allow_rule] read-only-tools: allowed by role `reader`");
    expect(r.stdout).toMatch(/^ {2}tls-only +deny +line \d+ +condition-false$/m);
    expect(r.stdout).toMatch(/^ {2}protected-branches +deny +line \d+ +not-held$/m);
  });

  it("an analysis finding names the rule by its name", () => {
    const f = analyzePolicy(compilePolicy(POLICY)).findings.find((x) => x.kind === "never-fires");
    expect(f?.rule).toBe("never");
    expect(f?.message).toContain("rule `never`");
  });

  const files = (test: string): Record<string, string> => ({ "/p/app.mcppolicy": POLICY, "/p/app.test.yaml": test });
  const run = (test: string) => {
    const fs = files(test);
    return runPolicyTests(["/p/app.test.yaml"], {
      readFile: (p) => {
        const t = fs[p];
        if (t === undefined) throw Object.assign(new Error("missing"), { code: "ENOENT" });
        return t;
      },
    });
  };

  it("a test file names a rule by its name; coverage reports it by name", () => {
    const report = run(
      [
        "defaults: { principal: { roles: [dev] }, client: { tls: true } }",
        "cases:",
        "  - name: reads docs",
        "    request: { tool: read_file }",
        "    expect: { effect: allow, rule: read-docs }",
        "  - name: plain text refused",
        "    request: { tool: read_file, client: { tls: false } }",
        "    expect: { effect: deny, rule: [tls-only] }",
        "  - name: search",
        "    request: { tool: search }",
        "    expect: { effect: allow, rule: dev/2 }",
      ].join("\n") + "\n",
    );
    expect(report.errors).toEqual([]);
    expect(report.ok).toBe(true);
    const items = report.coverage[0]!.items;
    expect(items.map((i) => [i.id, i.exercisedBy.length > 0])).toEqual([
      ["tls-only", true],
      ["read-docs", true],
      ["dev/2", true],
      ["never", false],
    ]);
  });

  it("a test file that writes the positional id of a named rule is told the name; an unknown name gets a guess", () => {
    const report = run(
      ["cases:", "  - name: old id", "    request: { principal: { roles: [dev] }, tool: read_file }", "    expect: { effect: allow, rule: dev/1 }", "  - name: typo", "    request: { principal: { roles: [dev] }, tool: read_file }", "    expect: { effect: allow, rule: read-doc }"].join("\n") + "\n",
    );
    expect(report.ok).toBe(false);
    expect(report.files).toEqual([]);
    expect(report.errors.map((e) => [e.line, e.message])).toEqual([
      [4, "/p/app.mcppolicy has no rule 'dev/1': that rule is named 'read-docs', and a named rule's id is its name (write 'read-docs')"],
      [7, "/p/app.mcppolicy has no rule 'read-doc' (did you mean 'read-docs'?)"],
    ]);
  });
});

describe("the runtime", () => {
  it("renaming a rule keeps the budget counters (they belong to budgets, not to rules)", async () => {
    const store = new MemoryStore();
    const engine = createEngine(compilePolicy(POLICY), { store });
    const call = { principal: { id: "ann", roles: ["dev"] }, tool: "read_file", client: { tls: true }, session: { id: "s" } };
    for (let i = 0; i < 2; i++) expect((await engine.authorize(call)).effect).toBe("allow");
    engine.reload(compilePolicy(POLICY.replace('allow "read-docs"', 'allow "docs-reading"')));
    const third = await engine.authorize(call);
    expect(third.effect).toBe("deny");
    expect(third.reasons[0]).toMatchObject({ code: "budget_exceeded", rule: "dev/limit/1" });
  });
});

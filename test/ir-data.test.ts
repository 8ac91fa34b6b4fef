/**
 * The IR is pure data (issue #10 point 3): the IR of every bundled policy, every conformance policy and
 * generated policies holds no function and no class instance other than Map and Set, survives
 * `structuredClone`, and a policy built from the clone decides every conformance case exactly as the
 * original does (both evaluators): nothing the evaluators need hides outside the data.
 */
import { readdirSync, readFileSync, realpathSync, mkdtempSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compilePolicy, Policy, type PolicyRequest } from "../src/index.js";
import type { IrExpr, IrPolicy, IrType } from "../src/ir/ir.js";
import { constraintCheck, globTest, setMatcher } from "../src/ir/match.js";
import { loadConformance } from "./helpers/conformance.js";
import { policyText } from "./helpers/generators.js";

/** Paths inside `x` that hold a function or an object other than a plain object, an array, a Map or a Set. */
function nonData(x: unknown, path = "ir", out: string[] = [], seen = new Set<unknown>()): string[] {
  if (typeof x === "function") out.push(`${path}: function`);
  if (typeof x === "symbol" || typeof x === "bigint") out.push(`${path}: ${typeof x}`);
  if (typeof x !== "object" || x === null || seen.has(x)) return out;
  seen.add(x);
  if (x instanceof Map) {
    for (const [k, v] of x) {
      nonData(k, `${path}.key`, out, seen);
      nonData(v, `${path}.get(${String(k)})`, out, seen);
    }
    return out;
  }
  if (x instanceof Set) {
    for (const v of x) nonData(v, `${path}.has(${String(v)})`, out, seen);
    return out;
  }
  const proto = Object.getPrototypeOf(x);
  if (!Array.isArray(x) && proto !== Object.prototype && proto !== null) out.push(`${path}: instance of ${proto?.constructor?.name ?? "?"}`);
  for (const key of Reflect.ownKeys(x)) {
    if (typeof key === "symbol") out.push(`${path}[symbol]`);
    else nonData((x as Record<string, unknown>)[key], `${path}.${key}`, out, seen);
  }
  return out;
}

function assertPureData(ir: IrPolicy): IrPolicy {
  expect(nonData(ir)).toEqual([]);
  const clone = structuredClone(ir);
  expect(nonData(clone)).toEqual([]);
  return clone;
}

const POLICIES = fileURLToPath(new URL("../policies", import.meta.url));
const bundled = readdirSync(POLICIES).filter((f) => f.endsWith(".mcppolicy"));

describe("the IR is pure data", () => {
  it("the walk finds what is not data (functions, class instances, nested)", () => {
    expect(nonData({ a: [1, { f: () => 1 }], m: new Map([["k", new Set([new Date(0)])]]), r: /x/ })).toEqual([
      "ir.a.1.f: function",
      "ir.m.get(k).has(Thu Jan 01 1970 00:00:00 GMT+0000 (Coordinated Universal Time)): instance of Date",
      "ir.r: instance of RegExp",
    ]);
  });

  it("bundled policies (policies/*.mcppolicy)", () => {
    expect(bundled.length).toBeGreaterThanOrEqual(5);
    for (const f of bundled) {
      const file = join(POLICIES, f);
      assertPureData(compilePolicy(readFileSync(file, "utf8"), { filename: file }).ir);
    }
  });

  const groups = loadConformance();
  it("conformance policies: pure data, and the clone decides every case as the original", () => {
    expect(groups.length).toBeGreaterThan(20);
    for (const g of groups) {
      const policy = g.policyPath ? compilePolicy(g.policy, { filename: g.policyPath }) : compilePolicy(g.policy, { filename: g.file.replace(/\.yaml$/, ".mcppolicy"), readFile: null });
      const clone = new Policy(assertPureData(policy.ir), [], policy.sources);
      for (const c of g.cases) {
        const req = c.request as PolicyRequest;
        expect(clone.decide(req), `${g.file}: ${c.name}`).toEqual(policy.decide(req));
        expect(clone.interpret(req), `${g.file}: ${c.name} (interpreter)`).toEqual(policy.interpret(req));
      }
    }
  });

  it("generated policies", () => {
    let compiled = 0;
    for (const text of fc.sample(policyText, { numRuns: 60, seed: 10 })) {
      let p: Policy;
      try {
        p = compilePolicy(text, { readFile: null });
      } catch {
        continue;
      }
      assertPureData(p.ir);
      compiled++;
    }
    expect(compiled).toBeGreaterThan(30);
  });

  it("a policy with every built-in as data: sets, globs, patterns, schemas and each constraint kind", () => {
    const p = compilePolicy(
      `policy "all"
set nets: cidr = ["10.0.0.0/8", loopback]
set names: domain = ["example.com", "*.example.org"]
set words: string = ["a", "b"]
set reads: tool = ["read_*"]
tool fetch {
  args {
    u: url(hosts: names, deny: internal, ports: [443], maxLength: 200)
    i: ip(allow: nets)
  }
}
tool q {
  args {
    s: sql(tables: ["users"], denyColumns: ["pw"], functions: ["lower"])
    p: path(root: "/w", maxLength: 50)
  }
}
tool s {
  args {
    t: string(pattern: "^[a-z]+$", maxLength: 9)
    j: json(inline: "{\\"type\\":\\"object\\"}")
  }
}
role r {
  member when principal.id in words
  allow tool reads when client.ip in nets and client.certSubject matches "CN=*"
  allow tool fetch
  allow tool q
  allow tool s
  allow resource "file:///docs/**"
}`,
      { readFile: null },
    );
    const clone = assertPureData(p.ir);
    const t = clone.tools.get("fetch")!.args!;
    expect(t).toMatchObject({ t: "object", fields: [{ type: { t: "check", kind: "url", params: { hosts: ["example.com", "*.example.org"], ports: [443] }, maxLength: 200 } }, { type: { t: "check", kind: "ip", params: { allow: ["10.0.0.0/8", "127.0.0.0/8", "::1/128"] } } }] });
    expect(clone.sets.get("reads")).toEqual({ kind: "tool", name: "reads", patterns: ["read_*"] });
    expect(clone.roles.get("r")!.rules.at(-1)!.patterns).toEqual([{ kind: "glob", text: "file:///docs/**", syntax: "uri" }]);
  });
});

describe("matchers are built once per IR node, never per call", () => {
  const p = compilePolicy(
    `policy "m"
set nets: cidr = ["10.0.0.0/8"]
tool f {
  args {
    p: path(root: "/w")
  }
}
role r {
  allow tool f when client.ip in nets and client.certSubject matches "CN=*"
}`,
    { readFile: null },
  );
  it("the same node gives the same matcher; a structurally equal copy gets its own", () => {
    const set = p.ir.sets.get("nets")!;
    expect(setMatcher(set)).toBe(setMatcher(set));
    expect(setMatcher(structuredClone(set))).not.toBe(setMatcher(set));
    const when = p.ir.roles.get("r")!.rules[0]!.when as IrExpr & { k: "and" };
    const m = when.es[1] as IrExpr & { k: "matches" };
    expect(globTest(m)).toBe(globTest(m));
    const args = p.ir.tools.get("f")!.args as IrType & { t: "object" };
    const check = args.fields[0]!.type as IrType & { t: "check" };
    expect(constraintCheck(check)).toBe(constraintCheck(check));
    expect(constraintCheck(check)("/w/a")).toBeNull();
  });
});

describe("data that cannot be used fails closed", () => {
  it("a path(root:) compiled with a realpath, copied away from its host, refuses every value", () => {
    const base = realpathSync(mkdtempSync(join(tmpdir(), "mcppolicy-irdata-")));
    mkdirSync(join(base, "ws"));
    const text = `policy "p"\ntool read_file {\n  args {\n    path: path(root: "${base}/ws")\n  }\n}\nrole r {\n  allow tool read_file\n}\n`;
    const p = compilePolicy(text, { readFile: null, realpath: realpathSync.native });
    const req = { method: "tools/call", tool: "read_file", principal: { roles: ["r"] }, arguments: { path: "a.txt" } } as PolicyRequest;
    expect(p.decide(req).effect).toBe("allow");
    const copy = new Policy(structuredClone(p.ir), [], p.sources);
    for (const d of [copy.decide(req), copy.interpret(req)]) {
      expect(d.effect).toBe("deny");
      expect(d.reasons.map((r) => r.message).join("\n")).toContain("could not be resolved on this host");
    }
  });

  it("sets and constraints whose items are not valid deny, in both evaluators", () => {
    const p = compilePolicy(`policy "p"\nset nets: cidr = ["10.0.0.0/8"]\ntool t {\n  args {\n    a: ip(allow: nets)\n  }\n}\nrole r {\n  allow tool t when client.ip in nets\n}\n`, { readFile: null });
    const bad = structuredClone(p.ir) as unknown as { sets: Map<string, { items: string[] }>; roles: Map<string, { rules: { when: { r: never; set: { items: string[] } } }[] }>; tools: Map<string, { args: { fields: { type: { params: { allow: string[] } } }[] } }> };
    bad.roles.get("r")!.rules[0]!.when.set.items = ["not an address"];
    bad.tools.get("t")!.args.fields[0]!.type.params.allow = ["10.0.0.0/99"];
    const copy = new Policy(bad as unknown as IrPolicy, [], p.sources);
    const req = { method: "tools/call", tool: "t", principal: { roles: ["r"] }, client: { ip: "10.1.2.3" }, arguments: { a: "10.1.2.3" } } as PolicyRequest;
    expect(p.decide(req).effect).toBe("allow");
    for (const d of [copy.decide(req), copy.interpret(req)]) expect(d.effect).toBe("deny");
    // With a sound condition, the unusable constraint alone denies.
    bad.roles.get("r")!.rules[0]!.when.set.items = ["10.0.0.0/8"];
    const copy2 = new Policy(structuredClone(bad) as unknown as IrPolicy, [], p.sources);
    for (const d of [copy2.decide(req), copy2.interpret(req)]) {
      expect(d.effect).toBe("deny");
      expect(d.reasons.map((r) => r.message).join("\n")).toContain("cannot be used");
    }
  });
});

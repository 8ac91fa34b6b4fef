// Issue 16, seed mix round: the compiled function's shortcuts give the interpreter's decisions.
// - multi-role lists remembered by the host's array (codegen/decide.ts `byList`): an array reused across
//   calls, changed in place between them, or answering differently on each read is decided by what it
//   holds at the call;
// - a union of argument types skips members whose typeof test the value fails (codegen/closures.ts):
//   the fault of a value no member accepts is still the first member's;
// - the name check's recent-name slots (contract/names.ts): an empty slot matches no name, so a
//   one-character control name is refused like any other.
import fs from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compilePolicy, type PolicyRequest } from "mcppolicy";

const seed = compilePolicy(fs.readFileSync(new URL("../policies/seed.mcppolicy", import.meta.url), "utf8"));
const same = (req: PolicyRequest) => expect(seed.decide(req), JSON.stringify(req)).toEqual(seed.interpret(req));
const call = (roles: unknown, tool = "read_file", args: Record<string, unknown> = { path: "a.txt" }): PolicyRequest =>
  ({ method: "tools/call", tool, principal: { id: "u", roles }, arguments: args }) as PolicyRequest;

describe("role lists remembered by array", () => {
  it("an array whose own toJSON answers another list is keyed by what it holds", () => {
    const other = ["developer", "readonly-agent"];
    same(call(other, "list_directory", { path: "src" })); // files `other`'s role set
    const posing = Object.assign(["guest", "intern"], { toJSON: () => other });
    const req = call(posing, "list_directory", { path: "src" });
    expect(seed.decide(req).effect).toBe("deny");
    same(req);
  });

  it("an array changed in place between calls is decided by what it holds now", () => {
    const roles = ["developer", "readonly-agent"];
    const req = call(roles, "list_directory", { path: "src" });
    for (let i = 0; i < 3; i++) same(req);
    expect(seed.decide(req).effect).toBe("allow");
    roles[1] = "guest"; // developer may not list directories
    expect(seed.decide(req).effect).toBe("deny");
    same(req);
    roles[0] = "intern"; // no declared role at all
    expect(seed.decide(req).reasons[0]!.code).toBe("no_role");
    same(req);
    roles.push("admin");
    expect(seed.decide(req).effect).toBe("allow");
    same(req);
    roles.length = 2;
    same(req);
    expect(seed.decide(req).reasons[0]!.code).toBe("no_role");
  });

  it("decide equals interpret on random sequences that reuse and change a few arrays", () => {
    const names = ["developer", "admin", "readonly-agent", "guest", "intern"];
    const step = fc.record({
      which: fc.nat({ max: 2 }),
      op: fc.constantFrom("decide", "set", "push", "pop"),
      at: fc.nat({ max: 3 }),
      name: fc.constantFrom(...names),
      tool: fc.constantFrom("read_file", "list_directory", "execute_command", "nope"),
    });
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 40 }), (steps) => {
        const lists = [["developer", "guest"], ["intern", "contractor"], ["admin", "developer"]];
        for (const s of steps) {
          const list = lists[s.which]!;
          if (s.op === "set" && list.length > 0) list[s.at % list.length] = s.name;
          else if (s.op === "push") list.push(s.name);
          else if (s.op === "pop" && list.length > 2) list.pop();
          same(call(list, s.tool));
        }
      }),
      { numRuns: 200 },
    );
  });

  it("a list answering differently on each read is judged by the read made at the call", () => {
    let n = 0;
    const flip = new Proxy(["guest", "intern"], {
      get(target, key, recv) {
        if (key === "0") return n++ % 2 === 0 ? "guest" : "admin";
        return Reflect.get(target, key, recv);
      },
    });
    for (let i = 0; i < 6; i++) {
      const d = seed.decide(call(flip, "execute_command"));
      // Whatever a read gave, the decision is one the interpreter gives for some state of the list.
      expect(["deny", "require_approval"]).toContain(d.effect);
    }
    // A plain list with the same names afterwards gets its own answer, not the proxy's.
    same(call(["guest", "intern"], "execute_command"));
    same(call(["admin", "intern"], "execute_command"));
  });

  it("frozen and reused arrays", () => {
    const roles = Object.freeze(["admin", "developer"]);
    for (let i = 0; i < 3; i++) for (const tool of ["read_file", "execute_command", "write_file", "nope"]) same(call(roles, tool));
  });
});

describe("unions of argument types", () => {
  it("query_database parameters: every item type, accepted and refused, as the interpreter says", () => {
    const items: unknown[] = ["a", 1, true, false, 0, -1.5, { a: 1 }, null, [1], Number.NaN, Infinity, undefined];
    for (const x of items) {
      for (const y of items) {
        same(call(["readonly-agent"], "query_database", { query: "SELECT 1", database: "analytics", parameters: [x, y] }));
      }
    }
    const d = seed.decide(call(["readonly-agent"], "query_database", { query: "SELECT 1", database: "analytics", parameters: [1, { a: 1 }] }));
    expect(d.reasons[0]!.message).toContain("args.parameters[1]: expected a string, found an object");
    const nan = seed.decide(call(["readonly-agent"], "query_database", { query: "SELECT 1", database: "analytics", parameters: [Number.NaN] }));
    expect(nan.reasons[0]!.message).toContain("args.parameters[0]: expected a string, found number NaN");
  });

  it("decide equals interpret on generated values under a union of every member kind", () => {
    const policy = compilePolicy(
      [
        'policy "u" version "1"',
        "default deny",
        "role r { allow tool t }",
        "tool t {",
        "  args {",
        '    v?: string(maxLength: 3) | integer(min: 0) | boolean | array(string, maxItems: 2) | enum("x", 7) | number(max: 1)',
        '    w?: array(number | string(pattern: "^[a-z]+$"))',
        "  }",
        "}",
      ].join("\n"),
    );
    const value = fc.oneof(fc.anything(), fc.constantFrom("x", 7, "abcd", -1, 0.5, 2, ["a"], ["a", "b", "c"], [1], "AB", ["ab", 3, "C"]));
    fc.assert(
      fc.property(value, value, (v, w) => {
        const req = { method: "tools/call", tool: "t", principal: { roles: ["r"] }, arguments: { v, w } } as PolicyRequest;
        expect(policy.decide(req)).toEqual(policy.interpret(req));
      }),
      { numRuns: 500 },
    );
  });
});

describe("name checks", () => {
  it("one-character control names are refused (an empty recent-name slot matches no name)", () => {
    for (const name of ["\u0000", "\u0001", "\u007f", "\u0085", ""]) {
      for (const req of [call(["admin"], name), call([name], "read_file"), call(["admin", name], "read_file")]) {
        const d = seed.decide(req);
        expect(d.effect, JSON.stringify(req)).toBe("deny");
        expect(d.reasons[0]!.code).toBe("invalid_request");
        expect(seed.interpret(req)).toEqual(d);
      }
    }
  });
});

/**
 * JSON Schema arguments: `json(schema: "file")` relative to the policy file, `json(inline: "...")`,
 * on a field or on a whole tool input (e.g. the tool's own inputSchema from tools/list). Compiled once
 * with ajv at policy compile time; both evaluators agree; faults name the argument path.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkPolicy, compilePolicy, type PolicyRequest } from "mcppolicy";

const FIXTURES = join(import.meta.dirname, "fixtures");
const both = (p: ReturnType<typeof compilePolicy>, req: PolicyRequest) => {
  const d = p.decide(req);
  expect(p.interpret(req)).toEqual(d);
  return d;
};

describe("json(...) arguments", () => {
  const whole = compilePolicy('policy "p"\nrole r { allow tool read_file }\ntool read_file { args json(schema: "read_file.schema.json") }', {
    filename: join(FIXTURES, "json.mcppolicy"),
  });
  const call = (args: unknown) => both(whole, { principal: { roles: ["r"] }, tool: "read_file", arguments: args as Record<string, unknown> });

  it("checks a whole tool input against a schema file", () => {
    expect(call({ path: "src/a.ts" }).effect).toBe("allow");
    expect(call({ path: "src/a.ts", encoding: "utf8" }).effect).toBe("allow");
    expect(call({}).reasons[0]).toMatchObject({ code: "invalid_argument", rule: "tool:read_file/args", message: "args.path: is required" });
    expect(call({ path: "a b" }).reasons[0]!.message).toMatch(/^args\.path: must match pattern/);
    expect(call({ path: "a", extra: 1 }).reasons[0]!.message).toBe("args.extra: is not an allowed property");
    expect(call({ path: "a", encoding: "latin1" }).effect).toBe("deny");
  });

  it("checks one field against an inline schema", () => {
    const p = compilePolicy(
      'policy "p"\nrole r { allow tool t }\ntool t { args { opts: json(inline: "{\\"type\\":\\"object\\",\\"properties\\":{\\"n\\":{\\"type\\":\\"integer\\",\\"maximum\\":5}}}") } }',
      { readFile: null },
    );
    const t = (opts: unknown) => both(p, { principal: { roles: ["r"] }, tool: "t", arguments: { opts } });
    expect(t({ n: 3 }).effect).toBe("allow");
    expect(t({ n: 9 }).reasons[0]!.message).toBe("args.opts.n: must be <= 5");
    expect(t("x").reasons[0]!.message).toBe("args.opts: must be object");
  });

  it("a schema pattern cannot hang the engine (linear-time patterns)", () => {
    const p = compilePolicy('policy "p"\nrole r { allow tool t }\ntool t { args { s: json(inline: "{\\"type\\":\\"string\\",\\"pattern\\":\\"^(a+)+$\\"}") } }', { readFile: null });
    const d = both(p, { principal: { roles: ["r"] }, tool: "t", arguments: { s: "a".repeat(50_000) + "!" } });
    expect(d.effect).toBe("deny");
  });

  it("bad schemas are compile errors with a span", () => {
    const codes = (text: string) => checkPolicy(text, { filename: join(FIXTURES, "x.mcppolicy") }).diagnostics.map((d) => `${d.code} ${d.message}`);
    expect(codes('policy "p"\nrole r { allow tool t }\ntool t { args json(schema: "missing.json") }')[0]).toMatch(/^E0204 cannot read `missing.json`: no such file/);
    expect(codes('policy "p"\nrole r { allow tool t }\ntool t { args { a: json(inline: "{not json") } }')[0]).toMatch(/^E0204 the schema is not valid JSON/);
    expect(codes('policy "p"\nrole r { allow tool t }\ntool t { args { a: json(inline: "{\\"type\\":\\"strin\\"}") } }')[0]).toMatch(/^E0204 the schema cannot be used/);
    expect(codes('policy "p"\nrole r { allow tool t }\ntool t { args { a: json() } }')[0]).toMatch(/^E0204 `json` needs exactly one of/);
    expect(codes('policy "p"\nrole r { allow tool t }\ntool t { args string }')[0]).toMatch(/^E0201 a tool's `args` must be an object type/);
  });
});

describe("string(pattern:) is linear-time", () => {
  it("refuses backtracking-only constructs at compile time (E0207)", () => {
    for (const pat of ["(?=a)b", "(?!\\\\.\\\\.)x", "(?<=a)b", "(a)\\\\1"]) {
      const r = checkPolicy(`policy "p"\nrole r { allow tool t }\ntool t { args { s: string(pattern: "${pat}") } }`, { readFile: null });
      expect(r.diagnostics.map((d) => d.code), pat).toEqual(["E0207"]);
    }
  });
  it("a classic ReDoS pattern is accepted and runs in linear time", () => {
    const p = compilePolicy('policy "p"\nrole r { allow tool t }\ntool t { args { s: string(pattern: "^(a+)+$") } }', { readFile: null });
    const d = both(p, { principal: { roles: ["r"] }, tool: "t", arguments: { s: "a".repeat(100_000) + "!" } });
    expect(d.effect).toBe("deny");
    expect(both(p, { principal: { roles: ["r"] }, tool: "t", arguments: { s: "aaa" } }).effect).toBe("allow");
  });
});

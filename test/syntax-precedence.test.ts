/**
 * Operator precedence, applied when the flat CST becomes the AST: `not` binds tightest (to a whole
 * comparison), then `and`, then `or`; both chains group left to right. Checked on the AST and on
 * decisions.
 */
import { describe, expect, it } from "vitest";
import { compilePolicy } from "mcppolicy";
import { parsePolicy } from "../src/syntax/parse.js";

type E = { kind: string; operands?: E[]; operand?: E; op?: string; root?: string; segments?: string[]; value?: unknown };
function shape(e: E): string {
  switch (e.kind) {
    case "and":
    case "or":
      return `${e.kind}(${e.operands!.map(shape).join(", ")})`;
    case "not":
      return `not(${shape(e.operand!)})`;
    case "compare":
      return `cmp`;
    case "path":
      return [e.root, ...e.segments!].join(".").replace("client.", "");
    case "has":
      return "has";
    default:
      return String(e.value);
  }
}
function cond(text: string): string {
  const r = parsePolicy(`policy "p"\nrole r { allow tool t when ${text} }`, "p");
  expect(r.diagnostics).toEqual([]);
  const role = r.ast!.declarations.find((d) => d.kind === "role") as unknown as { rules: { when: E }[] };
  return shape(role.rules[0]!.when);
}

describe("precedence", () => {
  it("and binds tighter than or", () => {
    expect(cond("client.tls or client.mtls and has client.ip")).toBe("or(tls, and(mtls, has))");
    expect(cond("client.tls and client.mtls or client.tls and client.mtls")).toBe("or(and(tls, mtls), and(tls, mtls))");
    expect(cond("client.tls or client.mtls or client.tls")).toBe("or(tls, mtls, tls)");
  });
  it("not applies to a whole comparison, and stacks", () => {
    expect(cond('not principal.id == "x"')).toBe("not(cmp)");
    expect(cond("not not client.tls and client.mtls")).toBe("and(not(not(tls)), mtls)");
    expect(cond("not (client.tls or client.mtls)")).toBe("not(or(tls, mtls))");
  });
  it("decisions follow it", () => {
    const p = compilePolicy('policy "p"\nrole r { allow tool t when client.tls or client.mtls and principal.id == "a" }', { readFile: null });
    const d = (client: object, id: string) => p.decide({ principal: { id, roles: ["r"] }, tool: "t", client }).effect;
    expect(d({ tls: true, mtls: false }, "b")).toBe("allow"); // tls alone suffices: or(tls, and(...))
    expect(d({ tls: false, mtls: true }, "b")).toBe("deny");
    expect(d({ tls: false, mtls: true }, "a")).toBe("allow");
  });
});

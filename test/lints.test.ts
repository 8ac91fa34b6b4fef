/**
 * Lints that must not fire falsely (warnings are noise when wrong): regression tests named after
 * what broke.
 */
import { describe, expect, it } from "vitest";
import { checkPolicy } from "mcppolicy";

const codes = (text: string) => checkPolicy(text, { readFile: null }).diagnostics.map((d) => d.code);

describe("lints", () => {
  it("regression: rules that differ only in the set they test are not duplicates (W0003)", () => {
    const text = 'policy "p"\nset a: cidr = ["10.0.0.0/8"]\nset b: cidr = ["192.168.0.0/16"]\nrole r {\n  allow tool t when client.ip in a\n  allow tool t when client.ip in b\n}';
    expect(codes(text)).toEqual([]);
  });
  it("rules that really repeat are duplicates (W0003)", () => {
    expect(codes('policy "p"\nrole r {\n  allow tool t when client.tls\n  allow tool t when client.tls\n}')).toEqual(["W0003"]);
  });
  it("regression: numbered tool families are not typos of each other (W0006)", () => {
    const text = 'policy "p"\nrole r { allow tool tool_216 }\ntool tool_21 { risk low }';
    expect(codes(text)).toEqual([]);
  });
  it("a near miss of a tool set in an allow is reported (W0006)", () => {
    const text = 'policy "p"\nset dangerous: tool = ["x"]\nrole r {\n  allow tool y, dangerus\n}';
    expect(codes(text)).toEqual(["W0006"]);
  });
  it("a near miss of a tool set in a deny is an error, not a warning (E0114)", () => {
    const text = 'policy "p"\nset dangerous: tool = ["x"]\nrole r {\n  allow tool y\n  deny tool dangerus\n}';
    expect(codes(text)).toEqual(["E0114"]);
  });
  it("regression: a deny on a numbered sibling of a declared tool is not a typo (E0114)", () => {
    const text = 'policy "p"\nrole r {\n  allow tool "*"\n  deny tool tool_3\n}\ntool tool_2 { risk low }';
    expect(codes(text)).toEqual([]);
  });
  it("a deny on an undeclared tool that resembles nothing declared stays silent", () => {
    const text = 'policy "p"\nset dangerous: tool = ["x"]\nrole r {\n  allow tool "*"\n  deny tool wipe_disk\n}\ntool read_file { risk low }';
    expect(codes(text)).toEqual([]);
  });
});

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { codePointLength } from "../../src/builtins/text/text.js";

describe("codePointLength", () => {
  it("counts code points, not UTF-16 units", () => {
    expect(codePointLength("")).toBe(0);
    expect(codePointLength("hello")).toBe(5);
    expect(codePointLength("😀")).toBe(1);
    expect(codePointLength("a😀b")).toBe(3);
    expect(codePointLength("é")).toBe(1);
    expect(codePointLength("e\u0301")).toBe(2);
  });

  it("counts a lone surrogate as one", () => {
    expect(codePointLength("\ud800")).toBe(1);
    expect(codePointLength("\udc00\ud800")).toBe(2);
    expect(codePointLength("a\ud83d")).toBe(2);
  });

  it("is 0 for non-strings", () => {
    expect(codePointLength(undefined as unknown as string)).toBe(0);
    expect(codePointLength(12 as unknown as string)).toBe(0);
  });

  it("agrees with Array.from on random strings", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (s) => {
        expect(codePointLength(s)).toBe(Array.from(s).length);
      }),
    );
  });
});

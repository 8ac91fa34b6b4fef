/**
 * Test files are input too: parsing and validating any text never throws, and whatever it cannot accept
 * comes back as errors with a position — for random text and for random edits of a real test file.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parsePolicyTests } from "../src/policytest/load.js";

const REAL = readFileSync(join(import.meta.dirname, "..", "policies", "seed.test.yaml"), "utf8");

function checkResult(text: string) {
  const r = parsePolicyTests(text, "fuzz.test.yaml");
  if (r.tests === undefined) expect(r.errors.length).toBeGreaterThan(0);
  for (const e of r.errors) {
    expect(e.line).toBeGreaterThanOrEqual(1);
    expect(e.column).toBeGreaterThanOrEqual(1);
    expect(typeof e.message).toBe("string");
  }
}

describe("parsing a test file never throws", () => {
  it("the real seed test file parses without errors (the base of the edits below)", () => {
    const r = parsePolicyTests(REAL, "policies/seed.test.yaml");
    expect(r.errors).toEqual([]);
    expect(r.tests?.cases.length).toBeGreaterThan(10);
  });

  it("on random text", () => {
    fc.assert(fc.property(fc.string({ unit: "binary", maxLength: 400 }), (s) => checkResult(s)), { numRuns: 500 });
  });

  it("on random edits of a real test file (cut, duplicate, insert YAML punctuation)", () => {
    const punct = fc.constantFrom("- ", ": ", "{", "}", "[", "]", "&a ", "*a", "!!binary ", "---\n", "\t", "'", '"', "? ", "|\n", "null", "~", "1e999", "\u0000", "\n  ");
    fc.assert(
      fc.property(fc.nat(REAL.length), fc.nat(200), fc.array(punct, { maxLength: 4 }), (at, cut, inserts) => {
        checkResult(REAL.slice(0, at) + inserts.join("") + REAL.slice(Math.min(REAL.length, at + cut)));
      }),
      { numRuns: 300 },
    );
  });

  it("alias bombs are refused, not expanded", () => {
    const L = (i: number) => String.fromCharCode(97 + i);
    const anchors = ["x0: &a [x, x, x, x, x, x, x, x, x]", ...Array.from({ length: 8 }, (_, i) => `x${i + 1}: &${L(i + 1)} [${Array(9).fill(`*${L(i)}`).join(", ")}]`)];
    const text = `defaults:\n  arguments:\n    ${anchors.join("\n    ")}\ncases:\n  - name: c\n    request: { tool: t, arguments: { big: *i } }\n    expect: allow\n`;
    const r = parsePolicyTests(text, "bomb.test.yaml");
    expect(r.errors.map((e) => e.message)).toContain("cannot read this value: Excessive alias count indicates a resource exhaustion attack");
  });
});

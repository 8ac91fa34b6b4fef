// Issue 16: the fast paths of `string(pattern:)` (src/builtins/regex/fast.ts) answer exactly as re2js does
// (and as JavaScript's `u`-mode `RegExp`) on generated patterns of the shapes they take (literals with and
// without anchors, one anchored class with a quantifier) and random inputs with non-ASCII characters,
// surrogate pairs, lone surrogates, newlines and line separators; other shapes are left to re2js.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compilePolicy, type PolicyRequest } from "mcppolicy";
import { compileLinearPattern } from "../src/builtins/regex/regex.js";
import { fastPatternTest } from "../src/builtins/regex/fast.js";

const re2 = (p: string) => {
  const c = compileLinearPattern(p, "", "re2");
  if ("error" in c) throw new Error(`${p}: ${c.error}`);
  return c.test;
};

/** Input pieces: ASCII, syntax characters, non-ASCII, a surrogate pair, lone surrogates, line breaks. */
const PIECES = ["a", "z", "A", "Q", "0", "7", "_", "-", ".", "/", "$", "^", "]", "\\", " ", "\n", "\r", "\u2028", "é", "😀", "\uD83D", "\uDE00", "K", "\u212A", "ǅ"];
const input = fc.array(fc.constantFrom(...PIECES), { maxLength: 14 }).map((xs) => xs.join(""));

/** A literal piece: its pattern spelling and the text it matches. */
const LIT: Array<[string, string]> = [
  ["a", "a"], ["b", "b"], ["Z", "Z"], ["0", "0"], ["-", "-"], ["_", "_"], ["/", "/"], [" ", " "], ["é", "é"], ["😀", "😀"],
  ["\\.", "."], ["\\$", "$"], ["\\^", "^"], ["\\*", "*"], ["\\/", "/"], ["\\\\", "\\"], ["\\(", "("], ["\\]", "]"], ["\\{", "{"], ["\\|", "|"], ["\n", "\n"],
];
const literal = fc.record({
  parts: fc.array(fc.constantFrom(...LIT), { maxLength: 5 }),
  start: fc.boolean(),
  end: fc.boolean(),
});

const ATOMS = ["a", "z", "0", "_", "a-z", "A-Z", "0-9", "!-/", "\\d", "\\w", "\\-", "\\.", "\\]", "\\\\", "\\^", ".", "$", "+", "/", "(", "|", " ", "~"];
const QUANTS = ["", "+", "*", "{2}", "{0,3}", "{1,}", "{3,5}", "{0}"];
const klass = fc.oneof(
  fc.record({ negated: fc.boolean(), dashFirst: fc.boolean(), dashLast: fc.boolean(), atoms: fc.array(fc.constantFrom(...ATOMS), { minLength: 1, maxLength: 4 }) })
    .map(({ negated, dashFirst, dashLast, atoms }) => `[${negated ? "^" : ""}${dashFirst ? "-" : ""}${atoms.join("")}${dashLast ? "-" : ""}]`),
  fc.constantFrom("\\d", "\\w"),
);
const classPattern = fc.tuple(klass, fc.constantFrom(...QUANTS)).map(([k, q]) => `^${k}${q}$`);

describe("string(pattern:) fast paths", () => {
  it("a literal, anchored or not, answers as re2js and as RegExp with the u flag", () => {
    fc.assert(
      fc.property(literal, input, input, fc.boolean(), ({ parts, start, end }, pre, post, embed) => {
        const p = `${start ? "^" : ""}${parts.map((x) => x[0]).join("")}${end ? "$" : ""}`;
        const text = parts.map((x) => x[1]).join("");
        const fast = fastPatternTest(p);
        expect(fast, p).toBeDefined();
        for (const s of [pre, embed ? pre + text + post : post, text, text + post, pre + text]) {
          const want = re2(p)(s);
          expect(fast!(s), `${JSON.stringify(p)} on ${JSON.stringify(s)}`).toBe(want);
          expect(new RegExp(p, "u").test(s)).toBe(want);
        }
      }),
      { numRuns: 400 },
    );
  });

  it("one anchored class with a quantifier answers as re2js and as RegExp with the u flag", () => {
    fc.assert(
      fc.property(classPattern, fc.array(input, { minLength: 1, maxLength: 6 }), (p, inputs) => {
        const fast = fastPatternTest(p);
        expect(fast, p).toBeDefined();
        const slow = re2(p);
        for (const s of inputs) {
          const want = slow(s);
          expect(fast!(s), `${JSON.stringify(p)} on ${JSON.stringify(s)}`).toBe(want);
          expect(new RegExp(p, "u").test(s)).toBe(want);
        }
      }),
      { numRuns: 600 },
    );
  });

  it("the pattern builtin takes the fast path and still refuses non-strings", () => {
    const auto = compileLinearPattern("^[a-z0-9_-]+$");
    if ("error" in auto) throw new Error(auto.error);
    expect(auto.test("read_file-2")).toBe(true);
    expect(auto.test("Read")).toBe(false);
    expect(auto.test("")).toBe(false);
    expect(auto.test(42 as unknown as string)).toBe(false);
    // Errors are re2js's, fast path or not: a bad quantifier is still refused.
    expect("error" in compileLinearPattern("^a{2,1}$")).toBe(true);
  });

  it("leaves every other shape to re2js", () => {
    for (const p of ["(?i)abc", "a|b", "^.+$", "^\\s+$", "^[é]+$", "^[a-z-_]+$", "^[\\d-x]+$", "^[]$", "^[^]+$", "^[a-z]+?$", "^[a-z]+", "[a-z]+$", "^(ab)+$", "\\bword", "^a{2,1}$", "ab\\u0041", "x\\-y", "^\\d\\d$"]) {
      expect(fastPatternTest(p), p).toBeUndefined();
    }
  });

  it("a policy's argument pattern decides the same on the fast path as on the interpreter", () => {
    const policy = compilePolicy(
      [
        'policy "fast" version "1.0.0"',
        "default deny",
        "role dev {",
        "  allow tool t",
        "}",
        "tool t {",
        "  args {",
        '    id: string(pattern: "^[a-z0-9_-]{1,8}$")',
        '    tag: string(pattern: "^v")',
        "  }",
        "}",
      ].join("\n"),
    );
    for (const [id, tag, effect] of [["abc_1", "v1", "allow"], ["ABC", "v1", "deny"], ["abc", "x1", "deny"], ["toolongname", "v2", "deny"], ["é", "v3", "deny"]] as const) {
      const req: PolicyRequest = { method: "tools/call", tool: "t", principal: { roles: ["dev"] }, arguments: { id, tag } };
      const d = policy.decide(req);
      expect(d.effect, `${id} ${tag}`).toBe(effect);
      expect(policy.interpret(req)).toEqual(d);
    }
  });
});

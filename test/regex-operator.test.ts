/**
 * Issue 11, regular expressions and syntax hints: the `re"..."` token (raw, and `re` stays a name
 * elsewhere), `matches re"..."` through the analysis and the testing kit, the pattern flags, and the
 * parse-error rewrites (`&&`, `'...'`, `10/minute`) never letting a mistaken text compile.
 * Semantics on both evaluators are conformance data (test/conformance/regex-matches.yaml).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canRoleCall, checkPolicy, compilePolicy } from "mcppolicy";
import * as kit from "mcppolicy/testing";
import { patternProblem } from "../src/builtins/registry.js";
import { compileLinearPattern } from "../src/builtins/regex/regex.js";

const errors = (text: string) => checkPolicy(text, { filename: "t.mcppolicy" }).diagnostics.filter((d) => d.severity === "error");

describe("the re\"...\" token", () => {
  it("leaves `re` a name: a role, an argument, a claim, a constant, a set", () => {
    const text = `policy "t"
const re = "x"
set rex: string = ["a"]
role re { allow tool t when args.re == re and principal.claims.re in rex }
role dev includes re { allow tool u when has args.re }
`;
    expect(errors(text)).toEqual([]);
  });

  it("is raw: backslashes are the pattern's own, \\\" is a quote", () => {
    const p = compilePolicy(`policy "t"
role dev {
  allow tool a when args.s matches re"^\\d+\\.txt$"
  allow tool b when args.s matches re"^say \\"hi\\"$"
  allow tool c when args.s matches re"^\\\\$"
}
`);
    const call = (tool: string, s: string) => p.decide({ principal: { roles: ["dev"] }, tool, arguments: { s } }).effect;
    expect(call("a", "12.txt")).toBe("allow");
    expect(call("a", "12xtxt")).toBe("deny");
    expect(call("b", 'say "hi"')).toBe("allow");
    expect(call("c", "\\")).toBe("allow");
    expect(call("c", "\\\\")).toBe("deny");
  });

  it("is refused anywhere but right of `matches` (E0230)", () => {
    for (const cond of ['args.q == re"a"', 'args.q != re"a"', 'args.q contains re"a"', 'args.q in re"a"']) {
      expect(errors(`policy "t"\nrole dev { allow tool t when ${cond} }\n`).map((d) => d.code), cond).toEqual(["E0230"]);
    }
  });
});

describe("pattern flags", () => {
  it("accept only `i`, inline or given", () => {
    expect(patternProblem("^a$", "i")).toBeUndefined();
    expect(patternProblem("(?i)^a$")).toBeUndefined();
    expect(patternProblem("x(?i:a)y")).toBeUndefined();
    for (const f of ["g", "m", "s", "u", "y", "im", "I", " i"]) expect(patternProblem("^a$", f)?.kind, f).toBe("invalid-flags");
    for (const p of ["(?m)^a$", "(?s).", "(?U)a+", "(?-i:a)", "(?im)a", "a(?x)b"]) expect(patternProblem(p)?.kind, p).toBe("not-linear");
  });

  it("fold case the way JavaScript's `iu` does, on sampled patterns and inputs", () => {
    const atoms = ["a", "k", "s", "ß", "σ", "ǅ", "[a-c]", "[^x]", "\\w", ".", "\\p{Lu}", "é", "İ", "ﬀ"];
    const inputs = ["A", "a", "K", "\u212a", "S", "\u017f", "ẞ", "ß", "ς", "Σ", "Ǆ", "ǆ", "É", "i", "ı", "İ", "FF", "ﬀ", "x", "X", "😀"];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...atoms), { minLength: 1, maxLength: 3 }), fc.array(fc.constantFrom(...inputs), { maxLength: 3 }), (parts, chars) => {
        const src = `^${parts.join("")}$`;
        const s = chars.join("");
        const linear = compileLinearPattern(src, "i");
        if ("error" in linear) throw new Error(linear.error);
        expect(linear.test(s), `${src} on ${JSON.stringify(s)}`).toBe(new RegExp(src, "iu").test(s));
        const inline = compileLinearPattern(`(?i)${src}`);
        if ("error" in inline) throw new Error(inline.error);
        expect(inline.test(s)).toBe(linear.test(s));
      }),
      { numRuns: 400 },
    );
  });
});

describe("matches re\"...\" in the assurance tools", () => {
  const policy = compilePolicy(`policy "t"
role dev {
  allow tool deploy when args.env matches re"(?i)^(staging|qa)-[0-9]+$"
  deny tool deploy when args.env matches re"(?i)prod"
}
`);

  it("the analysis answers `depends` with witnesses that decide confirms", () => {
    const v = canRoleCall(policy, "dev", "deploy");
    expect(v.answer).toBe("depends");
    expect(policy.decide(v.witness.allowed!).effect).toBe("allow");
    expect(policy.decide(v.witness.denied!).effect).toBe("deny");
  });

  it("the testing kit's generated requests reach both outcomes", () => {
    const effects = new Set<string>();
    kit.forAllRequests(policy, { holding: "dev", tool: "deploy" }, (_req, d) => {
      effects.add(d.effect);
      return true;
    });
    expect([...effects].sort()).toEqual(["allow", "deny"]);
  });
});

describe("syntax-mistake rewrites", () => {
  const base = `policy "t"
role dev {
  allow tool read when principal.id == "a" and args.n > 2
}
limit rate 10 per minute
`;
  const mistakes: Array<[RegExp | string, string]> = [
    [" and ", " && "],
    [" and ", " || "],
    ["when ", "when !"],
    ['"a"', "'a'"],
    ["10 per minute", "10/minute"],
    ["==", "="],
    ["==", "=~"],
    ['== "a"', 'matches /^a$/'],
  ];

  it("each mistake is an error, never a policy that compiles", () => {
    expect(errors(base)).toEqual([]);
    for (const [from, to] of mistakes) {
      const text = base.replace(from, to);
      const errs = errors(text);
      expect(errs.length, text).toBeGreaterThanOrEqual(1);
      expect(errs[0]!.hint, text).toBeDefined();
    }
  });

  it("mistaken characters anywhere never crash and never compile (every position, every mistake)", () => {
    const junks = ["&&", "||", "!", "'", "'x'", "/", " / ", "=", "=~", "~", " matches /a/ ", " matches /a"];
    for (let at = 0; at <= base.length; at++) {
      for (const junk of junks) {
        const text = base.slice(0, at) + junk + base.slice(at);
        const r = checkPolicy(text, { filename: "t.mcppolicy" });
        // Inside a string or a comment the characters are text; elsewhere they are always an error.
        const inString = (base.slice(0, at).match(/"/g) ?? []).length % 2 === 1;
        // `=` right after `>` (or `<`, `!`, `=`) writes another valid operator (`> 2` becomes `>= 2`): not a mistake.
        const formsOperator = junk === "=" && /[<>!=]$/.test(base.slice(0, at));
        if (!inString && !formsOperator) expect(r.diagnostics.some((d) => d.severity === "error"), JSON.stringify(text)).toBe(true);
      }
    }
  });
});

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileLinearPattern, MAX_PATTERN_LENGTH, type LinearPattern } from "../../src/builtins/regex/regex.js";

function re(source: string): LinearPattern {
  const r = compileLinearPattern(source);
  if (!("test" in r)) throw new Error(`${source}: ${r.error}`);
  return r;
}

function fault(source: string): { error: string; hint?: string } {
  const r = compileLinearPattern(source);
  if ("test" in r) throw new Error(`${source}: expected a compile error`);
  return r;
}

describe("compileLinearPattern: typical patterns", () => {
  it("anchored character classes", () => {
    const p = re("^[a-z0-9_./-]+$");
    expect(p.test("src/index.ts")).toBe(true);
    expect(p.test("a_b-c.d/e")).toBe(true);
    expect(p.test("Src/index.ts")).toBe(false);
    expect(p.test("src/in dex.ts")).toBe(false);
    expect(p.test("")).toBe(false);
    expect(p.test("ok\n")).toBe(false); // `$` is the very end, not before a final newline
  });

  it("counted repetition and \\d", () => {
    const p = re("^\\d{3}-\\d{4}$");
    expect(p.test("555-1234")).toBe(true);
    expect(p.test("555-12345")).toBe(false);
    expect(p.test("55-1234")).toBe(false);
    expect(p.test("٥٥٥-١٢٣٤")).toBe(false); // \d is ASCII, as in JavaScript
  });

  it("unicode property classes", () => {
    const p = re("^\\p{L}+$");
    expect(p.test("héllo")).toBe(true);
    expect(p.test("Ελληνικά")).toBe(true);
    expect(p.test("日本語")).toBe(true);
    expect(p.test("abc1")).toBe(false);
    expect(re("^\\p{Lu}\\p{Ll}*$").test("Zoë")).toBe(true);
    expect(re("^\\P{L}+$").test("123 !")).toBe(true);
    expect(re("^\\p{Letter}+$").test("abc")).toBe(true);
    expect(re("^\\p{Script=Greek}+$").test("αβγ")).toBe(true);
    expect(re("^\\p{sc=Greek}+$").test("abc")).toBe(false);
    expect(re("^[\\p{ASCII}]+$").test("plain")).toBe(true);
    expect(re("\\P{ASCII}").test("plain")).toBe(false);
    expect(re("\\P{ASCII}").test("naïve")).toBe(true);
  });

  it("alternation, groups and anchors", () => {
    const p = re("^(?:get|list|read)_[a-z]+$");
    expect(p.test("get_file")).toBe(true);
    expect(p.test("list_dirs")).toBe(true);
    expect(p.test("delete_file")).toBe(false);
    expect(p.test("xget_file")).toBe(false);
    expect(re("^(?<verb>get|put)$").test("put")).toBe(true);
  });

  it("is an unanchored search, like RegExp.prototype.test", () => {
    expect(re("secret").test("my-secret-file")).toBe(true);
    expect(re("^secret").test("my-secret-file")).toBe(false);
    expect(re("file$").test("my-secret-file")).toBe(true);
    expect(re("").test("anything")).toBe(true);
    expect(re("").test("")).toBe(true);
  });

  it("word boundaries are ASCII, as in JavaScript", () => {
    const p = re("\\bdrop\\b");
    expect(p.test("please drop it")).toBe(true);
    expect(p.test("dropbox")).toBe(false);
    expect(p.test("backdrop")).toBe(false);
    expect(p.test("drop.")).toBe(true);
    expect(re("\\Bop\\b").test("drop")).toBe(true);
  });

  it("works on code points: astral characters and lone surrogates", () => {
    expect(re("^.$").test("😀")).toBe(true);
    expect(re("^..$").test("😀")).toBe(false);
    expect(re("^\\u{1F600}$").test("😀")).toBe(true);
    expect(re("^\\uD83D\\uDE00$").test("😀")).toBe(true);
    expect(re("^\\u0041$").test("A")).toBe(true);
    expect(re("^.$").test("\uD800")).toBe(true);
  });

  it("JavaScript meanings where RE2 differs: dot, \\s, [] and [^], [ in a class, \\c, [\\b]", () => {
    for (const lt of ["\n", "\r", "\u2028", "\u2029"]) expect(re("^.$").test(lt)).toBe(false);
    expect(re("^\\s$").test("\u00a0")).toBe(true);
    expect(re("^\\s$").test("\u000b")).toBe(true);
    expect(re("^\\s$").test("\ufeff")).toBe(true);
    expect(re("^\\S$").test("\u3000")).toBe(false);
    expect(re("^[\\S]$").test("x")).toBe(true);
    expect(re("^[^]$").test("\n")).toBe(true);
    expect(re("[]").test("")).toBe(false);
    expect(re("[]").test("anything")).toBe(false);
    expect(re("^[[]$").test("[")).toBe(true);
    expect(re("^[[:alpha:]]$").test("a")).toBe(false); // not a POSIX class in JavaScript
    expect(re("^\\cJ$").test("\n")).toBe(true);
    expect(re("^[\\b]$").test("\b")).toBe(true);
  });

  it("\\s and \\S agree with JavaScript on every BMP code point and a few astral ones", () => {
    const s = re("^\\s$");
    const S = re("^[\\S]$");
    const js = /^\s$/u;
    const mismatches: number[] = [];
    const cps = [...Array.from({ length: 0x10000 }, (_, i) => i), 0x10000, 0x1f600, 0x10ffff];
    for (const cp of cps) {
      const ch = String.fromCodePoint(cp);
      const want = js.test(ch);
      if (s.test(ch) !== want || S.test(ch) === want) mismatches.push(cp);
    }
    expect(mismatches).toEqual([]);
  });

  it("the returned test never throws: a non-string is false", () => {
    const p = re("a");
    for (const v of [undefined, null, 1, {}, ["a"], Symbol("a")]) expect(p.test(v as unknown as string)).toBe(false);
  });
});

describe("compileLinearPattern: refused constructs", () => {
  it("lookaround", () => {
    const cases: Array<[string, RegExp]> = [
      ["(?=x)", /^lookahead \(\?=\.\.\.\) cannot run in linear time$/],
      ["a(?!x)", /^negative lookahead \(\?!\.\.\.\) cannot run in linear time$/],
      ["(?<=x)a", /^lookbehind \(\?<=\.\.\.\) cannot run in linear time$/],
      ["(?<!x)a", /^negative lookbehind \(\?<!\.\.\.\) cannot run in linear time$/],
    ];
    for (const [p, msg] of cases) {
      const f = fault(p);
      expect(f.error, p).toMatch(msg);
      expect(f.hint).toBe("rewrite without lookaround, or split the check into two patterns");
    }
  });

  it("backreferences", () => {
    expect(fault("(a)\\1").error).toBe("backreference \\1 cannot run in linear time");
    expect(fault("(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)\\10").error).toBe("backreference \\10 cannot run in linear time");
    expect(fault("(?<q>['\"]).*\\k<q>").error).toBe("backreference \\k<q> cannot run in linear time");
    expect(fault("(a)\\1").hint).toMatch(/repeated text/);
  });

  it("a lookaround-looking sequence inside a class or escaped is fine", () => {
    expect(re("[(?=]").test("=")).toBe(true);
    expect(re("\\(?=").test("=")).toBe(true);
  });

  it("other syntax RE2 rejects is reported in readable words", () => {
    const cases: Array<[string, RegExp]> = [
      ["[a-z", /^invalid pattern: missing closing \] `\[a-z`$/],
      ["(ab", /^invalid pattern: missing closing \) `\(ab`$/],
      ["ab)", /^invalid pattern: unexpected \)/],
      ["a**", /^invalid pattern: invalid nested repetition operator `\*\*`$/],
      ["a++", /^invalid pattern: invalid nested repetition operator/],
      ["a{1001}", /^invalid pattern: invalid repeat count `\{1001\}`$/],
      ["\\e", /^invalid pattern: invalid escape sequence `\\e`$/],
      ["\\p{NoSuchProperty}", /^invalid pattern: invalid character class range/],
      ["a\\", /^invalid pattern: trailing backslash/],
      ["*a", /^invalid pattern: missing argument to repetition operator/],
      ["\\u12", /^invalid unicode escape/],
      ["\\u{110000}", /^invalid unicode escape/],
      ["(?s).", /^inline flag s is not supported$/],
      ["\\p{scx=Greek}", /^unicode property scx= is not supported$/],
    ];
    for (const [p, msg] of cases) {
      const f = fault(p);
      expect(f.error, p).toMatch(msg);
      expect(f.error, p).toMatch(/^[a-z]/);
      expect(f.error, p).not.toMatch(/error parsing regexp/);
    }
    expect(fault("a{1001}").hint).toMatch(/1000/);
    expect(fault("(a{1,1000}){1,1000}").error).toMatch(/expression too large/);
  });

  it("non-strings and over-long patterns", () => {
    expect(fault(42 as unknown as string).error).toBe("pattern must be a string");
    expect(fault("a".repeat(MAX_PATTERN_LENGTH + 1)).error).toMatch(/pattern is too long/);
    expect("test" in compileLinearPattern("a".repeat(MAX_PATTERN_LENGTH))).toBe(true);
  });
});

describe("compileLinearPattern: agrees with JavaScript RegExp (u flag)", () => {
  // A small grammar of patterns both engines accept and read alike.
  const atom = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom("a", "b", "c", "-", " ", "1", "_", "é", "😀", "\\.", "\\$") },
    { weight: 3, arbitrary: fc.constantFrom(".", "\\d", "\\D", "\\w", "\\W", "\\s", "\\S", "\\p{L}", "\\P{L}", "\\u0061", "\\u{1F600}") },
    { weight: 2, arbitrary: fc.constantFrom("[ab]", "[^a-c]", "[\\s\\d]", "[\\S]", "[^\\s]", "[a-z_]", "[.]", "[-a]", "[^]", "[]") },
    { weight: 1, arbitrary: fc.constantFrom("^", "$", "\\b", "\\B") },
  );
  const quant = fc.constantFrom("", "", "", "*", "+", "?", "{1,2}", "{2}", "*?");
  const pattern: fc.Arbitrary<string> = fc.letrec<{ alt: string; seq: string; piece: string }>((tie) => ({
    alt: fc.oneof({ depthSize: "small", withCrossShrink: true, maxDepth: 3 }, tie("seq"), fc.tuple(tie("seq"), tie("seq")).map(([x, y]) => `${x}|${y}`)),
    seq: fc.array(tie("piece"), { minLength: 0, maxLength: 4 }).map((xs) => xs.join("")),
    piece: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      fc.tuple(atom, quant).map(([a, q]) => (/^[$^]|\\[bB]$/.test(a) ? a : a + q)),
      fc.tuple(fc.constantFrom("(", "(?:"), tie("alt"), quant).map(([o, a, q]) => `${o}${a})${q}`),
    ),
  })).alt;
  const input = fc
    .array(fc.constantFrom("a", "b", "c", "-", " ", "1", "_", ".", "é", "😀", "\n", "\r", "\u00a0", "\u2028", "Z", "\uD800"), { maxLength: 10 })
    .map((xs) => xs.join(""));

  // The oracle: does JavaScript find a match that starts on a code point boundary? V8 also tries
  // the position between the two halves of a surrogate pair (`/\B/u` matches "a😀a" at index 2),
  // which the spec's AdvanceStringIndex skips and which a code-point engine has no name for.
  function jsMatchesAtCodePoint(p: string, s: string): boolean {
    const sticky = new RegExp(p, "uy");
    let at = 0;
    for (const ch of [...Array.from(s), ""]) {
      sticky.lastIndex = at;
      if (sticky.test(s)) return true;
      at += ch.length;
    }
    return false;
  }

  it("the oracle skips the middle of a surrogate pair", () => {
    expect(new RegExp("\\B", "u").test("a😀a")).toBe(true); // V8's reading
    expect(jsMatchesAtCodePoint("\\B", "a😀a")).toBe(false);
    const ours = compileLinearPattern("\\B");
    expect("test" in ours && ours.test("a😀a")).toBe(false);
  });

  it("same answer on sampled patterns and strings", () => {
    fc.assert(
      fc.property(pattern, fc.array(input, { minLength: 1, maxLength: 6 }), (p, strings) => {
        const ours = compileLinearPattern(p);
        expect("test" in ours, `pattern ${JSON.stringify(p)}`).toBe(true);
        if (!("test" in ours)) return;
        for (const s of strings) expect(ours.test(s), `${JSON.stringify(p)} on ${JSON.stringify(s)}`).toBe(jsMatchesAtCodePoint(p, s));
      }),
      { numRuns: 300 },
    );
  });
});

describe("compileLinearPattern: ReDoS classics run in linear time", () => {
  const short = "a".repeat(30) + "!";
  const long = "a".repeat(100_000) + "!";
  const longClean = "a".repeat(100_000);
  // [pattern, on `a…a!`, on `a…a`] — the results JavaScript would give if it ever finished.
  const cases: Array<[string, boolean, boolean]> = [
    ["(a+)+$", false, true],
    ["^(a+)+$", false, true],
    ["(a|aa)+$", false, true],
    ["(a|a)*$", true, true], // zero repetitions at the very end
    ["^(\\w+\\s?)*$", false, true],
    ["(.*a){20}", true, true],
    ["^(.*a){20}$", false, true],
    ["(x+x+)+y", false, false],
  ];

  it("correct answers on 31-character and 100 KB attack inputs", () => {
    const started = Date.now();
    for (const [p, onBang, onClean] of cases) {
      const r = re(p);
      expect(r.test(short), `${p} on short`).toBe(onBang);
      expect(r.test(long), `${p} on 100 KB`).toBe(onBang);
      expect(r.test(longClean), `${p} on 100 KB clean`).toBe(onClean);
    }
    // Not a timing assertion proper (CI machines vary): a backtracking engine would take years here.
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it("JavaScript agrees on the short inputs where it still finishes", () => {
    for (const [p, onBang] of cases.filter(([p]) => p !== "(.*a){20}" && p !== "^(.*a){20}$")) {
      expect(new RegExp(p, "u").test("a".repeat(12) + "!"), p).toBe(onBang);
    }
  });
});

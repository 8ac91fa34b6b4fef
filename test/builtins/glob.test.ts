import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileNameGlob, compileUriGlob, globFill, globIsLiteral, globLiteral, isAmbiguousUri } from "../../src/builtins/glob/glob.js";
import { globProblem, type GlobPlace } from "../../src/builtins/glob/glob-syntax.js";

/** Reference: a (slow, backtracking) regex translation of the same glob semantics. */
function reference(pattern: string, uri: boolean): RegExp {
  let re = "";
  for (let i = 0; i < pattern.length; ) {
    const cp = pattern.codePointAt(i)!;
    const ch = String.fromCodePoint(cp);
    if (ch === "*") {
      let run = 1;
      while (pattern[i + run] === "*") run++;
      re += uri && run === 1 ? "[^/]*" : uri ? "[^]*" : "[^]*";
      i += run;
      continue;
    }
    // `[c]`: exactly one code point in brackets is that character, literally.
    const inner = ch === "[" ? String.fromCodePoint(pattern.codePointAt(i + 1) ?? 0x5b) : "";
    if (ch === "[" && i + 1 < pattern.length && pattern[i + 1 + inner.length] === "]") {
      re += inner.replace(/[\\^$.*+?()[\]{}|/]/g, "\\$&");
      i += inner.length + 2;
      continue;
    }
    re += ch === "?" ? (uri ? "[^/]" : "[^]") : ch.replace(/[\\^$.*+?()[\]{}|/]/g, "\\$&");
    i += ch.length;
  }
  return new RegExp(`^(?:${re})$`, "u");
}

describe("compileNameGlob", () => {
  it("matches literals exactly", () => {
    const m = compileNameGlob("read_file");
    expect(m("read_file")).toBe(true);
    expect(m("read_file2")).toBe(false);
    expect(m("Read_file")).toBe(false);
  });

  it("`*` matches everything, including the empty string", () => {
    const m = compileNameGlob("*");
    expect(m("")).toBe(true);
    expect(m("anything.at/all")).toBe(true);
    expect(m(42 as unknown as string)).toBe(false);
  });

  it("`*` crosses dots; `?` is one code point", () => {
    expect(compileNameGlob("fs.*")("fs.read.deep")).toBe(true);
    expect(compileNameGlob("fs.*")("fs.")).toBe(true);
    expect(compileNameGlob("fs.*")("fsx")).toBe(false);
    expect(compileNameGlob("*_file")("write_file")).toBe(true);
    expect(compileNameGlob("*_file")("write_files")).toBe(false);
    expect(compileNameGlob("a?c")("abc")).toBe(true);
    expect(compileNameGlob("a?c")("ac")).toBe(false);
    expect(compileNameGlob("a?c")("a😀c")).toBe(true);
    expect(compileNameGlob("a*b*c")("axxbyyc")).toBe(true);
    expect(compileNameGlob("a*b*c")("axxbyy")).toBe(false);
  });

  it("`[c]` is the character c itself: the literal form of wildcards and reserved characters", () => {
    expect(compileNameGlob("a[*]")("a*")).toBe(true);
    expect(compileNameGlob("a[*]")("ab")).toBe(false);
    expect(compileNameGlob("what[?]")("what?")).toBe(true);
    expect(compileNameGlob("what[?]")("whatx")).toBe(false);
    expect(compileNameGlob("*[$][(]*")("echo $(id)")).toBe(true);
    expect(compileNameGlob("*[$][(]*")("echo $HOME")).toBe(false);
    expect(compileNameGlob("*[|]*")("a | b")).toBe(true);
    expect(compileNameGlob("*[|]*")("a b")).toBe(false);
    expect(compileNameGlob("[[]x[]]")("[x]")).toBe(true);
    expect(compileNameGlob("[😀]?")("😀a")).toBe(true);
    expect(compileUriGlob("https://x/wiki/a_[(]b[)]/**")("https://x/wiki/a_(b)/c/d")).toBe(true);
  });

  it("reads what the checker refuses literally (patterns that never went through the checker)", () => {
    expect(compileNameGlob("a.b")("axb")).toBe(false);
    expect(compileNameGlob("(x)+*")("(x)+y")).toBe(true);
    expect(compileNameGlob("(x)+*")("xx")).toBe(false);
    expect(compileNameGlob("[ab]*")("a")).toBe(false);
    expect(compileNameGlob("^$|\\*")("^$|\\z")).toBe(true);
  });

  it("has no catastrophic backtracking", () => {
    const m = compileNameGlob("*a*a*a*a*a*a*a*b");
    const t0 = Date.now();
    expect(m("a".repeat(20_000))).toBe(false);
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it("agrees with a regex reference on random inputs", () => {
    const alpha = fc.constantFrom("a", "b", ".", "/", "*", "?", "😀", "[", "]");
    fc.assert(
      fc.property(fc.array(alpha, { maxLength: 8 }), fc.array(fc.constantFrom("a", "b", ".", "/", "😀", "*", "?", "[", "]"), { maxLength: 10 }), (p, s) => {
        const pattern = p.join("");
        const subject = s.join("");
        const lit = globLiteral(pattern);
        if (lit !== undefined) expect(reference(pattern, false).test(subject)).toBe(subject === lit);
        expect(compileNameGlob(pattern)(subject)).toBe(reference(pattern, false).test(subject));
        expect(compileUriGlob(pattern)(subject)).toBe(reference(pattern, true).test(subject));
      }),
      { numRuns: 2000 },
    );
  });

  it("never throws on random patterns and subjects", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), fc.string({ unit: "binary" }), (p, s) => {
        expect(typeof compileNameGlob(p)(s)).toBe("boolean");
        expect(typeof compileUriGlob(p)(s)).toBe("boolean");
      }),
    );
  });
});

describe("compileUriGlob", () => {
  it("`**` crosses segments, `*` and `?` stay within one", () => {
    const all = compileUriGlob("file:///workspace/**");
    expect(all("file:///workspace/a/b/c.txt")).toBe(true);
    expect(all("file:///workspace/")).toBe(true);
    expect(all("file:///workspacex/a")).toBe(false);
    expect(all("file:///etc/passwd")).toBe(false);
    const one = compileUriGlob("file:///workspace/*.md");
    expect(one("file:///workspace/README.md")).toBe(true);
    expect(one("file:///workspace/docs/README.md")).toBe(false);
    const q = compileUriGlob("db://table/?");
    expect(q("db://table/x")).toBe(true);
    expect(q("db://table//")).toBe(false);
    expect(compileUriGlob("**.json")("a/b/c.json")).toBe(true);
    expect(compileUriGlob("a/**/z")("a/b/c/z")).toBe(true);
    expect(compileUriGlob("a/**/z")("a/b/c/y")).toBe(false);
  });

  it("a literal URI pattern matches only itself", () => {
    expect(compileUriGlob("config://app")("config://app")).toBe(true);
    expect(compileUriGlob("config://app")("config://app/")).toBe(false);
  });
});

describe("globIsLiteral", () => {
  it("is true only without wildcards", () => {
    expect(globIsLiteral("read_file")).toBe(true);
    expect(globIsLiteral("fs.*")).toBe(false);
    expect(globIsLiteral("a?")).toBe(false);
    expect(globIsLiteral("a[?]")).toBe(true);
    expect(globLiteral("a[?][*]")).toBe("a?*");
    expect(globLiteral("a[?]*")).toBe(undefined);
  });
});

describe("globFill", () => {
  it("gives a text the glob matches, reading [c] as c", () => {
    expect(globFill("why[?]*", "x", "x/y", "x")).toBe("why?x");
    expect(globFill("file:///ws/**/*.md", "x", "x/y", "x")).toBe("file:///ws/x/y/x.md");
    const alpha = fc.constantFrom("a", ".", "/", "*", "?", "[", "]", "😀");
    fc.assert(
      fc.property(fc.array(alpha, { maxLength: 10 }), (p) => {
        const pattern = p.join("");
        expect(compileNameGlob(pattern)(globFill(pattern, "x", "x", "x"))).toBe(true);
        expect(compileUriGlob(pattern)(globFill(pattern, "x", "x/y", "x"))).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });
});

describe("globProblem", () => {
  const places: GlobPlace[] = ["tool", "prompt", "resource", "matches"];

  it("accepts the documented syntax everywhere", () => {
    const ok = ["read_file", "*", "fs.*", "git_*_read", "tool?", "db.?.query", "a[*]", "*[|]*", "[.]*rc", "[!]important", "a.b-c_d", "x/y:z"];
    for (const place of places) for (const p of ok) expect(globProblem(p, place), `${place} ${p}`).toBeUndefined();
    for (const p of ["file:///workspace/**", "file:///ws/*.md", "https://h/a?b", "https://h/p%20q"]) expect(globProblem(p, "resource"), p).toBeUndefined();
    for (const p of ["CN=agent-*", "release/*", "", " padded ", "tab\there"]) expect(globProblem(p, "matches"), JSON.stringify(p)).toBeUndefined();
  });

  it("refuses classes, alternatives, regular-expression syntax and negation everywhere", () => {
    const bad = [
      "[a-z]*", "[ab]", "[!a]*", "a[", "a]", "[]", "x{a,b}", "{a,b}*", "a}", "^admin", "admin$", "^.*$", "a|b", "(a)", "a+",
      "\\d*", "file\\.txt", ".*admin", ".*", "!secret_*",
    ];
    for (const place of places) for (const p of bad) expect(globProblem(p, place), `${place} ${p}`).toBeDefined();
  });

  // Issue 11: `.*` right after `_` or `-` in a name is regular-expression intent (names never put a
  // dot there); a dot after a letter or `*` is a literal namespace dot (`fs.*`, `*.*`), a legal glob.
  it("refuses `_.*`, `-.*`, `_.?` in names, keeps `fs.*`, `*.*`, `a.*.b` legal", () => {
    for (const p of ["github__.*", "github-.*", "delete_.?", "svc_.*_read"]) {
      for (const place of ["tool", "prompt"] as const) expect(globProblem(p, place), `${place} ${p}`).toBeDefined();
    }
    expect(globProblem("github__.*", "tool")!.hint).toContain("`github__*`");
    for (const p of ["fs.*", "*.*", "a.*.b", "github.*", "v1.?"]) for (const place of places) expect(globProblem(p, place), `${place} ${p}`).toBeUndefined();
    // In values and URIs a dot after `_` is plausible text (`file:///srv/my_.env*`): only names refuse it.
    expect(globProblem("my_.*", "matches")).toBeUndefined();
    expect(globProblem("file:///srv/my_.*", "resource")).toBeUndefined();
  });

  it("refuses names that no valid request can carry, in name places only", () => {
    for (const p of ["", " read_file", "read_file ", "a\u0000b", "a\nb", "a\u0085b"]) {
      expect(globProblem(p, "tool"), JSON.stringify(p)).toBeDefined();
      expect(globProblem(p, "prompt"), JSON.stringify(p)).toBeDefined();
    }
  });

  it("hints at the right construct for the place", () => {
    expect(globProblem("^a.*$", "matches")!.hint).toContain('matches re"..."');
    expect(globProblem("[a-z]+", "matches")!.hint).toContain('matches re"..."');
    expect(globProblem("^delete_", "tool")!.hint).toContain('tool.name matches re"..."');
    expect(globProblem("file:///(a|b)", "resource")!.hint).toContain('resource.uri matches re"..."');
    expect(globProblem("a|b", "matches")!.hint).toContain("`or`");
    expect(globProblem("a|b", "tool")!.hint).toContain("`tool` set");
    expect(globProblem("x{a,b}", "tool")!.hint).toContain('tool "a*", "b*"');
    expect(globProblem("[a-z]", "tool")!.what).toContain("`[a-z]`");
    expect(globProblem("a$", "resource")!.hint).toContain("`[$]`");
  });

  it("never throws, and what it accepts has no unbracketed reserved character", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), fc.constantFrom(...places), (p, place) => {
        const problem = globProblem(p, place);
        if (problem === undefined) {
          const outside = p.replace(/\[[^]\]|\[[\ud800-\udbff][\udc00-\udfff]\]/gu, "");
          expect(outside).not.toMatch(/[[\]{}()|^$+\\]/);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe("isAmbiguousUri", () => {
  it("accepts ordinary URIs", () => {
    for (const u of ["file:///workspace/a.txt", "file:///workspace/.hidden", "https://x.test/a..b/c", "db://t/%20x", "file:///a/...", ""]) {
      expect(isAmbiguousUri(u), u).toBe(false);
    }
  });

  it("rejects dot segments, encoded forms, backslashes and control characters", () => {
    const bad = [
      "file:///workspace/../etc/passwd",
      "file:///workspace/./a",
      "file:///workspace/..",
      "file:///workspace/.",
      "file:///workspace/%2e%2e/etc",
      "file:///workspace/%2E./etc",
      "file:///workspace/.%2e/etc",
      "file:///workspace/%2e/etc",
      "file:///workspace/..%2fetc",
      "file:///workspace/a%2Fb",
      "file:///workspace/a%5cb",
      "file:///workspace/%252e%252e/etc",
      "file:///workspace/%c0%ae%c0%ae/etc",
      "file:///workspace\\..\\etc",
      "file:///workspace/a\u0000b",
      "file:///workspace/a\nb",
      "file:///workspace/a\u007fb",
      "..",
    ];
    for (const u of bad) expect(isAmbiguousUri(u), JSON.stringify(u)).toBe(true);
  });

  it("treats non-strings as ambiguous", () => {
    expect(isAmbiguousUri(undefined as unknown as string)).toBe(true);
    expect(isAmbiguousUri({} as unknown as string)).toBe(true);
  });

  it("never throws", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (s) => {
        expect(typeof isAmbiguousUri(s)).toBe("boolean");
      }),
    );
  });
});

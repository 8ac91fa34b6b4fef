/**
 * URI templates (eval/core/templates.ts), the reading behind resources/templates/list: what parses,
 * what is an expansion, which witnesses are tried; and that a hostile template (many reserved
 * expansions against long seeds) is matched without backtracking blow-up (it returns; no timing asserted).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { matchesTemplate, MAX_WITNESSES, parseTemplate, patternSample, witnesses, type UriTemplate } from "../src/eval/core/templates.js";

const parse = (s: string): UriTemplate => {
  const t = parseTemplate(s);
  if (typeof t === "string") throw new Error(`${s}: ${t}`);
  return t;
};

describe("parseTemplate", () => {
  it("reads the RFC 6570 operators and modifiers", () => {
    for (const s of ["file:///{a}", "file:///{+a}", "x://h{/a,b}", "x://h/p{.ext}", "x://h/p{;a}", "x://h/p{?a,b}", "x://h/p?x=1{&a}", "x://h/p{#frag}", "x://{a:3}", "x://{list*}", "x://{a.b}", "x://{%41}", "no-variables"]) {
      expect(typeof parseTemplate(s)).toBe("object");
    }
  });

  it("refuses malformed templates with a reason", () => {
    for (const s of ["x://{a", "x://a}", "x://{}", "x://{+}", "x://{=a}", "x://{a{b}}", "x://{a b}", "x://{a:0}", "x://{a:10000}", "x://{a..b}", "x://{-a}", "x".repeat(3000)]) {
      expect(typeof parseTemplate(s)).toBe("string");
    }
  });

  it("samples every variable as `x`", () => {
    expect(parse("file:///ws/{name}").sample).toBe("file:///ws/x");
    expect(parse("x://h{/a,b}{?q,r}").sample).toBe("x://h/x/x?q=x&r=x");
    expect(parse("x://h/{a,b}{#f}").sample).toBe("x://h/x,x#x");
  });
});

describe("matchesTemplate", () => {
  it("a simple variable is one run of unreserved characters (no `/`)", () => {
    const t = parse("file:///ws/{name}");
    expect(matchesTemplate(t, "file:///ws/a.txt")).toBe(true);
    expect(matchesTemplate(t, "file:///ws/d/b.txt")).toBe(false);
    expect(matchesTemplate(t, "file:///ws/")).toBe(false);
    expect(matchesTemplate(t, "file:///other/a")).toBe(false);
  });

  it("a reserved variable may hold `/`", () => {
    const t = parse("file:///{+path}");
    expect(matchesTemplate(t, "file:///ws/d/b.txt")).toBe(true);
    expect(matchesTemplate(t, "file:///ws/a b")).toBe(false);
  });

  it("a prefix modifier bounds the length", () => {
    const t = parse("x://{a:3}/y");
    expect(matchesTemplate(t, "x://abc/y")).toBe(true);
    expect(matchesTemplate(t, "x://abcd/y")).toBe(false);
  });

  it("every template matches its own sample (property)", () => {
    const part = fc.constantFrom("a", "/", ":", "-", "{x}", "{+p}", "{/s,t}", "{?q,r}", "{&z}", "{.e}", "{;m}", "{#f}", "{v:2}", "{w*}");
    fc.assert(
      fc.property(fc.array(part, { minLength: 1, maxLength: 12 }), (parts) => {
        const t = parse(`s://h/${parts.join("")}`);
        expect(matchesTemplate(t, t.sample)).toBe(true);
      }),
    );
  });

  it("a hostile template against a long seed returns (no backtracking)", () => {
    const t = parse(`x://${"{+a}".repeat(200)}!`);
    expect(matchesTemplate(t, `x://${"a".repeat(5000)}`)).toBe(false);
    expect(witnesses(t, [`x://${"a/".repeat(2000)}`]).length).toBeGreaterThanOrEqual(1);
  });
});

describe("witnesses", () => {
  it("a glob's sample writes its wildcards as `x` and bracketed characters as themselves", () => {
    expect(patternSample("file:///ws/**")).toBe("file:///ws/x");
    expect(patternSample("db://users/*")).toBe("db://users/x");
    expect(patternSample("a?b[*]c")).toBe("axb*c");
  });

  it("are the sample, the seeds that are expansions, and the template filled with the seeds' words", () => {
    const t = parse("db://{table}/rows");
    expect(witnesses(t, ["db://users/x", "file:///etc/passwd"])).toEqual(["db://x/rows", "db://db/rows", "db://users/rows", "db://file/rows", "db://etc/rows", "db://passwd/rows"]);
  });

  it("every witness is an expansion, and there are at most MAX_WITNESSES (property)", () => {
    const seed = fc.stringMatching(/^[a-z]{1,3}:\/\/[a-z/.*]{0,12}$/);
    const tpl = fc.constantFrom("a://{x}", "a://h/{+p}", "b://{t}/rows", "a://h{/s}{?q}", "a://{x:2}.{y}");
    fc.assert(
      fc.property(tpl, fc.array(seed, { maxLength: 120 }), (text, seeds) => {
        const t = parse(text);
        const ws = witnesses(t, seeds);
        expect(ws.length).toBeLessThanOrEqual(MAX_WITNESSES);
        for (const w of ws) expect(matchesTemplate(t, w)).toBe(true);
      }),
    );
  });
});

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BUILTIN_CIDR_SETS, CidrSet } from "../../src/builtins/cidr/cidr.js";
import { DomainSet } from "../../src/builtins/domain/domain.js";
import { compileUrlCheck } from "../../src/builtins/url/url.js";

function cidr(items: string[]): CidrSet {
  const r = CidrSet.from(items);
  if (!("set" in r)) throw new Error(r.error);
  return r.set;
}
function domains(items: string[]): DomainSet {
  const r = DomainSet.from(items);
  if (!("set" in r)) throw new Error(r.error);
  return r.set;
}

const internal = cidr(BUILTIN_CIDR_SETS.internal!);

describe("compileUrlCheck: deny ranges", () => {
  const check = compileUrlCheck({ schemes: ["https", "http"], deny: internal });

  it("accepts public URLs", () => {
    for (const u of ["https://example.com/", "http://example.com:8080/a?b=c#d", "https://8.8.8.8/", "https://[2606:4700::1111]/", "HTTPS://Example.COM/"]) {
      expect(check(u), u).toBeNull();
    }
  });

  it("denies internal addresses in every spelling WHATWG normalises", () => {
    for (const u of [
      "http://127.0.0.1/",
      "http://2130706433/",
      "http://0x7f.1/",
      "http://0177.0.0.1/",
      "http://127.1/",
      "http://0x7f000001/",
      "http://%31%32%37.0.0.1/",
      "http://[::1]/",
      "http://[::ffff:127.0.0.1]/",
      "http://[::ffff:7f00:1]/",
      "http://169.254.169.254/latest/meta-data",
      "http://[fd00:ec2::254]/",
      "http://10.0.0.1:8080/",
      "http://0.0.0.0/",
      "http://127.0.0.1./",
    ]) {
      expect(check(u), u).toMatch(/denied address range/);
    }
  });

  it("denies localhost names when loopback is denied", () => {
    expect(check("http://localhost/")).toMatch(/loopback/);
    expect(check("http://api.LOCALHOST./")).toMatch(/loopback/);
    expect(compileUrlCheck({})("http://localhost/")).toBeNull();
  });
});

describe("compileUrlCheck: raw-string screening", () => {
  const check = compileUrlCheck({ schemes: ["https"] });
  it("denies userinfo, backslash, whitespace and control characters", () => {
    const cases: Array<[unknown, RegExp]> = [
      ["https://user@example.com/", /userinfo/],
      ["https://user:pw@example.com/", /userinfo/],
      ["https://:pw@example.com/", /userinfo/],
      ["https://@example.com/", /userinfo/],
      ["https:@example.com/", /userinfo/],
      ["https:///@example.com/", /userinfo/],
      ["https://example.com\\@evil.com/", /backslash/],
      ["https://evil.com\\.example.com/", /backslash/],
      ["https://example.com/a b", /whitespace/],
      [" https://example.com/", /whitespace/],
      ["https://example.com/\u00a0", /whitespace/],
      ["https://exa\tmple.com/", /control character/],
      ["https://example.com/\n", /control character/],
      ["https://example.com/\u0000", /control character/],
      ["http://example.com/", /scheme `http` is not allowed/],
      ["javascript:alert(1)", /scheme `javascript`/],
      ["file:///etc/passwd", /scheme `file`/],
      ["//example.com/", /not a valid absolute url/],
      ["example.com", /not a valid absolute url/],
      ["https://", /not a valid absolute url/],
      ["", /empty/],
      [42, /must be a string/],
      [null, /must be a string/],
      [`https://example.com/${"a".repeat(9000)}`, /longer than/],
    ];
    for (const [u, re] of cases) expect(check(u), JSON.stringify(u)).toMatch(re);
  });

  it("accepts @ in path, query and fragment", () => {
    expect(check("https://example.com/a@b?c=@d#@e")).toBeNull();
  });

  it("defaults to http and https when no schemes are given", () => {
    const d = compileUrlCheck({});
    expect(d("http://a.test/")).toBeNull();
    expect(d("https://a.test/")).toBeNull();
    expect(d("ftp://a.test/")).toMatch(/scheme/);
    expect(compileUrlCheck({ schemes: ["WSS:"] })("wss://a.test/")).toBeNull();
  });
});

describe("compileUrlCheck: hosts, allow ranges and ports", () => {
  it("only allows hosts in the domain set; an IP never matches it", () => {
    const check = compileUrlCheck({ hosts: domains(["api.github.com", "*.example.com"]) });
    expect(check("https://api.github.com/repos")).toBeNull();
    expect(check("https://API.GITHUB.COM./repos")).toBeNull();
    expect(check("https://a.example.com/")).toBeNull();
    expect(check("https://api.github.com.evil.com/")).toMatch(/not allowed/);
    expect(check("https://example.com/")).toMatch(/not allowed/);
    expect(check("https://140.82.112.5/")).toMatch(/ip address/);
    expect(check("https://[::1]/")).toMatch(/ip address|denied/);
    expect(check("https://xn--80ak6aa92e.com/")).toMatch(/not allowed/);
    expect(check("https://аpple.com/")).toMatch(/not allowed/);
  });

  it("requires IP hosts to be in `allow`, with deny winning", () => {
    const check = compileUrlCheck({ allow: cidr(["10.0.0.0/8"]), deny: cidr(["10.0.0.1"]) });
    expect(check("http://10.1.2.3/")).toBeNull();
    expect(check("http://11.1.2.3/")).toMatch(/not in an allowed address range/);
    expect(check("http://10.0.0.1/")).toMatch(/denied address range/);
    expect(check("http://[::ffff:10.2.3.4]/")).toBeNull();
    expect(check("http://localhost/")).toMatch(/loopback/);
  });

  it("checks ports, with scheme defaults", () => {
    const check = compileUrlCheck({ schemes: ["http", "https"], ports: [443, 8443] });
    expect(check("https://a.test/")).toBeNull();
    expect(check("https://a.test:8443/")).toBeNull();
    expect(check("https://a.test:443/")).toBeNull();
    expect(check("http://a.test/")).toMatch(/port 80 is not allowed/);
    expect(check("https://a.test:22/")).toMatch(/port 22/);
  });

  it("refuses numeric-looking opaque hosts of non-special schemes", () => {
    const check = compileUrlCheck({ schemes: ["redis"], deny: internal });
    expect(check("redis://0x7f.1/")).toMatch(/non-canonical ip/);
    expect(check("redis://2130706433/")).toMatch(/non-canonical ip/);
    expect(check("redis://127.0.0.1/")).toMatch(/denied/);
    expect(check("redis://cache.internal.test:6379/")).toBeNull();
  });

  it("never throws", () => {
    const check = compileUrlCheck({ hosts: domains(["*.test"]), deny: internal, ports: [443] });
    const piece = fc.constantFrom("https://", "http:", "//", "@", ":", "[", "]", "::1", "127.0.0.1", "a.test", "/", "\\", "%2e", "0x7f", "?", "#", " ");
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: "binary" }), fc.array(piece, { maxLength: 8 }).map((a) => a.join(""))), (s) => {
        const r = check(s);
        expect(r === null || typeof r === "string").toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});

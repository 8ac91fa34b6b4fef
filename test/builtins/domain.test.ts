import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DomainSet } from "../../src/builtins/domain/domain.js";

function set(items: string[]): DomainSet {
  const r = DomainSet.from(items);
  if (!("set" in r)) throw new Error(`${r.error}: ${r.item}`);
  return r.set;
}

describe("DomainSet", () => {
  const s = set(["api.github.com", "*.example.com", "Docs.Python.org."]);

  it("matches exact names case-insensitively, with one optional trailing dot", () => {
    expect(s.has("api.github.com")).toBe(true);
    expect(s.has("API.GitHub.COM")).toBe(true);
    expect(s.has("api.github.com.")).toBe(true);
    expect(s.has("docs.python.org")).toBe(true);
    expect(s.has("api.github.com..")).toBe(false);
  });

  it("does not match look-alikes of an exact name", () => {
    for (const h of ["api.github.com.evil.com", "evilapi.github.com", "x.api.github.com", "github.com", "api-github.com", "api.github.co"]) {
      expect(s.has(h), h).toBe(false);
    }
  });

  it("wildcards need at least one more label", () => {
    expect(s.has("a.example.com")).toBe(true);
    expect(s.has("a.b.example.com")).toBe(true);
    expect(s.has("A.EXAMPLE.COM.")).toBe(true);
    for (const h of ["example.com", ".example.com", "evilexample.com", "example.com.evil.net", "a..example.com", "..example.com", "a.example.co"]) {
      expect(s.has(h), h).toBe(false);
    }
  });

  it("never matches malformed or non-ascii hosts", () => {
    const any = set(["*.com", "k.com"]);
    for (const h of ["", ".", "a.com/x", "a.com:443", "a b.com", "a.com\u0000", "\u212a.com", "ａ.com", "-a.com", "a-.com", `${"a".repeat(64)}.com`]) {
      expect(any.has(h), JSON.stringify(h)).toBe(false);
    }
    for (const v of [undefined, null, 5, {}, ["a.com"]]) expect(any.has(v as unknown as string)).toBe(false);
    expect(any.has("x.com")).toBe(true);
  });

  it("rejects invalid items", () => {
    for (const item of ["", "*", "*.", "a.*.com", "*example.com", "ex*ample.com", "https://a.com", "a.com/x", "a..com", ".a.com", "a.com:80", "bücher.de", " a.com"]) {
      const r = DomainSet.from([item]);
      expect("error" in r, item).toBe(true);
      if ("error" in r) expect(r.item).toBe(item);
    }
    expect("set" in DomainSet.from(["xn--bcher-kva.de", "_dmarc.example.com", "localhost"])).toBe(true);
  });

  it("never throws on random items or hosts", () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: "binary" }), { maxLength: 3 }), fc.string({ unit: "binary" }), (items, host) => {
        const r = DomainSet.from(items);
        if ("set" in r) expect(typeof r.set.has(host)).toBe("boolean");
        else expect(typeof r.error).toBe("string");
      }),
    );
  });

  it("a wildcard matches exactly the hosts that end with `.suffix` and have no empty label", () => {
    const label = fc.stringMatching(/^[a-z0-9]{1,5}$/);
    fc.assert(
      fc.property(fc.array(label, { minLength: 1, maxLength: 3 }), fc.array(label, { minLength: 0, maxLength: 3 }), (suffix, prefix) => {
        const sfx = suffix.join(".");
        const host = [...prefix, sfx].join(".");
        expect(set([`*.${sfx}`]).has(host)).toBe(prefix.length > 0);
      }),
    );
  });
});

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BUILTIN_CIDR_SETS, CidrSet } from "../../src/builtins/cidr/cidr.js";
import { compileIpCheck } from "../../src/builtins/ip/ip.js";

function cidr(items: string[]): CidrSet {
  const r = CidrSet.from(items);
  if (!("set" in r)) throw new Error(r.error);
  return r.set;
}

describe("compileIpCheck", () => {
  const check = compileIpCheck({ allow: cidr(["10.0.0.0/8", "2001:db8::/32"]), deny: cidr(["10.0.0.0/24"]) });

  it("accepts addresses in allow and not in deny", () => {
    expect(check("10.1.2.3")).toBeNull();
    expect(check("2001:db8::5")).toBeNull();
    expect(check("::ffff:10.9.9.9")).toBeNull();
  });

  it("denies addresses outside allow or inside deny", () => {
    expect(check("11.0.0.1")).toMatch(/not in an allowed/);
    expect(check("10.0.0.7")).toMatch(/denied/);
    expect(check("::ffff:10.0.0.7")).toMatch(/denied/);
  });

  it("denies non-canonical spellings and non-strings", () => {
    for (const v of ["10.1", "012.1.2.3", "167772161", "0xa.1.2.3", " 10.1.2.3", "[2001:db8::5]", "fe80::1%eth0", "", "host"]) {
      expect(check(v), v).toMatch(/canonical/);
    }
    for (const v of [undefined, null, 167772161, {}, ["10.1.2.3"]]) expect(check(v)).toMatch(/must be a string/);
  });

  it("without sets accepts any canonical address", () => {
    const any = compileIpCheck({});
    expect(any("127.0.0.1")).toBeNull();
    expect(any("::")).toBeNull();
    expect(any("127.1")).toMatch(/canonical/);
  });

  it("deny-only blocks the internal ranges", () => {
    const pub = compileIpCheck({ deny: cidr(BUILTIN_CIDR_SETS.internal!) });
    expect(pub("8.8.8.8")).toBeNull();
    expect(pub("169.254.169.254")).toMatch(/denied/);
    expect(pub("::ffff:127.0.0.1")).toMatch(/denied/);
  });

  it("never throws", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: "binary" }), fc.ipV4(), fc.ipV6()), (s) => {
        const r = check(s);
        expect(r === null || typeof r === "string").toBe(true);
      }),
    );
  });
});

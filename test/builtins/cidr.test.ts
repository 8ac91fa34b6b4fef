import fc from "fast-check";
import ipaddr from "ipaddr.js";
import { describe, expect, it } from "vitest";
import { BUILTIN_CIDR_SETS, CidrSet, parseIpStrict } from "../../src/builtins/cidr/cidr.js";

function set(items: string[]): CidrSet {
  const r = CidrSet.from(items);
  if (!("set" in r)) throw new Error(`${r.error}: ${r.item}`);
  return r.set;
}

describe("parseIpStrict", () => {
  it("accepts canonical IPv4 and every legal IPv6 spelling", () => {
    const ok: Array<[string, string]> = [
      ["127.0.0.1", "127.0.0.1"],
      ["0.0.0.0", "0.0.0.0"],
      ["255.255.255.255", "255.255.255.255"],
      ["::1", "0:0:0:0:0:0:0:1"],
      ["::", "0:0:0:0:0:0:0:0"],
      ["0000:0000:0000:0000:0000:0000:0000:0001", "0:0:0:0:0:0:0:1"],
      ["2001:DB8::1", "2001:db8:0:0:0:0:0:1"],
      ["1::", "1:0:0:0:0:0:0:0"],
      ["1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"],
      ["::ffff:1.2.3.4", "0:0:0:0:0:ffff:102:304"],
      ["::1.2.3.4", "0:0:0:0:0:0:102:304"],
      ["64:ff9b::10.0.0.1", "64:ff9b:0:0:0:0:a00:1"],
    ];
    for (const [s, norm] of ok) {
      const ip = parseIpStrict(s);
      expect(ip, s).not.toBeNull();
      expect(ip!.toNormalizedString()).toBe(norm);
    }
  });

  it("rejects non-canonical, decorated and malformed forms", () => {
    const bad = [
      "2130706433", "0x7f.1", "0x7f.0.0.1", "0177.0.0.1", "127.1", "127.000.0.1", "01.2.3.4", "256.0.0.1",
      "1.2.3.4.5", " 1.2.3.4", "1.2.3.4 ", "1.2.3.4\n", "fe80::1%eth0", "[::1]", " ::1", "::1 ", "1::2::3",
      "1:2:3:4:5:6:7:8:9", "00000::1", "::ffff:01.2.3.4", "::ffff:1.2.3", "1.2.3.4::", "::1.2.3.4:1", ":1::", "1:2:3:4:5:6:7:8::",
      "", "localhost", "::g",
    ];
    for (const s of bad) expect(parseIpStrict(s), JSON.stringify(s)).toBeNull();
    for (const v of [undefined, null, 2130706433, {}, ["1.2.3.4"]]) expect(parseIpStrict(v)).toBeNull();
  });

  it("agrees with ipaddr.js's four-part-decimal check on IPv4-shaped strings", () => {
    const part = fc.oneof(fc.nat(300).map(String), fc.constantFrom("0", "00", "01", "0x1", "255", "256", "", " 1", "1e2"));
    fc.assert(
      fc.property(fc.array(part, { minLength: 1, maxLength: 5 }), (ps) => {
        const s = ps.join(".");
        expect(parseIpStrict(s) !== null).toBe(ipaddr.IPv4.isValidFourPartDecimal(s));
      }),
      { numRuns: 2000 },
    );
  });

  it("never throws", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (s) => {
        const ip = parseIpStrict(s);
        expect(ip === null || ip.kind() === "ipv4" || ip.kind() === "ipv6").toBe(true);
      }),
    );
  });

  it("round-trips every IPv4 and IPv6 address it prints", () => {
    fc.assert(
      fc.property(fc.ipV4(), (s) => {
        expect(parseIpStrict(s)?.toString()).toBe(s);
      }),
    );
    fc.assert(
      fc.property(fc.ipV6(), (s) => {
        // Reference: WHATWG's IPv6 parser (ipaddr.js reads `::a.b.c.d` as IPv4-mapped, which it is not).
        const whatwg = new URL(`http://[${s}]/`).hostname.slice(1, -1);
        expect(parseIpStrict(s)?.toNormalizedString()).toBe(ipaddr.parse(whatwg).toNormalizedString());
      }),
    );
  });
});

describe("CidrSet", () => {
  it("matches ranges and single addresses", () => {
    const s = set(["10.0.0.0/8", "192.168.1.7", "fd00::/8", "2001:db8::1"]);
    expect(s.hasString("10.255.0.1")).toBe(true);
    expect(s.hasString("11.0.0.0")).toBe(false);
    expect(s.hasString("9.255.255.255")).toBe(false);
    expect(s.hasString("192.168.1.7")).toBe(true);
    expect(s.hasString("192.168.1.8")).toBe(false);
    expect(s.hasString("fd12:3456::1")).toBe(true);
    expect(s.hasString("fe00::1")).toBe(false);
    expect(s.hasString("2001:db8::1")).toBe(true);
    expect(s.hasString("2001:db8::2")).toBe(false);
    expect(s.size).toBe(4);
  });

  it("judges IPv4-mapped IPv6 by the IPv4 part", () => {
    const s = set(["127.0.0.0/8"]);
    expect(s.hasString("::ffff:127.0.0.1")).toBe(true);
    expect(s.hasString("::ffff:7f00:1")).toBe(true);
    expect(s.hasString("::ffff:8.8.8.8")).toBe(false);
    // ::127.0.0.1 is IPv4-compatible, not mapped.
    expect(s.hasString("::127.0.0.1")).toBe(false);
    const m = set(["::ffff:10.0.0.0/104"]);
    expect(m.hasString("10.1.2.3")).toBe(true);
    expect(m.hasString("11.1.2.3")).toBe(false);
  });

  it("normalises host bits and merges overlapping ranges", () => {
    const s = set(["10.1.2.3/8", "10.0.0.0/9", "11.0.0.0/8", "0.0.0.0/0"]);
    expect(s.hasString("1.2.3.4")).toBe(true);
    const e = set(["10.1.2.3/8"]);
    expect(e.hasString("10.200.0.0")).toBe(true);
    const v6 = set(["2001:db8::ffff/32", "::/0"]);
    expect(v6.hasString("1::")).toBe(true);
    expect(set(["::/0"]).hasString("1.2.3.4")).toBe(false);
    expect(set([]).hasString("1.2.3.4")).toBe(false);
  });

  it("boundaries are inclusive and exact", () => {
    const s = set(["172.16.0.0/12", "fe80::/10"]);
    expect(s.hasString("172.16.0.0")).toBe(true);
    expect(s.hasString("172.31.255.255")).toBe(true);
    expect(s.hasString("172.32.0.0")).toBe(false);
    expect(s.hasString("172.15.255.255")).toBe(false);
    expect(s.hasString("febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff")).toBe(true);
    expect(s.hasString("fec0::")).toBe(false);
  });

  it("reports invalid items", () => {
    for (const item of ["10.0.0.0/33", "::/129", "10.0.0.0/08", "10.0.0.0/", "10.0.0.0/-1", "10.1/8", "0x0a.0.0.0/8", "fe80::1%eth0/64", "x", "", " 10.0.0.0/8", "10.0.0.0/8 "]) {
      const r = CidrSet.from([item]);
      expect("error" in r, item).toBe(true);
      if ("error" in r) expect(r.item).toBe(item);
    }
  });

  it("returns null for unparseable strings and false for garbage ips", () => {
    const s = set(["0.0.0.0/0", "::/0"]);
    expect(s.hasString("127.1")).toBeNull();
    expect(s.hasString(7 as unknown as string)).toBeNull();
    expect(s.has({} as unknown as ipaddr.IPv4)).toBe(false);
    expect(s.has(null as unknown as ipaddr.IPv4)).toBe(false);
  });

  it("agrees with ipaddr.js match() on random addresses", () => {
    fc.assert(
      fc.property(fc.ipV4(), fc.integer({ min: 0, max: 32 }), fc.ipV4(), (net, len, probe) => {
        const s = set([`${net}/${len}`]);
        expect(s.hasString(probe)).toBe(ipaddr.IPv4.parse(probe).match(ipaddr.IPv4.parse(net), len));
      }),
    );
    fc.assert(
      fc.property(fc.ipV6(), fc.integer({ min: 0, max: 128 }), fc.ipV6(), (net, len, probe) => {
        const n = parseIpStrict(net) as ipaddr.IPv6;
        const p = parseIpStrict(probe) as ipaddr.IPv6;
        fc.pre(!p.isIPv4MappedAddress());
        const s = set([`${net}/${len}`]);
        expect(s.hasString(probe)).toBe(p.match(n, len));
      }),
    );
  });

  it("never throws on random items or probes", () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: "binary" }), { maxLength: 4 }), fc.string({ unit: "binary" }), (items, probe) => {
        const r = CidrSet.from(items);
        if ("set" in r) expect([true, false, null]).toContain(r.set.hasString(probe));
        else expect(typeof r.error).toBe("string");
      }),
    );
  });
});

describe("BUILTIN_CIDR_SETS", () => {
  it("all compile", () => {
    for (const [name, items] of Object.entries(BUILTIN_CIDR_SETS)) expect("set" in CidrSet.from(items), name).toBe(true);
  });

  it("internal covers the usual SSRF targets and nothing public", () => {
    const internal = set(BUILTIN_CIDR_SETS.internal!);
    for (const a of ["127.0.0.1", "10.1.1.1", "172.20.0.1", "192.168.0.1", "169.254.169.254", "100.64.0.1", "0.0.0.0", "::1", "::", "fe80::1", "fd00:ec2::254", "fc00::1", "255.255.255.255", "::ffff:169.254.169.254"]) {
      expect(internal.hasString(a), a).toBe(true);
    }
    for (const a of ["8.8.8.8", "1.1.1.1", "2606:4700::1111", "224.0.0.1", "64:ff9b::808:808", "2002::1"]) expect(internal.hasString(a), a).toBe(false);
  });

  it("has the named sets and a null prototype", () => {
    for (const n of ["loopback", "private", "link_local", "cgnat", "unspecified", "metadata", "unique_local", "multicast", "nat64", "sixtofour", "broadcast", "internal"]) {
      expect(Array.isArray(BUILTIN_CIDR_SETS[n]), n).toBe(true);
    }
    expect("constructor" in BUILTIN_CIDR_SETS).toBe(false);
    expect(set(BUILTIN_CIDR_SETS.multicast!).hasString("ff02::1")).toBe(true);
  });
});

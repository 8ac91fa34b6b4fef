// Strict IP parsing and precompiled CIDR sets.
// Guarantees: parseIpStrict accepts only canonical dotted-quad IPv4 and legal IPv6 spellings (no zone,
// brackets, whitespace, or the integer/hex/octal/short IPv4 forms) and never throws. A CidrSet is merged
// into sorted ranges at construction; `has` is a binary search (a few comparisons), never throws, and
// judges an IPv4-mapped IPv6 address (::ffff:a.b.c.d) by its IPv4 part. ipaddr.js loads on the first
// address parsed (source/deps.ts), not at import; if it cannot load, no address parses (null: denied).
import type { IPv4, IPv6 } from "ipaddr.js";
import { ipaddr } from "../../source/deps.js";

export type Ip = IPv4 | IPv6;

const HEX4 = /^[0-9a-fA-F]{1,4}$/;
/** Canonical dotted quad: what ipaddr.IPv4.isValidFourPartDecimal accepts, without its try/catch cost. */
const QUAD = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

/** Parse an IP address strictly; null when it is not one, or not in a canonical spelling. */
export function parseIpStrict(s: unknown): Ip | null {
  if (typeof s !== "string" || s.length === 0 || s.length > 45) return null;
  try {
    if (s.indexOf(":") < 0) {
      const o = quad(s);
      return o ? new (ipaddr().IPv4)(o) : null;
    }
    const parts = parseIpv6Parts(s);
    return parts ? new (ipaddr().IPv6)(parts) : null;
  } catch {
    return null;
  }
}

function quad(s: string): number[] | null {
  const m = QUAD.exec(s);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4])] : null;
}

/** Our own IPv6 grammar (RFC 4291 2.2): ipaddr.js reads `::1.2.3.4` as IPv4-mapped, which it is not. */
function parseIpv6Parts(s: string): number[] | null {
  const dbl = s.indexOf("::");
  if (dbl >= 0 && s.indexOf("::", dbl + 1) >= 0) return null;
  const left = words(dbl >= 0 ? s.slice(0, dbl) : s, dbl < 0);
  const right = dbl >= 0 ? words(s.slice(dbl + 2), true) : [];
  if (!left || !right) return null;
  const n = left.length + right.length;
  if (dbl < 0) return n === 8 ? left : null;
  if (n > 7) return null;
  return [...left, ...new Array<number>(8 - n).fill(0), ...right];
}

/** 16-bit words of colon-separated groups; a dotted quad is allowed only as the final group. */
function words(text: string, last: boolean): number[] | null {
  const out: number[] = [];
  if (text === "") return out;
  const groups = text.split(":");
  for (let i = 0; i < groups.length; i++) {
    const g = groups[i]!;
    const o = !HEX4.test(g) && last && i === groups.length - 1 ? quad(g) : null;
    if (o) out.push((o[0]! << 8) | o[1]!, (o[2]! << 8) | o[3]!);
    else if (HEX4.test(g)) out.push(parseInt(g, 16));
    else return null;
  }
  return out;
}

/** IPv4 as an unsigned 32-bit number. */
function v4num(ip: IPv4): number {
  const o = ip.octets;
  return ((o[0]! << 24) | (o[1]! << 16) | (o[2]! << 8) | o[3]!) >>> 0;
}

/** IPv6 as four unsigned 32-bit words, most significant first. */
type V6 = readonly [number, number, number, number];

function v6words(p: readonly number[]): V6 {
  return [((p[0]! << 16) | p[1]!) >>> 0, ((p[2]! << 16) | p[3]!) >>> 0, ((p[4]! << 16) | p[5]!) >>> 0, ((p[6]! << 16) | p[7]!) >>> 0];
}

function cmp4(a: number, b: number): number {
  return a - b;
}

function cmp6(a: V6, b: V6): number {
  for (let i = 0; i < 4; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

/** First (high = false) or last address of the prefix, as V6. */
function v6Bound(w: V6, prefix: number, high: boolean): V6 {
  const out = [0, 0, 0, 0];
  for (let i = 0; i < 4; i++) {
    const bits = Math.max(0, Math.min(32, prefix - i * 32));
    const mask = bits === 0 ? 0 : bits === 32 ? 0xffffffff : (0xffffffff << (32 - bits)) >>> 0;
    out[i] = (high ? (w[i]! & mask) | ~mask : w[i]! & mask) >>> 0;
  }
  return out as unknown as V6;
}

function isMapped(p: readonly number[]): boolean {
  return p[0] === 0 && p[1] === 0 && p[2] === 0 && p[3] === 0 && p[4] === 0 && p[5] === 0xffff;
}

function v4text(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}

function v6text(w: V6): string {
  const parts: number[] = [];
  for (const x of w) parts.push(x >>> 16, x & 0xffff);
  return new (ipaddr().IPv6)(parts).toString();
}

/** The address one above (+1) or below (-1) `w`, or null past either end of the space. */
function v6step(w: V6, by: 1 | -1): V6 | null {
  const out = [...w];
  for (let i = 3; i >= 0; i--) {
    const x = out[i]! + by;
    if (x >= 0 && x <= 0xffffffff) {
      out[i] = x;
      return out as unknown as V6;
    }
    out[i] = by > 0 ? 0 : 0xffffffff;
  }
  return null;
}

type Range<T> = readonly [T, T];

/** Sort and merge overlapping ranges (and adjacent ones, when `adjacent` says so). */
function merge<T>(ranges: Range<T>[], cmp: (a: T, b: T) => number, adjacent: (end: T, start: T) => boolean): Range<T>[] {
  ranges.sort((x, y) => cmp(x[0], y[0]));
  const out: [T, T][] = [];
  for (const r of ranges) {
    const last = out[out.length - 1];
    if (last && (cmp(r[0], last[1]) <= 0 || adjacent(last[1], r[0]))) {
      if (cmp(r[1], last[1]) > 0) last[1] = r[1];
    } else out.push([r[0], r[1]]);
  }
  return out;
}

function search<T>(ranges: readonly Range<T>[], x: T, cmp: (a: T, b: T) => number): boolean {
  let lo = 0;
  let hi = ranges.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const r = ranges[mid]!;
    if (cmp(x, r[0]) < 0) hi = mid - 1;
    else if (cmp(x, r[1]) > 0) lo = mid + 1;
    else return true;
  }
  return false;
}

const PREFIX = /^(0|[1-9][0-9]{0,2})$/;

/** A set of IPv4/IPv6 ranges, merged and sorted at construction. */
export class CidrSet {
  private constructor(
    private readonly v4: readonly Range<number>[],
    private readonly v6: readonly Range<V6>[],
    /** Number of items the set was built from. */
    readonly size: number,
  ) {}

  static from(items: string[]): { set: CidrSet } | { error: string; item: string } {
    const v4: Range<number>[] = [];
    const v6: Range<V6>[] = [];
    if (!Array.isArray(items)) return { error: "cidr items must be a list", item: "" };
    for (const item of items) {
      if (typeof item !== "string") return { error: "cidr item is not a string", item: String(item) };
      const slash = item.indexOf("/");
      const addr = slash < 0 ? item : item.slice(0, slash);
      const ip = parseIpStrict(addr);
      if (!ip) return { error: `\`${addr}\` is not a canonical ip address`, item };
      const max = ip.kind() === "ipv4" ? 32 : 128;
      let prefix = max;
      if (slash >= 0) {
        const p = item.slice(slash + 1);
        if (!PREFIX.test(p) || Number(p) > max) return { error: `bad prefix length \`/${p}\` (0..${max})`, item };
        prefix = Number(p);
      }
      if (ip.kind() === "ipv4") {
        const n = v4num(ip as IPv4);
        const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
        v4.push([(n & mask) >>> 0, (n | ~mask) >>> 0]);
      } else {
        const parts = (ip as IPv6).parts;
        const w = v6words(parts);
        const lo = v6Bound(w, prefix, false);
        const hi = v6Bound(w, prefix, true);
        v6.push([lo, hi]);
        // A range inside ::ffff:0:0/96 also covers the IPv4 addresses it maps.
        if (prefix >= 96 && isMapped(parts)) v4.push([lo[3], hi[3]]);
      }
    }
    const v4m = merge(v4, cmp4, (end, start) => end + 1 === start);
    const v6m = merge(v6, cmp6, () => false);
    return { set: new CidrSet(v4m, v6m, items.length) };
  }

  /** Membership; an IPv4-mapped IPv6 address is judged by its IPv4 part (and by the IPv6 ranges). */
  has(ip: Ip): boolean {
    try {
      if (ip.kind() === "ipv4") return search(this.v4, v4num(ip as IPv4), cmp4);
      const p = (ip as IPv6).parts;
      if (isMapped(p) && search(this.v4, ((p[6]! << 16) | p[7]!) >>> 0, cmp4)) return true;
      return search(this.v6, v6words(p), cmp6);
    } catch {
      return false;
    }
  }

  /**
   * Representative addresses, for analysis witnesses: each range's first and last address and the
   * addresses just outside it. Canonical spellings, at most `max` of them; membership is not implied
   * (a neighbour may fall in another range), so callers test with `has`.
   */
  samples(max = 64): string[] {
    const out: string[] = [];
    const push = (s: string) => {
      if (out.length < max && !out.includes(s)) out.push(s);
    };
    for (const [lo, hi] of this.v4) {
      for (const n of [lo, hi, lo - 1, hi + 1]) if (n >= 0 && n <= 0xffffffff) push(v4text(n));
    }
    for (const [lo, hi] of this.v6) {
      push(v6text(lo));
      push(v6text(hi));
      const below = v6step(lo, -1);
      const above = v6step(hi, 1);
      if (below) push(v6text(below));
      if (above) push(v6text(above));
    }
    return out;
  }

  /** Membership of an address string; null when it does not parse strictly. */
  hasString(s: string): boolean | null {
    const ip = parseIpStrict(s);
    return ip ? this.has(ip) : null;
  }
}

const SETS = {
  loopback: ["127.0.0.0/8", "::1/128"],
  private: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"],
  link_local: ["169.254.0.0/16", "fe80::/10"],
  cgnat: ["100.64.0.0/10"],
  unspecified: ["0.0.0.0/8", "::/128"],
  metadata: ["169.254.169.254/32", "fd00:ec2::254/128"],
  unique_local: ["fc00::/7"],
  broadcast: ["255.255.255.255/32"],
  multicast: ["224.0.0.0/4", "ff00::/8"],
  nat64: ["64:ff9b::/96"],
  sixtofour: ["2002::/16"],
};

const INTERNAL = [
  ...SETS.loopback,
  ...SETS.private,
  ...SETS.link_local,
  ...SETS.cgnat,
  ...SETS.unspecified,
  ...SETS.metadata,
  ...SETS.unique_local,
  ...SETS.broadcast,
];

/** Named address sets a policy may use by name. Null prototype: `constructor` is not a set. */
export const BUILTIN_CIDR_SETS: Record<string, string[]> = Object.freeze(
  Object.assign(
    Object.create(null) as Record<string, string[]>,
    Object.fromEntries(
      Object.entries({ ...SETS, internal: INTERNAL }).map(([k, v]) => [k, Object.freeze([...v]) as string[]]),
    ),
  ),
);

/**
 * Address arithmetic for the testing kit: the edges of CIDR ranges (the first and last address of each
 * range and the addresses just outside it) and other spellings of an address.
 * Guarantees: pure and deterministic; never throws (an item that is not a canonical CIDR gives no
 * edges); every address in `edges` is canonical (dotted quad, or RFC 5952 IPv6), and every spelling in
 * `respellings` is one that a strict reader must refuse or judge by the same address.
 */
import type { IPv4, IPv6 } from "ipaddr.js";
import { ipaddr } from "../source/deps.js"; // ipaddr.js, loaded on first use
import { BUILTIN_CIDR_SETS } from "../builtins/registry.js";

export interface CidrEdges {
  /** The CIDR item the edges belong to, as written (`10.0.0.0/8`). */
  cidr: string;
  first: string;
  last: string;
  /** The address just below the range; absent when the range starts at the lowest address. */
  before?: string;
  /** The address just above the range; absent when the range ends at the highest address. */
  after?: string;
}

const V4_MAX = (1n << 32n) - 1n;
const V6_MAX = (1n << 128n) - 1n;

function toBig(bytes: readonly number[]): bigint {
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  return n;
}

function fromBig(n: bigint, v6: boolean): string {
  const bytes: number[] = [];
  for (let i = (v6 ? 16 : 4) - 1; i >= 0; i--) bytes.push(Number((n >> BigInt(i * 8)) & 0xffn));
  const ip = ipaddr().fromByteArray(bytes);
  return ip.kind() === "ipv6" ? (ip as IPv6).toRFC5952String() : ip.toString();
}

/** The edges of one CIDR item (`10.0.0.0/8`, `::1`, `fd00::/8`); undefined when it is not one. */
export function cidrEdges(cidr: string): CidrEdges | undefined {
  try {
    const slash = cidr.indexOf("/");
    const ip = ipaddr().parse(slash < 0 ? cidr : cidr.slice(0, slash));
    const v6 = ip.kind() === "ipv6";
    const bits = v6 ? 128 : 32;
    const prefix = slash < 0 ? bits : Number(cidr.slice(slash + 1));
    if (!Number.isInteger(prefix) || prefix < 0 || prefix > bits) return undefined;
    const host = (1n << BigInt(bits - prefix)) - 1n;
    const max = v6 ? V6_MAX : V4_MAX;
    const lo = toBig(ip.toByteArray()) & (max ^ host);
    const hi = lo | host;
    return {
      cidr,
      first: fromBig(lo, v6),
      last: fromBig(hi, v6),
      ...(lo > 0n && { before: fromBig(lo - 1n, v6) }),
      ...(hi < max && { after: fromBig(hi + 1n, v6) }),
    };
  } catch {
    return undefined;
  }
}

/** The items of a built-in CIDR set (`private`, `loopback`, ...), or the item itself. */
export function expandCidrItem(item: string): readonly string[] {
  return Object.prototype.hasOwnProperty.call(BUILTIN_CIDR_SETS, item) ? (BUILTIN_CIDR_SETS[item] as string[]) : [item];
}

/** Every edge address of the items (deduplicated, in order): first, last, before, after of each. */
export function edgeAddresses(items: readonly string[]): string[] {
  const out = new Set<string>();
  for (const item of items.flatMap(expandCidrItem)) {
    const e = cidrEdges(item);
    if (!e) continue;
    for (const a of [e.first, e.last, e.before, e.after]) if (a !== undefined) out.add(a);
  }
  return [...out];
}

/**
 * Other spellings of an IPv4 address, which strict parsers refuse and lenient ones (WHATWG URL, inet_aton)
 * read as the same address: an IPv4-mapped IPv6 form, a 32-bit integer, hex and octal forms, a short form.
 * For an IPv6 address: the fully expanded form, upper case, and a zone id.
 */
export function respellings(address: string): string[] {
  try {
    const ip = ipaddr().parse(address);
    if (ip.kind() === "ipv6") {
      const v6 = ip as IPv6;
      return [v6.toNormalizedString(), v6.toRFC5952String().toUpperCase(), `${v6.toRFC5952String()}%eth0`];
    }
    const o = (ip as IPv4).octets;
    const n = toBig(o);
    return [
      `::ffff:${address}`,
      String(n),
      `0x${n.toString(16)}`,
      o.map((x) => `0${x.toString(8)}`).join("."),
      `${o[0]}.${o[1]! * 65536 + o[2]! * 256 + o[3]!}`,
      o.map((x) => String(x).padStart(3, "0")).join("."),
    ];
  } catch {
    return [];
  }
}

// IP address checks: `ip(allow: CIDRS, deny: CIDRS)`.
// Guarantees: pure, never throws, fails closed: a non-string, or anything but a canonical address
// (see parseIpStrict), is a fault; deny wins over allow; an IPv4-mapped IPv6 address is judged by its
// IPv4 part.
import { type CidrSet, parseIpStrict } from "../cidr/cidr.js";

export type IpCheck = (value: unknown) => string | null;

export function compileIpCheck(opts: { allow?: CidrSet; deny?: CidrSet }): IpCheck {
  const allow = opts && typeof opts === "object" ? opts.allow : undefined;
  const deny = opts && typeof opts === "object" ? opts.deny : undefined;
  return (value: unknown): string | null => {
    if (typeof value !== "string") return "must be a string";
    const ip = parseIpStrict(value);
    if (!ip) return "is not an ip address in canonical form";
    if (deny && deny.has(ip)) return "is in a denied address range";
    if (allow && !allow.has(ip)) return "is not in an allowed address range";
    return null;
  };
}

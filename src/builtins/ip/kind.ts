/** `ip(allow:, deny:)` as a registry kind: parameters are the items of the two address sets. */
import { CidrSet } from "../cidr/cidr.js";
import { type Check, type ConstraintKind, refuseAll } from "../kind.js";
import { compileIpCheck } from "./ip.js";

export interface IpParams {
  readonly allow?: readonly string[];
  readonly deny?: readonly string[];
}

/** Public addresses (documentation and well-known resolver ranges) tried after the allow set's own. */
const PUBLIC_IPS = ["203.0.113.7", "8.8.8.8", "2001:db8::7", "2606:4700::1111"];

const build = (items: readonly string[] | undefined) => (items ? CidrSet.from([...items]) : undefined);
const samplesOf = (items: readonly string[] | undefined): string[] => {
  const r = build(items);
  return r && "set" in r ? r.set.samples(16) : [];
};

export const IP: ConstraintKind<IpParams> = {
  params: ["allow", "deny"],
  lower(r) {
    const allow = r.cidr("allow");
    const deny = r.cidr("deny");
    return { params: { ...(allow && { allow }), ...(deny && { deny }) } };
  },
  compile(p): Check {
    const allow = build(p.allow);
    const deny = build(p.deny);
    if ((allow && "error" in allow) || (deny && "error" in deny)) return refuseAll("the ip constraint's parameters cannot be used");
    return compileIpCheck({ ...(allow && { allow: allow.set }), ...(deny && { deny: deny.set }) });
  },
  samples: (p) => [...samplesOf(p.allow), ...PUBLIC_IPS, ...samplesOf(p.deny)],
};

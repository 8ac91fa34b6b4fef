/**
 * `url(schemes:, hosts:, deny:, allow:, ports:, maxLength:)` as a registry kind. Parameters are the
 * schemes as written, the items of the host and address sets, and the ports; the sets are built when
 * the check is compiled (and for the DNS path, `addressSets`).
 */
import { CidrSet } from "../cidr/cidr.js";
import { DomainSet } from "../domain/domain.js";
import { type Check, type ConstraintKind, refuseAll } from "../kind.js";
import { compileUrlCheck } from "./url.js";

export interface UrlParams {
  readonly schemes?: readonly string[];
  readonly hosts?: readonly string[];
  readonly deny?: readonly string[];
  readonly allow?: readonly string[];
  readonly ports?: readonly number[];
}

const cidr = (items: readonly string[] | undefined): CidrSet | undefined | null => {
  if (!items) return undefined;
  const r = CidrSet.from([...items]);
  return "set" in r ? r.set : null;
};

/** The address sets that a URL's resolved addresses must pass; null when an item is unusable. */
export function addressSets(p: UrlParams): { deny?: CidrSet; allow?: CidrSet } | null {
  const deny = cidr(p.deny);
  const allow = cidr(p.allow);
  if (deny === null || allow === null) return null;
  return { ...(deny && { deny }), ...(allow && { allow }) };
}

/** Candidate URLs (analysis witnesses): each scheme with each host the parameters name. */
function urlSamples(p: UrlParams): string[] {
  const hosts = p.hosts ? DomainSet.from([...p.hosts]) : undefined;
  const names = hosts && "set" in hosts ? hosts.set.samples() : ["example.com"];
  const out: string[] = [];
  for (const scheme of p.schemes ?? ["https", "http"]) {
    for (const host of names) out.push(...(p.ports ?? [undefined]).map((n) => `${scheme}://${host}${n === undefined ? "" : `:${n}`}/`));
  }
  return out.slice(0, 32);
}

export const URL_KIND: ConstraintKind<UrlParams> = {
  params: ["schemes", "hosts", "deny", "allow", "ports", "maxLength"],
  lower(r) {
    const schemes = r.strings("schemes");
    const hosts = r.domain("hosts");
    const deny = r.cidr("deny");
    const allow = r.cidr("allow");
    const ports = r.ints("ports");
    const maxLength = r.nonNegInt("maxLength");
    const params: UrlParams = { ...(schemes && { schemes }), ...(hosts && { hosts }), ...(deny && { deny }), ...(allow && { allow }), ...(ports && { ports }) };
    return { params, ...(maxLength !== undefined && { maxLength }) };
  },
  compile(p): Check {
    const hosts = p.hosts ? DomainSet.from([...p.hosts]) : undefined;
    const sets = addressSets(p);
    if ((hosts && "error" in hosts) || sets === null) return refuseAll("the url constraint's parameters cannot be used");
    return compileUrlCheck({
      ...(p.schemes && { schemes: p.schemes.map((s) => s.toLowerCase().replace(/:$/, "")) }),
      ...(hosts && { hosts: hosts.set }),
      ...sets,
      ...(p.ports && { ports: [...p.ports] }),
    });
  },
  samples: urlSamples,
};

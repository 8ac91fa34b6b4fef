/**
 * The asynchronous decision path for URLs whose host is a name: after the synchronous decision
 * allows a call, every `url(...)` argument's host is resolved with a resolver the host injects, and
 * every resolved address must pass the argument's address sets (`deny:` / `allow:`). The decision
 * carries the addresses it checked, so the tool connects to exactly those: there is no window in which
 * a second lookup (DNS rebinding) could return another address.
 * INVARIANT: a resolver error, a timeout, no address, or any address in a denied range denies.
 */
import { promises as dns } from "node:dns";
import { parseIpStrict } from "../builtins/cidr/cidr.js";
import { compileCidrSet, urlAddressSets } from "../builtins/registry.js";
import type { CidrSet } from "../builtins/cidr/cidr.js";
import type { IrType } from "../ir/ir.js";
import { withTimeout } from "./timeout.js";
import type { Decision, Reason } from "../contract/index.js";

/** Resolve a host name to its addresses (IPv4 and IPv6 text). */
export type Resolver = (hostname: string) => Promise<readonly string[]>;

export interface ResolveOptions {
  /** Default: the system resolver (`dns.lookup` with `all: true`). */
  resolve?: Resolver;
  /** Per lookup, in milliseconds (default 2000). */
  timeoutMs?: number;
}

export interface ResolvedUrl {
  /** The argument, as `args.url` or `args.targets[2]`. */
  path: string;
  hostname: string;
  /** Every address the host resolved to, all checked: connect to one of these. */
  addresses: string[];
}

export const systemResolver: Resolver = async (hostname) => (await dns.lookup(hostname, { all: true, verbatim: true })).map((a) => a.address);

interface UrlArg {
  path: string;
  value: string;
  addresses: { readonly deny?: CidrSet; readonly allow?: CidrSet };
}

/**
 * Every address: the sets of a `url(...)` whose address parameters cannot be used deny them all. Built on
 * first need, not at import (it parses addresses, which loads ipaddr.js: source/deps.ts). If it cannot be
 * built, the deny side is a set that `has` every address anyway (fail closed).
 */
let everyAddress: UrlArg["addresses"] | undefined;
const DENY_ALL = { has: () => true } as unknown as CidrSet;
function everyAddressSets(): UrlArg["addresses"] {
  return (everyAddress ??= { deny: compileCidrSet(["0.0.0.0/0", "::/0"]) ?? DENY_ALL });
}
const addressCache = new WeakMap<object, UrlArg["addresses"]>();

/** The address sets of a `url(...)` type, built once per IR node. */
function addressesOf(t: IrType & { t: "check"; kind: "url" }): UrlArg["addresses"] {
  let a = addressCache.get(t);
  if (!a) addressCache.set(t, (a = urlAddressSets(t.params) ?? everyAddressSets()));
  return a;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** The `url(...)` arguments in a value of a type (the synchronous check has already accepted the value). */
export function urlArguments(t: IrType, v: unknown, path: string, out: UrlArg[] = []): UrlArg[] {
  switch (t.t) {
    case "check":
      if (t.kind === "url" && typeof v === "string") out.push({ path, value: v, addresses: addressesOf(t) });
      break;
    case "object":
      if (isObject(v)) for (const f of t.fields) if (v[f.name] !== undefined) urlArguments(f.type, v[f.name], `${path}.${f.name}`, out);
      break;
    case "array":
      if (Array.isArray(v)) v.forEach((x, i) => urlArguments(t.item, x, `${path}[${i}]`, out));
      break;
    case "union":
      // The first member that accepts the value is the one that judged it.
      for (const m of t.members) {
        const before = out.length;
        urlArguments(m, v, path, out);
        if (out.length > before) break;
      }
      break;
    default:
      break;
  }
  return out;
}

/** Check one URL argument's resolved addresses; a fault message, or the addresses checked. */
async function checkResolved(arg: UrlArg, resolve: Resolver, timeoutMs: number): Promise<{ fault: string } | ResolvedUrl> {
  const hostname = new URL(arg.value).hostname;
  const bare = hostname.startsWith("[") ? hostname.slice(1, -1) : hostname;
  let addresses: readonly string[];
  if (parseIpStrict(bare)) addresses = [bare];
  else {
    try {
      addresses = await withTimeout(Promise.resolve().then(() => resolve(bare)), timeoutMs, `timed out after ${timeoutMs} ms`);
    } catch (err) {
      return { fault: `${arg.path}: host \`${bare}\` could not be resolved (${(err as Error)?.message ?? String(err)})` };
    }
    if (!Array.isArray(addresses) || addresses.length === 0) return { fault: `${arg.path}: host \`${bare}\` resolved to no address` };
  }
  for (const a of addresses) {
    const ip = typeof a === "string" ? parseIpStrict(a) : null;
    if (!ip) return { fault: `${arg.path}: host \`${bare}\` resolved to \`${String(a)}\`, which is not a valid address` };
    if (arg.addresses.deny?.has(ip)) return { fault: `${arg.path}: host \`${bare}\` resolves to ${a}, which is in a denied address range` };
    if (arg.addresses.allow && !arg.addresses.allow.has(ip)) return { fault: `${arg.path}: host \`${bare}\` resolves to ${a}, which is not in an allowed address range` };
  }
  return { path: arg.path, hostname: bare, addresses: [...addresses] };
}

/**
 * Finish a synchronous decision with DNS: returns it unchanged when it denies or has no URL argument
 * with address sets; otherwise resolves each and denies if any address fails.
 */
export async function resolveUrls(
  decision: Decision,
  args: IrType | undefined,
  value: unknown,
  /** The id of the `args` check these types come from (`tool:NAME/args`), for the reasons. */
  argsRule: string,
  options: ResolveOptions = {},
): Promise<Decision & { resolved: ResolvedUrl[] }> {
  if (decision.effect === "deny" || !args) return { ...decision, resolved: [] };
  const urls = urlArguments(args, value ?? {}, "args");
  if (urls.length === 0) return { ...decision, resolved: [] };
  const resolve = options.resolve ?? systemResolver;
  const timeoutMs = options.timeoutMs ?? 2000;
  const results = await Promise.all(urls.map((u) => checkResolved(u, resolve, timeoutMs)));
  const faults = results.filter((r): r is { fault: string } => "fault" in r);
  if (faults.length > 0) {
    const reasons: Reason[] = faults.map((f) => ({ code: "invalid_argument", rule: argsRule, message: f.fault }));
    return { ...decision, effect: "deny", reasons, budgets: [], resolved: [] };
  }
  return { ...decision, resolved: results as ResolvedUrl[] };
}

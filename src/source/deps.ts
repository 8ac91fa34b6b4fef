/**
 * Dependencies loaded on first use, not at import (issue 16: start-up). re2js (the linear-time regex
 * engine) and ipaddr.js (IP address objects) cost tens of milliseconds to load, and most processes that
 * import the package (a CLI command, a host compiling a policy with no pattern and no address check)
 * never need them. Each accessor `require`s the package's CommonJS build synchronously the first time
 * it is called (createRequire: the callers' APIs are synchronous) and returns the same module after.
 * Guarantees: the modules are the packages' own (re2js's `require` export, ipaddr.js's main); nothing
 * is loaded at import of this file; a package that cannot be loaded throws from the accessor, and every
 * caller treats a throw as a failure (a pattern that does not compile, an address that does not parse),
 * so a missing dependency never allows anything.
 * The playground (a browser bundle) replaces this file with playground/src/shims/deps.ts, which imports
 * both packages statically.
 */
import { createRequire } from "node:module";
import type * as Re2jsModule from "re2js";
import type IpaddrModule from "ipaddr.js";

export type Re2js = typeof Re2jsModule;
export type Ipaddr = typeof IpaddrModule;

const requireCjs = createRequire(import.meta.url);
let re2: Re2js | undefined;
let ip: Ipaddr | undefined;

/** re2js (`{ RE2JS, ... }`), required on the first call. */
export function re2js(): Re2js {
  return (re2 ??= requireCjs("re2js") as Re2js);
}

/** ipaddr.js (`{ IPv4, IPv6, parse, ... }`), required on the first call. */
export function ipaddr(): Ipaddr {
  return (ip ??= requireCjs("ipaddr.js") as Ipaddr);
}

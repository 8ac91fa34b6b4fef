/**
 * Browser stand-in for src/source/deps.ts (scripts/build-playground.mjs swaps it in): the page has no
 * `require`, so re2js and ipaddr.js are bundled statically and the accessors return them. Same API and
 * the same modules as the Node file, loaded with the page instead of on first use.
 */
import * as re2 from "re2js";
import ip from "ipaddr.js";
import type { Ipaddr, Re2js } from "../../../src/source/deps.js";

/** re2js, as src/source/deps.ts's `re2js()` returns it. */
export function re2js(): Re2js {
  return re2;
}

/** ipaddr.js, as src/source/deps.ts's `ipaddr()` returns it. */
export function ipaddr(): Ipaddr {
  return ip;
}

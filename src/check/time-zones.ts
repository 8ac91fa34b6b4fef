/**
 * Calls in attribute paths: the one there is, `time.in("Europe/Berlin").hour` (also `.minute`,
 * `.weekday`), the time's part in an IANA time zone. Guarantees: the zone is one Node's Intl data knows
 * (E0240, with the nearest known name as a hint), held in the IR by its canonical name; any other call,
 * or a zoned time without a known part, is E0241. Nothing else in a path takes a call.
 */
import type * as A from "../ast/nodes.js";
import { unknownTimeZone, unsupportedPathCall } from "../diagnostics/catalog.js";
import { didYouMean } from "../diagnostics/suggest.js";
import { canonicalTimeZone, type AttrRoot } from "../contract/attributes.js";
import type { Symbols } from "./scope.js";

const PARTS = ["hour", "minute", "weekday"] as const;
const HINT = 'write e.g. `time.in("Europe/Berlin").hour` (also `.minute`, `.weekday`)';

/** Every zone name the platform lists (for "did you mean"), read once when first needed. */
let known: readonly string[] | undefined;
function knownZones(): readonly string[] {
  if (!known) {
    const intl = Intl as unknown as { supportedValuesOf?: (k: string) => string[] };
    known = intl.supportedValuesOf ? [...intl.supportedValuesOf("timeZone"), "UTC"] : ["UTC"];
  }
  return known;
}

export interface ZonedTime {
  readonly root: AttrRoot;
  readonly zone: string;
  readonly text: string;
}

/** A path with a call, lowered to a zoned `time.*` read; undefined (reported) when it is anything else. */
export function lowerZonedTime(sym: Symbols, p: A.PathExpr): ZonedTime | undefined {
  const d = sym.diagnostics;
  const calls = p.calls ?? [];
  const call = calls[0];
  if (!call) return undefined;
  if (p.root !== "time" || calls.length !== 1 || call.at !== 0 || p.segments[0] !== "in") {
    d.push(unsupportedPathCall(p.span, "only `time.in(...)` takes an argument in a path", HINT));
    return undefined;
  }
  const part = p.segments[1];
  if (part === undefined || p.segments.length !== 2 || !(PARTS as readonly string[]).includes(part)) {
    const what = part === undefined ? "`time.in(...)` needs a part" : `\`time.in(...)\` has no part \`${p.segments.slice(1).join(".")}\``;
    d.push(unsupportedPathCall(p.span, what, (part !== undefined && didYouMean(part, PARTS)) || "add `.hour`, `.minute` or `.weekday`"));
    return undefined;
  }
  const zone = canonicalTimeZone(call.arg);
  if (zone === undefined) {
    d.push(unknownTimeZone(call.argSpan, call.arg, didYouMean(call.arg, knownZones())));
    return undefined;
  }
  return { root: `time.${part}` as AttrRoot, zone, text: `time.in(${JSON.stringify(call.arg)}).${part}` };
}

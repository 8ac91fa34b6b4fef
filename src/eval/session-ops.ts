/**
 * The operators of issue 14 that read content and session facts, shared by both evaluators:
 * `VALUE carries DETECTOR` (builtins/detect) and `VALUE derives from LABEL` (builtins/provenance).
 * GUARANTEES: `carries` never throws (a detector fault counts as carrying: fail closed);
 * `derives` throws EvalError when the request holds no provenance facts (the engine did not load them):
 * a rule reading provenance then errs and denies, never reads "derives from nothing"; and when the value
 * is beyond provenance's scan bounds (or cannot be read) and no copy was found in what was read: neither
 * true nor false would be safe under every polarity (`not X derives from paid_before` must not let a value
 * through unread), and an error fails closed under all of them.
 */
import { detect, isDetectorName } from "../builtins/detect/index.js";
import { derivesOrUnknown } from "../builtins/provenance/index.js";
import { EvalError } from "../contract/errors.js";
import type { PolicyRequest } from "../contract/index.js";

const EMPTY: readonly string[] = Object.freeze([]);

export function opCarries(value: unknown, detector: string): boolean {
  if (!isDetectorName(detector)) throw new EvalError(`unknown detector \`${detector}\``);
  try {
    return detect(detector, value);
  } catch {
    return true;
  }
}

export function opDerives(req: PolicyRequest, value: unknown, label: string): boolean {
  const facts = (req.session as { provenance?: unknown } | undefined)?.provenance;
  if (facts === undefined || facts === null || typeof facts !== "object") throw new EvalError("`derives from` needs the session's provenance, which was not loaded");
  const fps = Object.prototype.hasOwnProperty.call(facts, label) ? (facts as Record<string, readonly string[]>)[label]! : EMPTY;
  if (fps.length === 0) return false;
  let out: boolean | undefined;
  try {
    out = derivesOrUnknown(value, fps);
  } catch {
    out = undefined;
  }
  if (out === undefined) throw new EvalError(`\`derives from ${label}\`: the value is too large or too deep to read whole, so whether it copies a result cannot be told`);
  return out;
}

/**
 * The operators of issue 14 that read content and session facts, shared by both evaluators:
 * `VALUE carries DETECTOR` (builtins/detect) and `VALUE derives from LABEL` (builtins/provenance).
 * GUARANTEES: `carries` never throws (a detector fault counts as carrying: fail closed);
 * `derives` throws EvalError when the request holds no provenance facts (the engine did not load them):
 * a rule reading provenance then errs and denies, never reads "derives from nothing".
 */
import { detect, isDetectorName } from "../builtins/detect/index.js";
import { derives } from "../builtins/provenance/index.js";
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
  try {
    return derives(value, fps);
  } catch {
    return true;
  }
}

/**
 * THE meaning of `result of ... { ... }` blocks (issue 14), once for both evaluators: an evaluator
 * supplies only how a condition evaluates (`cond`). Given a request that carries the tool's `result`,
 * the verdict says which labels the session gains, which detectors to redact with, the cap, and whether
 * the result is withheld.
 * Semantics: a block applies when the request's target kind is the block's and one of its patterns
 * matches the target's name, and its `when` holds. Every applying block contributes: labels (each whose
 * own `when` holds), redactions (union), the cap (the smallest), denies (the first that holds wins).
 * GUARANTEES (fail closed): a condition that errs counts as holding (a block's `when`, a label's, a
 * deny's): an error adds the label, redacts and withholds, never lets content through unmarked; each
 * error is listed in `errors`. A request that is not a call of a target, or carries no result, gets the
 * empty verdict. Never throws.
 */
import type { IrExpr, IrPolicy } from "../../ir/ir.js";
import { patternMatches } from "../../ir/match.js";
import { isMethod, METHOD_ROWS, targetKindOf } from "../../contract/methods.js";
import type { PolicyRequest } from "../../contract/index.js";

export interface ResultVerdict {
  /** Labels the session gains from this result, in order, each once. */
  readonly labels: readonly string[];
  /** Detectors whose findings are redacted (builtins/detect names), each once. */
  readonly redact: readonly string[];
  /** The largest result (bytes of its JSON) that may be passed on. */
  readonly capBytes?: number;
  /** The result is withheld: which result deny, and why. */
  readonly deny?: { readonly id: string; readonly message: string };
  /** Conditions that erred (each counted as holding), as `where: message`. */
  readonly errors: readonly string[];
}

export const EMPTY_VERDICT: ResultVerdict = Object.freeze({ labels: Object.freeze([]), redact: Object.freeze([]), errors: Object.freeze([]) });

/** `cond` throws (an EvalError) when the condition cannot be evaluated. */
export type ResultCondition = (e: IrExpr, req: PolicyRequest) => boolean;

export function resultVerdict(ir: IrPolicy, req: PolicyRequest, cond: ResultCondition): ResultVerdict {
  if (ir.results.length === 0 || req === null || typeof req !== "object" || req.result === undefined) return EMPTY_VERDICT;
  let kind: string | undefined;
  let name: unknown;
  try {
    const method = req.method ?? "tools/call";
    if (!isMethod(method)) return EMPTY_VERDICT;
    const row = METHOD_ROWS[method];
    kind = targetKindOf(row, req);
    name = kind === undefined ? undefined : (req as Record<string, unknown>)[kind];
  } catch {
    return EMPTY_VERDICT;
  }
  if (kind === undefined || typeof name !== "string") return EMPTY_VERDICT;
  const labels: string[] = [];
  const redact: string[] = [];
  const errors: string[] = [];
  let capBytes: number | undefined;
  let deny: { id: string; message: string } | undefined;
  const holds = (e: IrExpr | undefined, where: string): boolean => {
    if (e === undefined) return true;
    try {
      return cond(e, req);
    } catch (err) {
      errors.push(`${where}: ${(err as Error)?.message ?? String(err)}`);
      return true;
    }
  };
  for (const b of ir.results) {
    if (b.target !== kind || !b.patterns.some((p) => patternMatches(p, name as string))) continue;
    if (!holds(b.when, `the result block for ${kind} \`${name}\``)) continue;
    for (const l of b.labels) if (!labels.includes(l.label) && holds(l.when, `label \`${l.label}\``)) labels.push(l.label);
    for (const d of b.redact) if (!redact.includes(d)) redact.push(d);
    if (b.capBytes !== undefined) capBytes = capBytes === undefined ? b.capBytes : Math.min(capBytes, b.capBytes);
    if (deny === undefined) {
      for (const d of b.denies) {
        if (holds(d.when, `result deny \`${d.id}\``)) {
          deny = { id: d.id, message: d.because ?? `the result of ${kind} \`${name}\` is withheld by the policy (\`${d.id}\`)` };
          break;
        }
      }
    }
  }
  return { labels, redact, ...(capBytes !== undefined && { capBytes }), ...(deny && { deny }), errors };
}

/**
 * THE meaning of `result of ... { ... }` blocks (issue 14), once for both evaluators: an evaluator
 * supplies only how a condition evaluates (`cond`). Given a request that carries the tool's `result`,
 * the verdict says which labels the session gains, which detectors to redact with, the cap, and whether
 * the result is withheld.
 * Semantics: a block applies when the request's target kind is the block's and one of its patterns
 * matches the target's name, and its `when` holds. Every applying block contributes: labels (each whose
 * own `when` holds), redactions (union), the cap (the smallest), denies (the first that holds wins).
 * Conditions read `result` through the view of eval/core/result-view.ts (`result.structured`).
 * A field label (`label L on item.F for item in result.P where EXPR`) marks VALUES rather than the whole
 * result: the string leaves (and numbers) at `F` of each element of the list at `result.P` whose `where`
 * holds (or at `result.P` itself without `for`), at most LIMITS.maxFieldLabelValues per label and result, in
 * document order; the session gains L when at least one value is marked, and `derives from L` then looks
 * for those values only (`fields`), never the rest of the result.
 * GUARANTEES (fail closed): a condition that errs counts as holding (a block's `when`, a label's, a
 * deny's): an error adds the label, redacts and withholds, never lets content through unmarked; each
 * error is listed in `errors`. The one exception is a field label's `where`, a selection: an element
 * whose `where` errs (or that has no `F`) is not marked, and the error is listed; so a field label names
 * the values it is sure of (a label of trusted values never grows by an error; see grammar/README.md).
 * A request that is not a call of a target, or carries no result, gets the empty verdict. Never throws.
 */
import type { IrExpr, IrFieldSelection, IrPolicy } from "../../ir/ir.js";
import { patternMatches } from "../../ir/match.js";
import { isMethod, METHOD_ROWS, targetKindOf } from "../../contract/methods.js";
import type { PolicyRequest } from "../../contract/index.js";
import { LIMITS } from "../../source/limits.js";
import { resultView, viewWith } from "./result-view.js";
import { ITEM_KEY } from "../../ir/ir.js";

export interface ResultVerdict {
  /** Labels the session gains from this result, in order, each once. */
  readonly labels: readonly string[];
  /** Detectors whose findings are redacted (builtins/detect names), each once. */
  readonly redact: readonly string[];
  /** The largest result (bytes of its JSON) that may be passed on. */
  readonly capBytes?: number;
  /** The result is withheld: which result deny, and why. */
  readonly deny?: { readonly id: string; readonly message: string };
  /** Conditions that erred (each counted as holding, but a field label's `where`), as `where: message`. */
  readonly errors: readonly string[];
  /**
   * Labels given by field labels only (no whole-result `label` of the same name applied): the values
   * they mark, as strings. A label in `labels` and not here marks the whole result.
   */
  readonly fields?: Readonly<Record<string, readonly string[]>>;
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
  req = { ...req, result: resultView(req.result) as PolicyRequest["result"] };
  const labels: string[] = [];
  const whole = new Set<string>();
  let fields: Record<string, string[]> | undefined;
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
    for (const l of b.labels) {
      if (whole.has(l.label) || !holds(l.when, `label \`${l.label}\``)) continue;
      const f = l.field;
      if (f === undefined) whole.add(l.label);
      else {
        fields ??= Object.create(null) as Record<string, string[]>;
        selectValues(req, f, (fields[l.label] ??= []), cond, (m) => errors.push(`label \`${l.label}\` ${f.text}: ${m}`));
        if (fields[l.label]!.length === 0) continue;
      }
      if (!labels.includes(l.label)) labels.push(l.label);
    }
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
  let marked: Record<string, string[]> | undefined;
  if (fields !== undefined) {
    for (const l of Object.keys(fields)) {
      if (whole.has(l) || fields[l]!.length === 0) continue;
      marked ??= Object.create(null) as Record<string, string[]>;
      marked[l] = fields[l]!;
    }
  }
  return { labels, redact, ...(capBytes !== undefined && { capBytes }), ...(deny && { deny }), errors, ...(marked && { fields: marked }) };
}

/** The own value at `path` under `v`, or undefined (a missing level, a non-object). */
function at(v: unknown, path: readonly string[]): unknown {
  for (const seg of path) {
    if (v === null || typeof v !== "object" || !Object.prototype.hasOwnProperty.call(v, seg)) return undefined;
    v = (v as Record<string, unknown>)[seg];
  }
  return v;
}

/** The string leaves and numbers of `v`, in document order, into `out` (bounded by LIMITS.maxFieldLabelValues). */
function leavesInto(v: unknown, out: string[], depth: number): void {
  if (out.length >= LIMITS.maxFieldLabelValues || depth > LIMITS.maxNestingDepth) return;
  if (typeof v === "string") {
    if (!out.includes(v)) out.push(v);
  } else if (typeof v === "number" && Number.isFinite(v)) {
    const t = String(v);
    if (!out.includes(t)) out.push(t);
  } else if (Array.isArray(v)) {
    for (const x of v) leavesInto(x, out, depth + 1);
  } else if (v !== null && typeof v === "object") {
    for (const k of Object.keys(v)) leavesInto((v as Record<string, unknown>)[k], out, depth + 1);
  }
}

/** The values a field label marks in this result (see the header), appended to `out`. */
function selectValues(req: PolicyRequest, f: IrFieldSelection, out: string[], cond: ResultCondition, error: (m: string) => void): void {
  const result = req.result as unknown;
  if (f.each === undefined) {
    const v = at(result, f.path);
    if (v === undefined) error("nothing at the path, so nothing is marked");
    else leavesInto(v, out, 0);
    return;
  }
  const list = at(result, f.each);
  if (!Array.isArray(list)) {
    error("not a list, so nothing is marked");
    return;
  }
  for (let i = 0; i < list.length && out.length < LIMITS.maxFieldLabelValues; i++) {
    const element = list[i] as unknown;
    if (f.where !== undefined) {
      const itemReq = { ...req, result: viewWith(result, { [ITEM_KEY]: element }) as PolicyRequest["result"] };
      let ok: boolean;
      try {
        ok = cond(f.where, itemReq);
      } catch (err) {
        error(`element ${i}: ${(err as Error)?.message ?? String(err)}, so it is not marked`);
        continue;
      }
      if (!ok) continue;
    }
    const v = at(element, f.path);
    if (v !== undefined) leavesInto(v, out, 0);
  }
}

/**
 * What of a tool's result may be passed on, given the verdict of its result blocks (eval/core/results.ts):
 * a withheld result becomes an `isError` result that says why; otherwise the findings of the named
 * detectors are redacted in every text content item and every string leaf of `structuredContent` (and
 * of other content items' text fields such as an embedded resource's `text`); then a result whose JSON
 * is over the cap is withheld the same way.
 * GUARANTEES: never throws; returns a new object (the input is not changed); anything it cannot read or
 * copy is withheld, never passed on unchecked; `changed` says whether the client sees something else than
 * the tool returned.
 */
import { redactText, isDetectorName, type DetectorName } from "../builtins/detect/index.js";
import type { ToolResult } from "../contract/index.js";
import type { ResultVerdict } from "./core/results.js";

export interface AppliedResult {
  readonly result: ToolResult;
  readonly changed: boolean;
  /** Set when the result was withheld: why (the reason a host reports). */
  readonly withheld?: { readonly id: string; readonly message: string };
}

const MAX_DEPTH = 64;

export function withheldResult(message: string): ToolResult {
  return { content: [{ type: "text", text: message }], isError: true };
}

export function applyResultVerdict(result: unknown, verdict: ResultVerdict): AppliedResult {
  const withhold = (id: string, message: string): AppliedResult => ({ result: withheldResult(message), changed: true, withheld: { id, message } });
  if (verdict.deny) return withhold(verdict.deny.id, verdict.deny.message);
  let out: unknown;
  let changed = false;
  try {
    const names = verdict.redact.filter(isDetectorName) as DetectorName[];
    if (names.length === 0) out = result;
    else {
      const walk = (v: unknown, depth: number): unknown => {
        if (depth > MAX_DEPTH) throw new Error("the result is nested too deeply to redact");
        if (typeof v === "string") {
          const r = redactText(v, names);
          if (r !== v) changed = true;
          return r;
        }
        if (Array.isArray(v)) return v.map((x) => walk(x, depth + 1));
        if (v !== null && typeof v === "object") {
          const o: Record<string, unknown> = {};
          for (const k of Object.keys(v)) {
            // Binary payloads (image/audio `data`, blob resources) are not text: kept as they are.
            const x = (v as Record<string, unknown>)[k];
            o[k] = k === "data" || k === "blob" ? x : walk(x, depth + 1);
          }
          return o;
        }
        return v;
      };
      out = walk(result, 0);
    }
    if (verdict.capBytes !== undefined) {
      const size = Buffer.byteLength(JSON.stringify(out) ?? "", "utf8");
      if (size > verdict.capBytes) return withhold("result_cap", `the result is ${size} bytes, over the policy's cap of ${verdict.capBytes} bytes`);
    }
  } catch (err) {
    return withhold("result_unreadable", `the result could not be inspected (${(err as Error)?.message ?? String(err)}), so it is withheld`);
  }
  return { result: out as ToolResult, changed };
}

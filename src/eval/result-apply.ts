/**
 * What of a tool's result may be passed on, given the verdict of its result blocks (eval/core/results.ts):
 * a withheld result becomes an `isError` result that says why; otherwise the findings of the named
 * detectors are redacted in every text content item and every string leaf of `structuredContent` (and
 * of other content items' text fields such as an embedded resource's `text`), object keys included, and a
 * string that `carries secret` finds by its key alone (`{"apiKey": "..."}`) is replaced whole: what `carries`
 * finds, redaction removes. Binary payloads are left as they are: only an image or audio content item's
 * `data` and an embedded resource's `blob` (a key named `data` elsewhere, in `structuredContent`, is text).
 * Then a result whose JSON is over the cap is withheld the same way.
 * GUARANTEES: never throws; returns a new object (the input is not changed); anything it cannot read or
 * copy is withheld, never passed on unchecked; `changed` says whether the client sees something else than
 * the tool returned.
 */
import { redactText, isDetectorName, secretEntry, type DetectorName } from "../builtins/detect/index.js";
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
      const bySecretKey = names.includes("secret");
      const text = (s: string): string => {
        const r = redactText(s, names);
        if (r !== s) changed = true;
        return r;
      };
      // An object's entries, keys redacted too (a redacted key that meets another gets a `#N` suffix);
      // `child` walks each value.
      const entries = (v: object, child: (k: string, x: unknown) => unknown): Record<string, unknown> => {
        const o: Record<string, unknown> = {};
        for (const k of Object.keys(v)) {
          const x = (v as Record<string, unknown>)[k];
          let key = text(k);
          for (let i = 2; key !== k && Object.prototype.hasOwnProperty.call(o, key); i++) key = `${text(k)}#${i}`;
          if (bySecretKey && typeof x === "string" && secretEntry(k, x)) {
            o[key] = "[REDACTED:secret]";
            changed = true;
          } else o[key] = child(k, x);
        }
        return o;
      };
      // `binary`: the key of `v` that holds a binary payload, kept as it is.
      const walk = (v: unknown, depth: number, binary?: string): unknown => {
        if (depth > MAX_DEPTH) throw new Error("the result is nested too deeply to redact");
        if (typeof v === "string") return text(v);
        if (Array.isArray(v)) return v.map((x) => walk(x, depth + 1));
        if (v !== null && typeof v === "object") return entries(v, (k, x) => (k === binary ? x : walk(x, depth + 1)));
        return v;
      };
      // Binary payloads are not text: an image or audio content item's `data`, an embedded resource's `blob`.
      const item = (c: unknown): unknown => {
        if (c === null || typeof c !== "object" || Array.isArray(c)) return walk(c, 2);
        const t = (c as Record<string, unknown>).type;
        if (t === "image" || t === "audio") return walk(c, 2, "data");
        return entries(c, (k, x) => (t === "resource" && k === "resource" ? walk(x, 3, "blob") : walk(x, 3)));
      };
      out = result !== null && typeof result === "object" && !Array.isArray(result) ? entries(result, (k, x) => (k === "content" && Array.isArray(x) ? x.map(item) : walk(x, 1))) : walk(result, 0);
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

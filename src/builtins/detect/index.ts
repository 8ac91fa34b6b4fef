/**
 * Content detectors for `VALUE carries DETECTOR` and for result redaction: secrets (and their encodings),
 * personal data, instructions aimed at an AI agent, data carried out in URLs. One file per family:
 * secret*.ts, pii*.ts, instruction*.ts, exfil.ts; walk.ts reads values; limits.ts holds the bounds.
 * docs/detectors.md says what each catches and misses.
 * GUARANTEES: pure and total (never throws); linear in the input; a value larger than the scan bound counts
 * as carrying (fail closed); `redactText` leaves no span any of its detectors finds (it re-scans its own output,
 * and past a few rounds replaces the whole text).
 */
import { exfilSpans } from "./exfil.js";
import { instructionSpans } from "./instruction.js";
import { DETECT_LIMITS } from "./limits.js";
import { piiSpans } from "./pii.js";
import { secretSpans } from "./secret.js";
import { mergeSpans, type Span } from "./text.js";
import { secretEntry, walk } from "./walk.js";

export { DETECT_LIMITS } from "./limits.js";
export type { Span } from "./text.js";

export const DETECTOR_NAMES = ["secret", "pii", "instruction", "exfil"] as const;
export type DetectorName = (typeof DETECTOR_NAMES)[number];

export function isDetectorName(name: string): name is DetectorName {
  return (DETECTOR_NAMES as readonly string[]).includes(name);
}

const SCANNERS: Readonly<Record<DetectorName, (text: string) => Span[]>> = {
  secret: secretSpans,
  pii: piiSpans,
  instruction: instructionSpans,
  exfil: exfilSpans,
};

/** Whether any string leaf or object key of `value` carries what `name` detects. */
export function detect(name: DetectorName, value: unknown): boolean {
  const scan = SCANNERS[name];
  if (scan === undefined) return true; // not a detector: fail closed (the checker rejects unknown names)
  return walk(value, {
    test: (s) => {
      try {
        return scan(s).length > 0;
      } catch {
        return true;
      }
    },
    ...(name === "secret" ? { entry: secretEntry } : {}),
  });
}

/** The spans of `text` that `name` detects, in order, not overlapping. Past the scan bound, the rest is one `unscanned` span. */
export function findSpans(name: DetectorName, text: string): Span[] {
  const scan = SCANNERS[name];
  if (typeof text !== "string" || text.length === 0) return [];
  if (scan === undefined) return [{ start: 0, end: text.length, kind: "unscanned" }];
  const max = DETECT_LIMITS.maxScanChars;
  const head = text.length > max ? text.slice(0, max) : text;
  let spans: Span[];
  try {
    spans = scan(head);
  } catch {
    return [{ start: 0, end: text.length, kind: "unscanned" }];
  }
  if (text.length > max) spans.push({ start: max, end: text.length, kind: "unscanned" });
  return mergeSpans(spans);
}

/** Rounds of redaction before the whole text is replaced (a replacement can join text into a new find). */
const MAX_REDACT_ROUNDS = 4;

function redactOnce(text: string, names: readonly DetectorName[]): string {
  const spans = mergeSpans(names.flatMap((n) => findSpans(n, text)));
  if (spans.length === 0) return text;
  let out = "";
  let from = 0;
  for (const s of spans) {
    out += text.slice(from, s.start) + `[REDACTED:${s.kind}]`;
    from = s.end;
  }
  return out + text.slice(from);
}

/** `text` with every span any of `names` detects replaced by `[REDACTED:<kind>]`. */
export function redactText(text: string, names: readonly DetectorName[]): string {
  if (typeof text !== "string") return "";
  let cur = text;
  for (let round = 0; round < MAX_REDACT_ROUNDS; round++) {
    const next = redactOnce(cur, names);
    if (next === cur) return cur;
    cur = next;
  }
  return names.some((n) => findSpans(n, cur).length > 0) ? `[REDACTED:${names[0] ?? "unscanned"}]` : cur;
}

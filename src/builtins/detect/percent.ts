/**
 * Percent-encoded text read by a detector: the text is decoded (each `%XX` one character, as latin1) with a map
 * from every decoded character back to the raw range it came from, scanned, and each span found maps back
 * exactly. Only spans whose raw text holds an escape are returned (the rest the plain scan finds itself); their
 * kind is prefixed `percent:`.
 * GUARANTEES: linear in the text plus the scan's own cost on a text no longer than the input.
 */
import { isHex, type Span } from "./text.js";

export function percentSpans(text: string, scan: (decoded: string) => readonly Span[]): Span[] {
  if (!/%[0-9A-Fa-f]{2}/.test(text)) return [];
  const n = text.length;
  const parts: string[] = [];
  const from = new Int32Array(n + 1);
  let k = 0;
  let plainStart = 0;
  for (let i = 0; i < n; ) {
    if (text.charCodeAt(i) === 37 && i + 2 < n && isHex(text.charCodeAt(i + 1)) && isHex(text.charCodeAt(i + 2))) {
      if (i > plainStart) parts.push(text.slice(plainStart, i));
      parts.push(String.fromCharCode(parseInt(text.slice(i + 1, i + 3), 16)));
      from[k++] = i;
      i += 3;
      plainStart = i;
    } else {
      from[k++] = i;
      i++;
    }
  }
  if (n > plainStart) parts.push(text.slice(plainStart));
  from[k] = n;
  const out: Span[] = [];
  for (const s of scan(parts.join(""))) {
    const start = from[s.start]!;
    const end = from[s.end]!;
    if (!text.slice(start, end).includes("%")) continue;
    out.push({ start, end, kind: s.kind.startsWith("percent:") ? s.kind : `percent:${s.kind}` });
  }
  return out;
}

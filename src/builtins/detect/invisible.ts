/**
 * Text read with its invisible characters removed (zero-width spaces and joiners, soft hyphens, word joiners,
 * direction marks, the BOM): a token cut by them is still the token to whoever strips them, and they do not
 * show. The text is scanned without them, each span maps back to the raw text, and only spans whose raw text
 * held one are returned (the plain scan finds the rest), kind `invisible:<kind>`.
 * GUARANTEES: linear in the text plus the scan's own cost on a text no longer than the input; the text given
 * to the scan holds no invisible character, so a scan that calls this again on it stops at once.
 */
import type { Span } from "./text.js";

const INVISIBLE = /[\u00ad\u180e\u200b-\u200f\u2060-\u2064\ufeff]/;
const isInvisible = (c: number): boolean =>
  c === 0xad || c === 0x180e || (c >= 0x200b && c <= 0x200f) || (c >= 0x2060 && c <= 0x2064) || c === 0xfeff;

export function invisibleSpans(text: string, scan: (stripped: string) => readonly Span[]): Span[] {
  if (!INVISIBLE.test(text)) return [];
  const n = text.length;
  const parts: string[] = [];
  const from = new Int32Array(n + 1);
  let k = 0;
  let plainStart = 0;
  for (let i = 0; i < n; i++) {
    if (isInvisible(text.charCodeAt(i))) {
      if (i > plainStart) parts.push(text.slice(plainStart, i));
      plainStart = i + 1;
    } else from[k++] = i;
  }
  if (n > plainStart) parts.push(text.slice(plainStart));
  from[k] = n;
  const out: Span[] = [];
  for (const s of scan(parts.join(""))) {
    const start = from[s.start]!;
    const end = s.end >= k ? n : from[s.end - 1]! + 1;
    if (!INVISIBLE.test(text.slice(start, end))) continue;
    out.push({ start, end, kind: s.kind.startsWith("invisible:") ? s.kind : `invisible:${s.kind}` });
  }
  return out;
}

/**
 * Secrets split across the parts of a URL: a token cut into path segments (`/ghp_wVYN/acGy.../...`) or host
 * labels (`ghp_wVYN.acGy....attacker.tld`) or query values (`?a=AKIAZ3YV&b=KEKMM2M7IFN7`), which no part holds
 * whole. Every join of 2 to 8 consecutive path segments, host labels, or query and fragment values (as written,
 * not percent-decoded) is tried against each vendor token pattern, anchored at both ends (finds by shape alone:
 * prefix, length, entropy); a match marks the whole URL, kind `split:<kind>`.
 * GUARANTEES: linear: URLs are found by a run-start-guarded literal regex and each is read once; a part takes
 * part in at most 8 joins of at most 600 characters each. A URL longer than DETECT_LIMITS.maxUrlLength is left
 * to the `exfil` detector (which counts it).
 */
import { DETECT_LIMITS } from "./limits.js";
import { specsHinted, wholeTokenKind } from "./secret-tokens.js";
import type { Span } from "./text.js";

const URL_START = /(?<![A-Za-z0-9+.-])https?:\/\//gi;
const isUrlChar = (c: number): boolean =>
  c > 32 && c < 127 && c !== 34 && c !== 39 && c !== 60 && c !== 62 && c !== 96 && c !== 123 && c !== 125 && c !== 124 && c !== 92 && c !== 94;

/** Consecutive parts joined; at most this many, so a URL costs a bounded multiple of its length. */
const MAX_PARTS = 8;
/** The longest token body a pattern takes is far shorter; a longer join is not tried. */
const MAX_JOINED = 600;
/** Every spec's hint lies within a token's first 40 characters (the Azure secret's `Q~` at 5, `:AA` at 11). */
const HEAD = 40;

/** The kind of a vendor token that is exactly the concatenation of 2..MAX_PARTS consecutive `parts`. */
function joinedToken(parts: readonly string[]): string | undefined {
  for (let i = 0; i + 1 < parts.length; i++) {
    // a token's prefix holds its spec's hint, within its first 40 characters (however the parts cut it)
    let head = parts[i]!;
    for (let k = i + 1; k < parts.length && k - i < MAX_PARTS && head.length < HEAD; k++) head += parts[k]!;
    if (head.length < 16) continue; // no token is shorter
    const specs = specsHinted(head.slice(0, HEAD));
    if (specs.length === 0) continue;
    let acc = parts[i]!;
    for (let j = i + 1; j < parts.length && j - i < MAX_PARTS; j++) {
      acc += parts[j]!;
      if (acc.length > MAX_JOINED) break;
      if (acc.length < 16) continue;
      const kind = wholeTokenKind(acc, specs);
      if (kind !== undefined) return kind;
    }
  }
  return undefined;
}

/** Spans of URLs whose consecutive path segments, host labels or query values, joined, are a vendor token. */
export function splitUrlSpans(text: string, out: Span[]): void {
  if (!text.includes("://")) return;
  URL_START.lastIndex = 0;
  for (let m = URL_START.exec(text); m !== null; m = URL_START.exec(text)) {
    const from = m.index + m[0].length;
    let end = from;
    while (end < text.length && isUrlChar(text.charCodeAt(end))) end++;
    URL_START.lastIndex = Math.max(end, m.index + 1);
    if (end - m.index > DETECT_LIMITS.maxUrlLength) continue;
    const rest = text.slice(from, end);
    let authEnd = rest.search(/[/?#]/);
    if (authEnd < 0) authEnd = rest.length;
    const host = rest.slice(rest.lastIndexOf("@", authEnd) + 1, authEnd).replace(/:\d*$/, "");
    const tail = rest.slice(authEnd);
    const pathEnd = tail.search(/[?#]/);
    const labels = host.split(".").filter((s) => s.length > 0);
    const segments = (pathEnd < 0 ? tail : tail.slice(0, pathEnd)).split("/").filter((s) => s.length > 0);
    const query = pathEnd < 0 ? "" : tail.slice(pathEnd + 1);
    const values = query.split(/[&;#]/).map((kv) => kv.slice(kv.indexOf("=") + 1)).filter((v) => v.length > 0);
    const kind = joinedToken(labels) ?? joinedToken(segments) ?? joinedToken(values);
    if (kind !== undefined) out.push({ start: m.index, end, kind: `split:${kind}` });
  }
}

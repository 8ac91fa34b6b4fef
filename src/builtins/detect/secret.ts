/**
 * The `secret` detector: vendor tokens, JWTs and private keys (secret-tokens.ts), context secrets
 * (secret-context.ts), and the same hidden by base64, hex or percent-encoding: candidate runs are decoded and
 * the decoded text scanned again, at most DETECT_LIMITS.maxDecodeDepth layers deep.
 * Spans of an encoded secret cover the whole encoded run (base64, hex) or map back exactly (percent); their
 * kind names the encoding: `base64:github-token`, `hex:aws-access-key`, `base64:hex:jwt`. Base64 wrapped in
 * lines (`base64`'s 76 columns) is one run; so are hex digits inside a base64 run (`/c/414b...` after a URL's
 * slash). Decoded UTF-16 (a NUL beside every ASCII character) is read without its NULs. The raw text is also
 * read without invisible characters (invisible.ts), and a token cut across a URL's path segments, host labels
 * or query values is found by joining them (secret-url.ts).
 * GUARANTEES: linear. A base64 run is decoded at its four alignments (so a secret encoded on its own inside a
 * longer run is found); decoding shrinks text, and a wrong alignment yields bytes in which the next layer finds
 * almost no candidate runs, so the work over all layers stays a small multiple of the input.
 */
import { DETECT_LIMITS } from "./limits.js";
import { contextSpans } from "./secret-context.js";
import { jwtSpans, privateKeySpans, tokenSpans } from "./secret-tokens.js";
import { splitUrlSpans } from "./secret-url.js";
import { invisibleSpans } from "./invisible.js";
import { percentSpans } from "./percent.js";
import { isHex, mergeSpans, type Span } from "./text.js";

/** Secrets written out in `text` (no decoding). */
export function plainSecretSpans(text: string): Span[] {
  const out: Span[] = [];
  privateKeySpans(text, out);
  jwtSpans(text, out);
  tokenSpans(text, out);
  contextSpans(text, out);
  splitUrlSpans(text, out);
  return out;
}

const isB64 = (c: number): boolean =>
  (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 43 || c === 47 || c === 45 || c === 95;

/** Shortest encoded run worth decoding: 16 base64 characters hold 12 bytes, 24 hex characters 12. */
const MIN_B64 = 16;
const MIN_HEX = 24;

/** A line this long (a multiple of 4) that ends in a line break before more base64 is wrapped (`base64` wraps at 76). */
const MIN_WRAPPED_LINE = 16;

function encodedSpans(text: string, depth: number, out: Span[]): void {
  const n = text.length;
  let i = 0;
  while (i < n) {
    if (!isB64(text.charCodeAt(i))) {
      i++;
      continue;
    }
    const start = i;
    let allHex = true;
    const lines: string[] = [];
    for (;;) {
      const lineStart = i;
      while (i < n && isB64(text.charCodeAt(i))) {
        if (!isHex(text.charCodeAt(i))) allHex = false;
        i++;
      }
      lines.push(text.slice(lineStart, i));
      const nl = text.charCodeAt(i) === 13 ? i + 1 : i;
      const len = i - lineStart;
      if (!(len >= MIN_WRAPPED_LINE && len % 4 === 0 && text.charCodeAt(nl) === 10 && nl + 1 < n && isB64(text.charCodeAt(nl + 1)))) break;
      i = nl + 1; // a wrapped line: the run goes on after the line break
    }
    let end = i;
    while (end < n && end - i < 2 && text.charCodeAt(end) === 61) end++; // `=` padding
    const run = lines.length === 1 ? lines[0]! : lines.join("");
    const len = run.length;
    if (allHex && len >= MIN_HEX) {
      hexFound(run, 0, len, start, end, depth, out);
    } else if (len >= MIN_B64) {
      let found = false;
      for (let off = 0; off < 4 && !found; off++) {
        found = foundIn(Buffer.from(run.slice(off), "base64").toString("latin1"), depth, out, "base64", start, end);
      }
      // hex after a `/`, `-` or `_` sits inside a base64 run (`/c/414b4941...` in a URL path): its hex parts too
      for (let j = 0; !found && j < len; ) {
        if (!isHex(run.charCodeAt(j))) {
          j++;
          continue;
        }
        const h = j;
        while (j < len && isHex(run.charCodeAt(j))) j++;
        if (j - h < MIN_HEX) continue;
        found = lines.length === 1 ? hexFound(run, h, j, start + h, start + j, depth, out) : hexFound(run, h, j, start, end, depth, out);
      }
    }
    i = end;
  }
}

/** Decode the hex run s[from, to) at its two alignments; a secret inside records [spanStart, spanEnd) as one span. */
function hexFound(s: string, from: number, to: number, spanStart: number, spanEnd: number, depth: number, out: Span[]): boolean {
  const len = to - from;
  for (let off = 0; off < 2; off++) {
    const hex = s.slice(from + off, from + off + ((len - off) & ~1));
    if (foundIn(Buffer.from(hex, "hex").toString("latin1"), depth, out, "hex", spanStart, spanEnd)) return true;
  }
  return false;
}

/** The share of NUL characters in `s`. */
function nulShare(s: string): number {
  let nul = 0;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) === 0) nul++;
  return s.length === 0 ? 0 : nul / s.length;
}

/** Whether `s` has a run of 12 printable ASCII characters (every secret found here has one; random bytes rarely do). */
function hasPrintableRun(s: string): boolean {
  let run = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 32 && c < 127) {
      if (++run >= 12) return true;
    } else run = 0;
  }
  return false;
}

/** Scan decoded text; when it holds a secret, record the encoded run [start, end) as one span. */
function foundIn(decoded: string, depth: number, out: Span[], enc: string, start: number, end: number): boolean {
  if (!hasPrintableRun(decoded)) {
    // UTF-16 (PowerShell's -EncodedCommand): ASCII text with a NUL after (or before) every character
    if (!decoded.includes("\0\0") && nulShare(decoded) >= 0.4) decoded = decoded.replace(/\0/g, "");
    if (!hasPrintableRun(decoded)) return false;
  }
  const inner = secretSpansAt(decoded, depth + 1);
  if (inner.length === 0) return false;
  out.push({ start, end, kind: `${enc}:${inner[0]!.kind}` });
  return true;
}

/** Secrets in `text`, decoding encoded runs while `depth` is below the bound. */
export function secretSpansAt(text: string, depth: number): Span[] {
  const out = plainSecretSpans(text);
  if (depth === 0) for (const s of invisibleSpans(text, (stripped) => secretSpansAt(stripped, 0))) out.push(s);
  if (depth < DETECT_LIMITS.maxDecodeDepth) {
    encodedSpans(text, depth, out);
    for (const p of percentSpans(text, (decoded) => secretSpansAt(decoded, depth + 1))) out.push(p);
  }
  return mergeSpans(out);
}

/** The `secret` detector's spans of `text`. */
export function secretSpans(text: string): Span[] {
  return secretSpansAt(text, 0);
}

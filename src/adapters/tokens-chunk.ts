/**
 * Cutting a text into pieces a BPE tokenizer counts one by one, for token budgets (adapters/tokens.ts).
 *
 * Why: gpt-tokenizer's BPE is super-linear in the length of one pre-token (100k letters `a` take ~5 s), and
 * a result is untrusted text. Cutting bounds the cost per piece.
 *
 * INVARIANT (exactness): a SAFE cut at index i never changes the count: the pre-tokenizer regexes of
 * o200k_base, cl100k_base, p50k_base and r50k_base all end a pre-token at i - 1 and start one at i, and they
 * have no look-behind, so count(s) = count(s[..i]) + count(s[i..]). A cut is safe when
 *   (A) s[i-1] is a letter or digit and s[i] is a space, a tab, or ASCII punctuation other than `'`
 *       (no pre-token continues from a letter or digit into those; `'` could start a contraction), or
 *   (B) s[i-1] is a lone `\n` (s[i-2] is not whitespace: a longer whitespace run ends differently at the end
 *       of a text, `\s+(?!\S)`) and s[i] is neither whitespace nor `/` (o200k's punctuation pre-token may
 *       swallow trailing `[\r\n/]*`).
 * test/tokens.test.ts holds this with a property over all four encodings and tiny pieces.
 * A HARD cut (no safe cut for RUN_CHARS characters) may change the count by a token or so per cut; it only
 * happens inside long runs without spaces or punctuation (long words, CJK without punctuation, `aaaa…`).
 * A hard cut never splits a surrogate pair.
 */

/** Longest stretch without a safe cut before a hard cut (characters). */
export const RUN_CHARS = 128;
/** Preferred piece length (characters): long enough to keep per-call overhead small. */
export const PIECE_CHARS = 8192;

const LETTER_OR_DIGIT = /[\p{L}\p{N}]/u;
const WHITESPACE = /\s/u;

function isLetterOrDigit(code: number, ch: string): boolean {
  if (code < 0x80) return (code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a);
  if (code >= 0xd800 && code <= 0xdfff) return false; // half of a pair: no cut (conservative)
  return LETTER_OR_DIGIT.test(ch);
}

function isSpace(s: string, i: number): boolean {
  const c = s.charCodeAt(i);
  return c < 0x80 ? c === 0x20 || (c >= 0x09 && c <= 0x0d) : WHITESPACE.test(s[i]!);
}

/** ASCII punctuation except `'`, or space, or tab. */
function isCutAfterWord(code: number): boolean {
  if (code === 0x20 || code === 0x09) return true;
  if (code === 0x27) return false;
  return (code >= 0x21 && code <= 0x2f) || (code >= 0x3a && code <= 0x40) || (code >= 0x5b && code <= 0x60) || (code >= 0x7b && code <= 0x7e);
}

/** Whether cutting `s` before index i (0 < i < s.length) keeps the token count (see the header). */
export function isSafeCut(s: string, i: number): boolean {
  const prev = s.charCodeAt(i - 1);
  const cur = s.charCodeAt(i);
  if (prev === 0x0a) return i >= 2 && !isSpace(s, i - 2) && cur !== 0x2f && !isSpace(s, i);
  return isCutAfterWord(cur) && isLetterOrDigit(prev, s[i - 1]!);
}

/**
 * Calls `piece(start, end)` for consecutive pieces covering s[from..]; stops early when `piece` returns
 * false. Returns how many hard cuts it made. `runChars`/`pieceChars` are parameters for the tests.
 */
export function forEachPiece(
  s: string,
  from: number,
  piece: (start: number, end: number) => boolean,
  runChars = RUN_CHARS,
  pieceChars = PIECE_CHARS,
): number {
  let start = from;
  let lastSafe = from;
  let hard = 0;
  for (let i = from + 1; i < s.length; i++) {
    if (isSafeCut(s, i)) {
      lastSafe = i;
      if (i - start >= pieceChars) {
        if (!piece(start, i)) return hard;
        start = i;
      }
    } else if (i - lastSafe >= runChars) {
      let cut = i;
      const c = s.charCodeAt(cut);
      if (c >= 0xdc00 && c <= 0xdfff && cut - 1 > start) cut--; // keep a surrogate pair whole
      if (cut > start) {
        hard++;
        if (!piece(start, cut)) return hard;
        start = cut;
      }
      lastSafe = start;
    }
  }
  if (start < s.length) piece(start, s.length);
  return hard;
}

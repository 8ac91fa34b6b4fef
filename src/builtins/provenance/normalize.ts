/**
 * The normal form provenance compares text in (builtins/provenance). Applied to every string leaf of a result
 * and of an argument before fingerprinting, so a copy that only changed case, spacing, compatibility forms or
 * invisible characters still meets its source. Steps, in this order:
 *   1. strip every character that is invisible or a format/control code and is not white space:
 *      general categories Cc, Cf, Cs (lone surrogates) and Default_Ignorable_Code_Point (zero-width space and
 *      joiners, bidi embeddings/overrides/isolates, soft hyphen, variation selectors, tag characters, BOM);
 *   2. NFKC (full-width and ligature forms, compatibility digits and letters become their plain form);
 *   3. case fold by `toLowerCase()` (locale independent; this is Unicode lowercase mapping, not full case
 *      folding: `ß` stays `ß`, `ſ` (long s) becomes `s` through NFKC);
 *   4. every run of White_Space characters (space, tab, line breaks, NEL, no-break and ideographic spaces, line
 *      and paragraph separators, including spaces NFKC produced) becomes one U+0020; leading and trailing
 *      white space is dropped. Punctuation and symbols are kept (an email address or URL needs them).
 * GUARANTEES: pure, total (never throws, lone surrogates included), idempotent; linear in the input. Plain
 * printable ASCII skips steps 1 and 2 (they are the identity on it).
 */

const STRIP = /(?!\p{White_Space})[\p{Cc}\p{Cf}\p{Cs}\p{Default_Ignorable_Code_Point}]/gu;
const SPACES = /\p{White_Space}+/gu;
const NOT_PLAIN = /[^\x20-\x7e\t\n\r]/;

/** `s` in the normal form above. */
export function normalize(s: string): string {
  let t = s;
  if (NOT_PLAIN.test(t)) {
    t = t.replace(STRIP, "");
    // NFKC and lowercase until stable: each can undo the other on rare characters (U+1D2C `ᴬ` is lowercase
    // but NFKC makes it `A`; `İ` lowercases to `i` + U+0307). Two rounds settle every character known.
    for (let round = 0; round < 3; round++) {
      const next = t.normalize("NFKC").toLowerCase();
      if (next === t) break;
      t = next;
    }
  } else {
    t = t.toLowerCase();
  }
  return t.replace(SPACES, " ").trim();
}

/** The code points of `s` (a lone surrogate cannot remain after `normalize`, but is one code point here too). */
export function codePoints(s: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        out.push(((c - 0xd800) << 10) + (d - 0xdc00) + 0x10000);
        i++;
        continue;
      }
    }
    out.push(c);
  }
  return out;
}

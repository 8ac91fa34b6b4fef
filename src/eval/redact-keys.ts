/**
 * Which object keys a policy's `audit { redact ... }` keys redact (`policy.redact`).
 *
 * A key is read as WORDS: NFKC (fullwidth `ＴＯＫＥＮ` is `TOKEN`), characters that render as nothing
 * dropped (`to\u200bken` is `token`), split at every character that is not a letter, mark or digit (`_`,
 * `-`, `.`, spaces, ...), at camelCase humps (`githubToken`, `APIKey` → `api key`), and between letters
 * and digits (`oauth2Token` → `oauth 2 token`); lower-cased.
 * - A plain redaction key matches a key when the key's words, run together, hold the redaction key's
 *   words run together, starting where a word starts and ending where a word ends. So `token` redacts
 *   `token`, `access_token`, `githubToken`, `X-Auth-Token`, `oauth2_token`, but not `max_tokens` (`tokens`
 *   is another word) nor `tokenizer`; `api_key` redacts `apiKey`, `x-api-key`, `API_KEY` and `apikey`
 *   (its words run together), but not `rapid_key`. A word written as one in the key (`accesstoken`) is one
 *   word: `token` does not redact it; `"*token*"` does.
 * - A quoted redaction key holding `*` is a glob over the whole key in the form above before splitting
 *   (NFKC, invisible characters dropped, lower-cased): `*` is any run of characters, everything else is
 *   literal. `"*token*"` redacts `max_tokens`; `"api_*"` redacts `api_key` but not `apiKey`.
 * Guarantees: `keyMatcher` is built once per policy; a test costs time linear in the key's length times
 * the number of redaction keys (indexOf scans, no backtracking). The checker (E0212) refuses every other
 * glob or regex character in a redaction key.
 */
import { INVISIBLE } from "../contract/names.js";

const INVISIBLE_ALL = new RegExp(INVISIBLE.source, "gu");
const UPPER = /[\p{Lu}\p{Lt}]/u;
const LETTER = /[\p{L}\p{M}]/u;
const DIGIT = /\p{N}/u;

/** NFKC, without invisible characters, lower-cased: the form globs see. */
export function keyForm(key: string): string {
  return /^[\x20-\x7e]*$/.test(key) ? key.toLowerCase() : key.normalize("NFKC").replace(INVISIBLE_ALL, "").toLowerCase();
}

/** The words of a key (see the header), lower-cased. */
export function keyWords(key: string): string[] {
  const text = /^[\x20-\x7e]*$/.test(key) ? key : key.normalize("NFKC").replace(INVISIBLE_ALL, "");
  const chars = Array.from(text);
  const kind = chars.map((c) => (UPPER.test(c) ? "U" : LETTER.test(c) ? "L" : DIGIT.test(c) ? "D" : "S"));
  const words: string[] = [];
  let cur = "";
  for (let i = 0; i < chars.length; i++) {
    const k = kind[i]!;
    if (k === "S") {
      if (cur) words.push(cur);
      cur = "";
      continue;
    }
    const prev = kind[i - 1];
    const next = kind[i + 1];
    const split =
      cur !== "" &&
      ((k === "D") !== (prev === "D") || // letters | digits
        (k === "U" && prev === "L") || // camel: aB
        (k === "U" && prev === "U" && next === "L")); // APIKey: API | Key
    if (split) {
      words.push(cur);
      cur = "";
    }
    cur += chars[i];
  }
  if (cur) words.push(cur);
  return words.map((w) => w.toLowerCase());
}

/** A key's words run together, and the offsets where a word starts or ends. */
function joined(key: string): { text: string; bounds: Set<number> } {
  const bounds = new Set<number>([0]);
  let text = "";
  for (const w of keyWords(key)) {
    text += w;
    bounds.add(text.length);
  }
  return { text, bounds };
}

/** Whether a `*` glob (already in keyForm) matches the whole text: literal segments found in order. */
function globMatch(segments: readonly string[], text: string): boolean {
  const first = segments[0]!;
  const last = segments[segments.length - 1]!;
  if (!text.startsWith(first)) return false;
  let at = first.length;
  for (let i = 1; i < segments.length - 1; i++) {
    const found = text.indexOf(segments[i]!, at);
    if (found < 0) return false;
    at = found + segments[i]!.length;
  }
  return text.length - last.length >= at && text.endsWith(last);
}

/** The test of one key against every redaction key of a policy. */
export function keyMatcher(redactKeys: readonly string[]): (key: string) => boolean {
  const words: string[] = [];
  const globs: string[][] = [];
  for (const r of redactKeys) {
    if (r.includes("*")) globs.push(r.split("*").map(keyForm));
    else {
      const w = keyWords(r).join("");
      if (w) words.push(w); // a key without letters or digits matches nothing
    }
  }
  if (words.length === 0 && globs.length === 0) return () => false;
  return (key) => {
    if (globs.length > 0) {
      const form = keyForm(key);
      if (globs.some((g) => globMatch(g, form))) return true;
    }
    if (words.length === 0) return false;
    const { text, bounds } = joined(key);
    for (const w of words) {
      for (let at = text.indexOf(w); at >= 0; at = text.indexOf(w, at + 1)) {
        if (bounds.has(at) && bounds.has(at + w.length)) return true;
      }
    }
    return false;
  };
}

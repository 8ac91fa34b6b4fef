/**
 * Shared text helpers of the detectors: spans and their merging, character classes, Shannon entropy, and the
 * placeholder test that keeps `xxxxxxxx` and `<your-token>` from counting as secrets.
 * GUARANTEES: pure, never throw, each linear in its input.
 */

export interface Span {
  readonly start: number;
  readonly end: number;
  /** What was found, e.g. `aws-access-key`, `email`, `jwt`. */
  readonly kind: string;
}

/**
 * Sorted, non-overlapping spans: overlapping or touching spans become their union, named after the longest
 * of them (the first found on a tie). Empty spans are dropped.
 */
export function mergeSpans(spans: readonly Span[]): Span[] {
  const sorted = spans.filter((s) => s.end > s.start).sort((a, b) => a.start - b.start || b.end - a.end);
  const out: Span[] = [];
  let cur: { start: number; end: number; kind: string; len: number } | undefined;
  for (const s of sorted) {
    if (cur && s.start < cur.end) {
      if (s.end - s.start > cur.len) {
        cur.kind = s.kind;
        cur.len = s.end - s.start;
      }
      if (s.end > cur.end) cur.end = s.end;
      continue;
    }
    if (cur) out.push({ start: cur.start, end: cur.end, kind: cur.kind });
    cur = { start: s.start, end: s.end, kind: s.kind, len: s.end - s.start };
  }
  if (cur) out.push({ start: cur.start, end: cur.end, kind: cur.kind });
  return out;
}

export const isDigit = (c: number): boolean => c >= 48 && c <= 57;
export const isUpper = (c: number): boolean => c >= 65 && c <= 90;
export const isLower = (c: number): boolean => c >= 97 && c <= 122;
export const isAlnum = (c: number): boolean => isDigit(c) || isUpper(c) || isLower(c);
export const isHex = (c: number): boolean => isDigit(c) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);

/** Shannon entropy of `s` in bits per character (0 for the empty string). */
export function entropy(s: string): number {
  if (s.length === 0) return 0;
  const counts = new Map<number, number>();
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    counts.set(c, (counts.get(c) ?? 0) + 1);
  }
  let h = 0;
  for (const n of counts.values()) {
    const p = n / s.length;
    h -= p * Math.log2(p);
  }
  return h;
}

/** Which of lower, upper, digit and other characters `s` holds, as a count 0..4. */
export function classCount(s: string): number {
  let lower = 0;
  let upper = 0;
  let digit = 0;
  let other = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (isLower(c)) lower = 1;
    else if (isUpper(c)) upper = 1;
    else if (isDigit(c)) digit = 1;
    else other = 1;
  }
  return lower + upper + digit + other;
}

/** Distinct characters of `s`. */
export function distinct(s: string): number {
  return new Set(s).size;
}

const PLACEHOLDER_WORDS =
  /^(?:x+|X+|\*+|\.+|-+|_+|0+|your|my|example|sample|placeholder|changeme|change_me|redacted|dummy|fake|test|todo|secret|password|token|null|none|undefined|string)$/i;

/**
 * A value that stands for a secret rather than being one: templates (`${X}`, `{{x}}`, `<token>`, `%s`,
 * `$X`), masks (`****`, `xxxx`), words such as `your_token_here`, and bodies with too few distinct characters.
 */
export function isPlaceholder(v: string): boolean {
  if (v.length === 0) return true;
  const c0 = v.charCodeAt(0);
  // $ { < % [ ( * : template or mask openers
  if (c0 === 36 || c0 === 123 || c0 === 60 || c0 === 37 || c0 === 91 || c0 === 40 || c0 === 42) return true;
  if (PLACEHOLDER_WORDS.test(v)) return true;
  if (/(?:^|[_-])(?:your|here|example|placeholder|redacted|xxxx)(?:[_-]|$)/i.test(v)) return true;
  if (/x{6}|X{6}|\*{4}|0{10}/.test(v)) return true;
  const d = distinct(v);
  return v.length >= 12 ? d < 6 : d < 4;
}

/**
 * A value that reads as random (a key, a generated password) rather than a word, a path or a code
 * reference: 8+ characters, at least two classes among lower/upper/digit/other, not only lower-case words
 * joined by separators, not a dotted identifier, entropy at least 2.8 bits per character (3.2 from 16).
 */
export function looksRandom(v: string): boolean {
  if (v.length < 8 || v.length > 1024) return false;
  if (isPlaceholder(v)) return false;
  if (classCount(v) < 2) return false;
  if (/^[a-z._-]+$/.test(v) || /^[A-Z._-]+$/.test(v)) return false;
  if (/^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+$/.test(v)) return false;
  if (/^\d+(?:[.,:/-]\d+)*$/.test(v)) return false;
  return entropy(v) >= (v.length >= 16 ? 3.2 : 2.8);
}

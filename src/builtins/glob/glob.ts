// Glob matching for tool/prompt names, resource URIs and `matches`.
// Guarantees: patterns are compiled once; matchers are pure, never throw (a non-string subject never
// matches) and run in O(len(subject) x len(pattern)) worst case — no regex backtracking, no
// catastrophic inputs. `?` matches exactly one code point; `[c]` (one character in brackets) is the
// character c itself, the way to write a wildcard or a reserved character literally. What is not glob
// syntax (classes, alternatives, regex) is refused by the checker (`glob-syntax.ts`) before a pattern
// gets here; a pattern that skipped the checker reads such characters literally. `isAmbiguousUri`
// fails closed.

type Matcher = (s: string) => boolean;

const Tok = {
  Lit: 0, // one literal code point
  One: 1, // `?`
  Star: 2, // `*`
  GlobStar: 3, // `**` (URI globs only)
} as const;
type TokKind = (typeof Tok)[keyof typeof Tok];

interface Token {
  kind: TokKind;
  cp: number;
}

const SLASH = 0x2f;

/** True when the pattern has no wildcard (`*` or `?` outside brackets). */
export function globIsLiteral(pattern: string): boolean {
  return globLiteral(pattern) !== undefined;
}

/** The exact name a wildcard-free pattern stands for (`[*]` read as `*`), or undefined for a glob. */
export function globLiteral(pattern: string): string | undefined {
  if (typeof pattern !== "string") return undefined;
  if (pattern.indexOf("*") < 0 && pattern.indexOf("?") < 0 && pattern.indexOf("[") < 0) return pattern;
  const toks = tokenize(pattern, false);
  return toks.every((t) => t.kind === Tok.Lit) ? String.fromCodePoint(...toks.map((t) => t.cp)) : undefined;
}

/**
 * A text the pattern matches when each `**` becomes `globstar`, each `*` `star` and each `?` `one`, and
 * each `[c]` its character (for samples and examples; `fill("fs.*", "x", "x/y", "x")` is `fs.x`).
 */
export function globFill(pattern: string, star: string, globstar: string, one: string): string {
  let out = "";
  for (let i = 0; i < pattern.length; ) {
    const quoted = bracketLiteral(pattern, i);
    if (quoted) {
      out += String.fromCodePoint(quoted.cp);
      i += quoted.width;
    } else if (pattern.startsWith("**", i)) {
      out += globstar;
      while (pattern[i] === "*") i++;
    } else {
      const c = pattern[i]!;
      out += c === "*" ? star : c === "?" ? one : c;
      i++;
    }
  }
  return out;
}

/**
 * `[c]` at `i` (exactly one code point between brackets): the code point and the width of the group, or
 * undefined. Shared with the syntax check so both read a pattern the same way.
 */
export function bracketLiteral(pattern: string, i: number): { cp: number; width: number } | undefined {
  if (pattern.charCodeAt(i) !== 0x5b /* [ */) return undefined;
  const cp = pattern.codePointAt(i + 1);
  if (cp === undefined) return undefined;
  const w = cp > 0xffff ? 2 : 1;
  return pattern.charCodeAt(i + 1 + w) === 0x5d /* ] */ ? { cp, width: w + 2 } : undefined;
}

/** Tool / prompt name globs: `*` any run (dots included), `?` one code point. */
export function compileNameGlob(pattern: string): Matcher {
  if (typeof pattern !== "string") return () => false;
  return compile(pattern, false);
}

/** Resource URI globs: `*` within one segment, `**` across segments, `?` one non-`/` code point. */
export function compileUriGlob(pattern: string): Matcher {
  if (typeof pattern !== "string") return () => false;
  return compile(pattern, true);
}

function compile(pattern: string, uri: boolean): Matcher {
  const toks = tokenize(pattern, uri);
  const lits = (ts: Token[]) => ts.every((t) => t.kind === Tok.Lit);
  const text = (ts: Token[]) => String.fromCodePoint(...ts.map((t) => t.cp));
  if (lits(toks)) {
    const exact = text(toks);
    return (s) => s === exact;
  }
  const anyRun = (t: Token): boolean => t.kind === Tok.GlobStar || (t.kind === Tok.Star && !uri);
  if (toks.length === 1 && anyRun(toks[0]!)) return (s) => typeof s === "string";
  const tail = toks[toks.length - 1]!;
  const head = toks[0]!;
  // Fast paths: `prefix*` / `*suffix` where the star matches anything.
  if (anyRun(tail) && lits(toks.slice(0, -1))) {
    const prefix = text(toks.slice(0, -1));
    return (s) => typeof s === "string" && s.startsWith(prefix);
  }
  if (anyRun(head) && lits(toks.slice(1))) {
    const suffix = text(toks.slice(1));
    return (s) => typeof s === "string" && s.endsWith(suffix);
  }
  // Fast path: `*literal*` where both stars match anything.
  if (toks.length >= 3 && anyRun(head) && anyRun(tail) && lits(toks.slice(1, -1))) {
    const middle = text(toks.slice(1, -1));
    return (s) => typeof s === "string" && s.includes(middle);
  }
  return (s) => typeof s === "string" && simulate(toks, s, uri);
}

function tokenize(pattern: string, uri: boolean): Token[] {
  const toks: Token[] = [];
  for (let i = 0; i < pattern.length; ) {
    const cp = pattern.codePointAt(i)!;
    const width = cp > 0xffff ? 2 : 1;
    if (cp === 0x2a /* * */) {
      let run = 1;
      while (pattern.charCodeAt(i + run) === 0x2a) run++;
      // A run of stars is one token: `**` (or more) crosses segments in a URI glob.
      toks.push({ kind: uri && run >= 2 ? Tok.GlobStar : Tok.Star, cp: 0 });
      i += run;
      continue;
    }
    const quoted = bracketLiteral(pattern, i);
    if (quoted) {
      toks.push({ kind: Tok.Lit, cp: quoted.cp });
      i += quoted.width;
      continue;
    }
    toks.push(cp === 0x3f /* ? */ ? { kind: Tok.One, cp: 0 } : { kind: Tok.Lit, cp });
    i += width;
  }
  return toks;
}

/** NFA simulation over code points: O(n*m), no backtracking. */
function simulate(toks: Token[], s: string, uri: boolean): boolean {
  const m = toks.length;
  let cur = new Uint8Array(m + 1);
  let next = new Uint8Array(m + 1);
  cur[0] = 1;
  closure(toks, cur);
  for (let i = 0; i < s.length; ) {
    const cp = s.codePointAt(i)!;
    i += cp > 0xffff ? 2 : 1;
    next.fill(0);
    let alive = false;
    for (let q = 0; q < m; q++) {
      if (!cur[q]) continue;
      const t = toks[q]!;
      const ok = t.kind === Tok.Lit ? cp === t.cp : t.kind === Tok.GlobStar || !uri || cp !== SLASH;
      if (!ok) continue;
      // Lit and One advance; Star and GlobStar stay (they may consume more).
      next[t.kind === Tok.Lit || t.kind === Tok.One ? q + 1 : q] = 1;
      alive = true;
    }
    if (!alive) return false;
    closure(toks, next);
    const tmp = cur;
    cur = next;
    next = tmp;
  }
  return cur[m] === 1;
}

/** A star state may also be skipped (it matches the empty run). */
function closure(toks: Token[], set: Uint8Array): void {
  for (let q = 0; q < toks.length; q++) {
    const k = toks[q]!.kind;
    if (set[q] && (k === Tok.Star || k === Tok.GlobStar)) set[q + 1] = 1;
  }
}

const ENCODED_SEPARATOR = /%(?:2f|5c|25(?:2e|2f|5c)|c0|c1)/i;

/**
 * True when a resource URI could be read more than one way: dot segments (plain or percent-encoded),
 * encoded slashes/backslashes, double-encoded dots, overlong UTF-8 lead bytes, a backslash, or a control
 * character. Non-strings are ambiguous.
 */
const ENCODED_UNRESERVED = /%(?:3[0-9]|4[1-9a-fA-F]|5[0-9aA]|6[1-9a-fA-F]|7[0-9aA]|2[dD]|5[fF]|7[eE])/;

export function isAmbiguousUri(uri: unknown): boolean {
  if (typeof uri !== "string") return true;
  for (let i = 0; i < uri.length; i++) {
    const c = uri.charCodeAt(i);
    if (c <= 0x1f || c === 0x7f || c === 0x5c /* \ */) return true;
  }
  // Encoded slashes/backslashes, double encoding of them, and overlong lead bytes are never needed in
  // an allow-listed URI. An encoded dot is ambiguous only inside a dot segment; checked below.
  let s = uri;
  if (uri.indexOf("%") >= 0) {
    if (ENCODED_SEPARATOR.test(uri)) return true;
    // A percent-encoded unreserved character (letter, digit, `-`, `_`, `~`) means the same as the
    // character itself (RFC 3986 6.2.2.2), so `%73ecret` is `secret` to the server but not to a rule
    // written for `secret`: never needed, refused.
    if (ENCODED_UNRESERVED.test(uri)) return true;
    s = uri.replace(/%2e/gi, ".");
  }
  if (s.indexOf(".") < 0) return false;
  for (const seg of s.split(/[/?#]/)) {
    if (seg === "." || seg === "..") return true;
  }
  return false;
}

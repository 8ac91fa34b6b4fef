// Fast paths for the commonest pattern shapes (issue 16): plain string code instead of re2js's automaton.
// Guarantees: `fastPatternTest(source)` returns a test only for a pattern of one of these shapes, written
// without flags, and that test answers exactly as the pattern does under regex.ts's semantics
// (JavaScript's `RegExp.prototype.test` with the `u` flag: code points, `^`/`$` at the very start and
// end of the input only); for any other pattern it returns undefined and re2js decides. The shapes:
//   a literal                  `abc`  `^abc`  `abc$`  `^abc$`   (escaped syntax characters allowed: `\.`)
//   one anchored class         `^[a-z0-9_-]+$`  `^[^/]*$`  `^\d{1,5}$`  `^\w{3,}$`  `^[A-Z]$`
// Literals hold no lone surrogate; classes hold ASCII only (a negated class matches every non-ASCII
// code point, a lone surrogate included, counted as one); quantifiers `+ * {n} {n,} {n,m}` (greedy).
// Anything else (the `i` flag, `(?i)`, alternation, groups, `.`, `\s`, `\b`, non-ASCII classes) is refused.
// test/pattern-fast.test.ts checks the fast answer against re2js on generated patterns and inputs.

/** The characters u-mode lets a pattern escape (no other identity escapes). */
const SYNTAX = "^$\\.*+?()[]{}|/";
/** The characters a literal may hold only escaped (`/` needs no escape in a `RegExp` source). */
const OPERATORS = "^$\\.*+?()[]{}|";
/** Largest repetition count accepted (RE2 refuses more than 1000 anyway). */
const MAX_COUNT = 1000;

/** A test for `source` by plain string code, or undefined when the pattern is not one of the shapes. */
export function fastPatternTest(source: string): ((s: string) => boolean) | undefined {
  const anchoredStart = source.startsWith("^");
  const anchoredEnd = source.endsWith("$") && !endsEscaped(source);
  const body = source.slice(anchoredStart ? 1 : 0, anchoredEnd ? source.length - 1 : source.length);
  const lit = literalOf(body);
  if (lit !== undefined) {
    if (anchoredStart && anchoredEnd) return (s) => s === lit;
    if (anchoredStart) return (s) => s.startsWith(lit);
    if (anchoredEnd) return (s) => s.endsWith(lit);
    return (s) => s.includes(lit);
  }
  if (anchoredStart && anchoredEnd) return classRun(body);
  return undefined;
}

/** Whether the final `$` is escaped (`\$`: an odd run of backslashes before it). */
function endsEscaped(source: string): boolean {
  let n = 0;
  for (let i = source.length - 2; i >= 0 && source[i] === "\\"; i--) n++;
  return n % 2 === 1;
}

/** The text a literal body stands for, or undefined when the body holds any operator. */
function literalOf(body: string): string | undefined {
  let out = "";
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    const code = body.charCodeAt(i);
    if (c === "\\") {
      const d = body[i + 1];
      if (d === undefined || !SYNTAX.includes(d)) return undefined;
      out += d;
      i++;
      continue;
    }
    if (OPERATORS.includes(c)) return undefined;
    if (code >= 0xd800 && code <= 0xdbff) {
      const next = body.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) return undefined; // a lone high surrogate
      out += body.slice(i, i + 2);
      i++;
      continue;
    }
    if (code >= 0xdc00 && code <= 0xdfff) return undefined; // a lone low surrogate
    out += c;
  }
  return out;
}

/** `CLASS QUANT` between the anchors: the test, or undefined. */
function classRun(body: string): ((s: string) => boolean) | undefined {
  const cls = classOf(body);
  if (cls === undefined) return undefined;
  const q = quantifierOf(body.slice(cls.end));
  if (q === undefined) return undefined;
  const { set, negated } = cls;
  const { min, max } = q;
  if (!negated) {
    // Every member is ASCII, one UTF-16 unit per code point: the input's length is its count.
    return (s) => {
      const n = s.length;
      if (n < min || n > max) return false;
      for (let i = 0; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c >= 128 || set[c] === 0) return false;
      }
      return true;
    };
  }
  return (s) => {
    let count = 0;
    const n = s.length;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c < 128) {
        if (set[c] === 1) return false;
      } else if (c >= 0xd800 && c <= 0xdbff && i + 1 < n) {
        const d = s.charCodeAt(i + 1);
        if (d >= 0xdc00 && d <= 0xdfff) i++; // a surrogate pair is one code point
      }
      if (++count > max) return false;
    }
    return count >= min;
  };
}

interface Cls {
  /** Membership of each ASCII code unit (1: in the written class, before negation). */
  readonly set: Uint8Array;
  readonly negated: boolean;
  /** Where the class ends in the body. */
  readonly end: number;
}

function addDigits(set: Uint8Array): void {
  for (let c = 48; c <= 57; c++) set[c] = 1;
}
function addWord(set: Uint8Array): void {
  addDigits(set);
  for (let c = 65; c <= 90; c++) set[c] = 1;
  for (let c = 97; c <= 122; c++) set[c] = 1;
  set[95] = 1;
}

/** `\d`, `\w`, or a bracket class of ASCII literals, ranges, `\d` and `\w`; undefined otherwise. */
function classOf(body: string): Cls | undefined {
  const set = new Uint8Array(128);
  if (body.startsWith("\\d") || body.startsWith("\\w")) {
    (body[1] === "d" ? addDigits : addWord)(set);
    return { set, negated: false, end: 2 };
  }
  if (body[0] !== "[") return undefined;
  let i = 1;
  const negated = body[i] === "^";
  if (negated) i++;
  const start = i;
  if (body[i] === "]") return undefined; // `[]` and `[^]`: left to re2js
  let prevWasRange = false;
  while (i < body.length && body[i] !== "]") {
    const a = atomAt(body, i);
    if (a === undefined) return undefined;
    if (a.cls !== undefined) {
      if (body[a.next] === "-" && body[a.next + 1] !== "]") return undefined; // `[\d-x]`: a syntax error in u-mode
      (a.cls === "d" ? addDigits : addWord)(set);
      i = a.next;
      prevWasRange = false;
      continue;
    }
    if (a.code === 45 && !a.escaped && i !== start && body[i + 1] !== "]" && prevWasRange) return undefined; // `[a-z-_]`: refused, not guessed
    if (body[a.next] === "-" && body[a.next + 1] !== "]" && a.next + 1 < body.length) {
      const b = atomAt(body, a.next + 1);
      if (b === undefined || b.cls !== undefined || b.code < a.code) return undefined;
      for (let c = a.code; c <= b.code; c++) set[c] = 1;
      i = b.next;
      prevWasRange = true;
      continue;
    }
    set[a.code] = 1;
    i = a.next;
    prevWasRange = false;
  }
  if (body[i] !== "]") return undefined;
  return { set, negated, end: i + 1 };
}

/** One class atom: a printable ASCII character, an escaped one, or `\d` / `\w`. */
function atomAt(body: string, i: number): { code: number; cls: "d" | "w" | undefined; escaped: boolean; next: number } | undefined {
  const c = body.charCodeAt(i);
  if (c === 92) {
    const d = body[i + 1];
    if (d === "d" || d === "w") return { code: -1, cls: d, escaped: true, next: i + 2 };
    if (d === undefined || !(SYNTAX.includes(d) || d === "-")) return undefined;
    return { code: d.charCodeAt(0), cls: undefined, escaped: true, next: i + 2 };
  }
  // Printable ASCII only; `[` is left to re2js (the translator's special case).
  if (Number.isNaN(c) || c < 0x20 || c >= 0x7f || c === 91) return undefined;
  return { code: c, cls: undefined, escaped: false, next: i + 1 };
}

/** `` (one), `+`, `*`, `{n}`, `{n,}`, `{n,m}` as the whole rest of the body; undefined otherwise. */
function quantifierOf(rest: string): { min: number; max: number } | undefined {
  if (rest === "") return { min: 1, max: 1 };
  if (rest === "+") return { min: 1, max: Infinity };
  if (rest === "*") return { min: 0, max: Infinity };
  const m = /^\{(\d{1,4})(,(\d{1,4})?)?\}$/.exec(rest);
  if (!m) return undefined;
  const min = Number(m[1]);
  const max = m[2] === undefined ? min : m[3] === undefined ? Infinity : Number(m[3]);
  if (min > MAX_COUNT || max < min || (max !== Infinity && max > MAX_COUNT)) return undefined;
  return { min, max };
}

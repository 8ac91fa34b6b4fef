// Linear-time patterns: `string(pattern: "...")`, and every JSON Schema `pattern` / `patternProperties`.
// Guarantees: matching runs on re2js (a pure-JS port of RE2: automata, no backtracking), so a test
// takes time linear in the input (times a factor bounded by the pattern's size, itself capped by
// MAX_PATTERN_LENGTH and RE2's program-size limit): no pattern can hang the engine on attacker input
// (ReDoS). Constructs that need backtracking (backreferences, lookahead, lookbehind) are refused at
// compile time with a plain-words error and a hint; any other syntax RE2 rejects is reported with
// RE2's own reason. The returned `test` is pure and never throws: a non-string, or an internal
// failure, is `false` (which denies).
//
// Semantics are those of JavaScript's `RegExp.prototype.test` with the `u` flag and no other flag:
// an unanchored search (use `^`/`$` to anchor), code points not UTF-16 units (an astral character is
// one `.`; a lone surrogate is one code point too), `\d` `\w` `\b` ASCII-only, `$` only at the very
// end of the input. Where RE2 and JavaScript spell or mean a construct differently, the pattern is
// rewritten to the JavaScript meaning before RE2 compiles it:
//   `.`                 any code point except \n \r \u2028 \u2029 (RE2's `.` only excludes \n)
//   `\s` `\S`           JavaScript's whitespace set (RE2's is ASCII \t\n\f\r and space only)
//   `\uXXXX` `\u{X}`    code point escapes (a surrogate pair `\uD83D\uDE00` is one code point)
//   `\cX`               control character; `[\b]` is backspace
//   `[]` `[^]`          the empty class and the any-code-point class (RE2 would read `]` as a literal)
//   `[` inside a class  a literal `[` (RE2 would start a POSIX class `[[:alpha:]]`)
//   `\p{...}`           long general-category names (`Letter`), `Script=`/`sc=`/`gc=` prefixes, `ASCII`
// RE2-only spellings that JavaScript rejects (`\x{...}`, `\A`, `\z`, `\Q...\E`, `(?P<n>...)`, `\pL`)
// are accepted as RE2 reads them. Case-insensitive matching: the flag `i` (`flags: "i"`), or the inline
// `(?i)` (the rest of the group) and `(?i:...)` (that group); folding is Unicode simple case folding,
// as JavaScript's `iu` (`k` matches the Kelvin sign, `σ` matches `ς`; `ß` never matches `ss`). Every
// other flag, inline or given (`m`, `s`, `U`, `-i`), is refused: one meaning, the documented one. Unicode property data is re2js's (Unicode 17), which may differ from Node's in new
// code points. re2js loads on the first pattern compiled (source/deps.ts), not at import.
import type { RE2JS } from "re2js";
import { re2js } from "../../source/deps.js";
import { fastPatternTest } from "./fast.js";

export interface LinearPattern {
  /** Unanchored search, like `RegExp.prototype.test`. Never throws; false on a non-string. */
  test: (s: string) => boolean;
}

export interface PatternError {
  error: string;
  hint?: string;
}

/** Longest accepted pattern source, in UTF-16 units: bounds the per-input-character cost. */
export const MAX_PATTERN_LENGTH = 10_000;

const LOOKAROUND_HINT = "rewrite without lookaround, or split the check into two patterns";

/** The flags a pattern may be given: none, or `i` (case-insensitive). */
export const PATTERN_FLAGS = ["", "i"] as const;

/** Why `flags` cannot be used, or undefined. */
export function flagsProblem(flags: string): PatternError | undefined {
  if ((PATTERN_FLAGS as readonly string[]).includes(flags)) return undefined;
  return { error: `flags ${JSON.stringify(flags)} are not supported`, hint: 'the only flag is "i" (case-insensitive); write `flags: "i"`, or `(?i)` at the start of the pattern' };
}

/**
 * A pattern's linear-time test, or why it cannot be used. `engine`: `"auto"` takes fast.ts's string code
 * for the shapes it knows (after re2js accepted the pattern, so errors are the same), `"re2"` always re2js
 * (for tests comparing the two).
 */
export function compileLinearPattern(source: string, flags = "", engine: "auto" | "re2" = "auto"): LinearPattern | PatternError {
  if (typeof source !== "string") return { error: "pattern must be a string" };
  const badFlags = flagsProblem(flags);
  if (badFlags) return badFlags;
  if (source.length > MAX_PATTERN_LENGTH) {
    return { error: `pattern is too long (${source.length} characters; at most ${MAX_PATTERN_LENGTH})` };
  }
  const tr = translate(source);
  if (typeof tr !== "string") return tr;
  let re: RE2JS;
  try {
    const { RE2JS: Re2 } = re2js(); // loaded on the first pattern compiled (source/deps.ts); a load failure is an error here
    re = Re2.compile(tr, flags === "i" ? Re2.CASE_INSENSITIVE : 0);
  } catch (e) {
    return describeRe2Error(e);
  }
  // The commonest shapes (a literal, one anchored class) by plain string code: same answers (fast.ts).
  const fast = flags === "" && engine === "auto" ? fastPatternTest(source) : undefined;
  if (fast !== undefined) return { test: (s: string): boolean => typeof s === "string" && fast(s) };
  const test = (s: string): boolean => {
    if (typeof s !== "string") return false;
    try {
      return re.test(s) === true;
    } catch {
      return false;
    }
  };
  return { test };
}

// ---------------------------------------------------------------------------------------------------
// JavaScript (u-mode) spelling -> RE2 spelling

/** Every code point, as the body of an RE2 class. */
const ANY = "\\x{0}-\\x{10FFFF}";
/** JavaScript's `.` without the `s` flag. */
const DOT = "[^\\n\\r\\x{2028}\\x{2029}]";
/** JavaScript's `\s`: WhiteSpace and LineTerminator (ECMA-262 §22.2.2.9, Unicode Zs included). */
const SPACE_RANGES: ReadonlyArray<readonly [number, number]> = [
  [0x09, 0x0d],
  [0x20, 0x20],
  [0xa0, 0xa0],
  [0x1680, 0x1680],
  [0x2000, 0x200a],
  [0x2028, 0x2029],
  [0x202f, 0x202f],
  [0x205f, 0x205f],
  [0x3000, 0x3000],
  [0xfeff, 0xfeff],
];
const hex = (n: number): string => `\\x{${n.toString(16).toUpperCase()}}`;
const classBody = (ranges: ReadonlyArray<readonly [number, number]>): string =>
  ranges.map(([a, b]) => (a === b ? hex(a) : `${hex(a)}-${hex(b)}`)).join("");
function complement(ranges: ReadonlyArray<readonly [number, number]>): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let next = 0;
  for (const [a, b] of ranges) {
    if (a > next) out.push([next, a - 1]);
    next = b + 1;
  }
  if (next <= 0x10ffff) out.push([next, 0x10ffff]);
  return out;
}
const SPACE = classBody(SPACE_RANGES);
const NON_SPACE = classBody(complement(SPACE_RANGES));
const ASCII = "\\x{0}-\\x{7F}";
const NON_ASCII = "\\x{80}-\\x{10FFFF}";

/** Long general-category names (and aliases) JavaScript accepts, to the short names RE2 knows. */
const GENERAL_CATEGORY: Readonly<Record<string, string>> = {
  Letter: "L",
  Cased_Letter: "LC",
  Uppercase_Letter: "Lu",
  Lowercase_Letter: "Ll",
  Titlecase_Letter: "Lt",
  Modifier_Letter: "Lm",
  Other_Letter: "Lo",
  Mark: "M",
  Combining_Mark: "M",
  Nonspacing_Mark: "Mn",
  Spacing_Mark: "Mc",
  Enclosing_Mark: "Me",
  Number: "N",
  Decimal_Number: "Nd",
  digit: "Nd",
  Letter_Number: "Nl",
  Other_Number: "No",
  Punctuation: "P",
  punct: "P",
  Connector_Punctuation: "Pc",
  Dash_Punctuation: "Pd",
  Open_Punctuation: "Ps",
  Close_Punctuation: "Pe",
  Initial_Punctuation: "Pi",
  Final_Punctuation: "Pf",
  Other_Punctuation: "Po",
  Symbol: "S",
  Math_Symbol: "Sm",
  Currency_Symbol: "Sc",
  Modifier_Symbol: "Sk",
  Other_Symbol: "So",
  Separator: "Z",
  Space_Separator: "Zs",
  Line_Separator: "Zl",
  Paragraph_Separator: "Zp",
  Other: "C",
  Control: "Cc",
  cntrl: "Cc",
  Format: "Cf",
  Surrogate: "Cs",
  Private_Use: "Co",
  Unassigned: "Cn",
};

const isHex = (c: string | undefined): boolean => c !== undefined && /^[0-9A-Fa-f]$/.test(c);

/**
 * Rewrite a JavaScript-style pattern into RE2 syntax with the same meaning, or refuse it. A single
 * left-to-right scan that tracks whether it is inside a character class; linear in the source.
 */
function translate(src: string): string | PatternError {
  let out = "";
  let inClass = false;
  let i = 0;
  const n = src.length;
  while (i < n) {
    const c = src[i] as string;
    if (c === "\\") {
      const r = translateEscape(src, i, inClass);
      if (typeof r.out !== "string") return r.out;
      out += r.out;
      i = r.next;
      continue;
    }
    if (inClass) {
      if (c === "]") inClass = false;
      out += c === "[" ? "\\[" : c;
      i++;
      continue;
    }
    if (c === "[") {
      if (src.startsWith("[]", i)) {
        out += `[^${ANY}]`;
        i += 2;
      } else if (src.startsWith("[^]", i)) {
        out += `[${ANY}]`;
        i += 3;
      } else if (src[i + 1] === "^") {
        out += "[^";
        inClass = true;
        i += 2;
      } else {
        out += "[";
        inClass = true;
        i++;
      }
      continue;
    }
    if (c === "(" && src[i + 1] === "?") {
      const fault = groupFault(src, i);
      if (fault) return fault;
      out += c;
      i++;
      continue;
    }
    out += c === "." ? DOT : c;
    i++;
  }
  return out;
}

const FLAG_HINT = "the only inline flag is i (case-insensitive): `(?i)` for the rest of the group, `(?i:...)` for one group";

/** Lookaround and inline flags other than `i`, at a `(?` outside a class; null when the group is fine. */
function groupFault(src: string, i: number): PatternError | null {
  const rest = src.slice(i + 2, i + 4);
  if (rest.startsWith("=")) return { error: "lookahead (?=...) cannot run in linear time", hint: LOOKAROUND_HINT };
  if (rest.startsWith("!")) return { error: "negative lookahead (?!...) cannot run in linear time", hint: LOOKAROUND_HINT };
  if (rest === "<=") return { error: "lookbehind (?<=...) cannot run in linear time", hint: LOOKAROUND_HINT };
  if (rest === "<!") return { error: "negative lookbehind (?<!...) cannot run in linear time", hint: LOOKAROUND_HINT };
  const m = /^\(\?([A-Za-z]*)(-[A-Za-z]*)?[:)]/.exec(src.slice(i, i + 64));
  if (!m) return null;
  const on = m[1] ?? "";
  if (on.includes("s")) {
    return {
      error: "inline flag s is not supported",
      hint: "use [\\s\\S] to match any character including line breaks",
    };
  }
  const other = [...on].find((f) => f !== "i") ?? (m[2] !== undefined ? m[2] : undefined);
  if (other !== undefined) return { error: `inline flag ${other} is not supported`, hint: FLAG_HINT };
  return null;
}

/**
 * The pattern with its inline `i` groups removed (`(?i)` dropped, `(?i:` read as `(?:`), and whether
 * it had any: the JavaScript spelling of the pattern under the `i` flag, for a syntax check by
 * `RegExp` (which has no inline flags). Escapes and classes are skipped as `translate` reads them.
 */
export function withoutInlineCaseFlag(src: string): { source: string; i: boolean } {
  let out = "";
  let inClass = false;
  let found = false;
  for (let k = 0; k < src.length; ) {
    const c = src[k] as string;
    if (c === "\\") {
      out += src.slice(k, k + 2);
      k += 2;
      continue;
    }
    if (inClass) {
      if (c === "]") inClass = false;
      out += c;
      k++;
      continue;
    }
    if (c === "[") {
      const unit = src.startsWith("[]", k) ? 2 : src.startsWith("[^]", k) ? 3 : 0;
      if (unit > 0) {
        out += src.slice(k, k + unit);
        k += unit;
        continue;
      }
      inClass = true;
      const open = src[k + 1] === "^" ? 2 : 1;
      out += src.slice(k, k + open);
      k += open;
      continue;
    }
    if (src.startsWith("(?i)", k)) {
      found = true;
      k += 4;
      continue;
    }
    if (src.startsWith("(?i:", k)) {
      found = true;
      out += "(?:";
      k += 4;
      continue;
    }
    out += c;
    k++;
  }
  return { source: out, i: found };
}

function translateEscape(src: string, i: number, inClass: boolean): { out: string | PatternError; next: number } {
  const d = src[i + 1];
  if (d === undefined) return { out: "\\", next: i + 1 }; // RE2 reports the trailing backslash
  if (d >= "1" && d <= "9" && !inClass) {
    let j = i + 1;
    while (j < src.length && (src[j] as string) >= "0" && (src[j] as string) <= "9") j++;
    return {
      out: {
        error: `backreference ${src.slice(i, j)} cannot run in linear time`,
        hint: "match the repeated text explicitly, or compare the values outside the pattern",
      },
      next: j,
    };
  }
  if (d === "k" && src[i + 2] === "<") {
    const end = src.indexOf(">", i);
    return {
      out: {
        error: `backreference ${end > 0 && end - i < 40 ? src.slice(i, end + 1) : "\\k<...>"} cannot run in linear time`,
        hint: "match the repeated text explicitly, or compare the values outside the pattern",
      },
      next: i + 2,
    };
  }
  switch (d) {
    case "s":
      return { out: inClass ? SPACE : `[${SPACE}]`, next: i + 2 };
    case "S":
      return { out: inClass ? NON_SPACE : `[^${SPACE}]`, next: i + 2 };
    case "b":
      return { out: inClass ? "\\x{8}" : "\\b", next: i + 2 };
    case "u":
      return unicodeEscape(src, i);
    case "c": {
      const l = src[i + 2];
      if (l !== undefined && /^[A-Za-z]$/.test(l)) return { out: hex(l.charCodeAt(0) % 32), next: i + 3 };
      return { out: "\\c", next: i + 2 }; // RE2 reports it
    }
    case "p":
    case "P":
      return propertyEscape(src, i, d === "P", inClass);
    case "Q": {
      // RE2's literal quote: copied as is, nothing inside is translated.
      const end = src.indexOf("\\E", i + 2);
      const stop = end < 0 ? src.length : end + 2;
      return { out: src.slice(i, stop), next: stop };
    }
    default: {
      // Keep a surrogate pair together (an escaped astral character is a literal in both).
      const cp = src.codePointAt(i + 1) as number;
      const len = cp > 0xffff ? 2 : 1;
      return { out: src.slice(i, i + 1 + len), next: i + 1 + len };
    }
  }
}

function unicodeEscape(src: string, i: number): { out: string | PatternError; next: number } {
  const bad = {
    out: { error: `invalid unicode escape ${src.slice(i, i + 6)}`, hint: "write \\uXXXX (four hex digits) or \\u{X...} (a code point up to 10FFFF)" },
    next: i + 2,
  };
  if (src[i + 2] === "{") {
    let j = i + 3;
    while (j < src.length && isHex(src[j])) j++;
    if (j === i + 3 || src[j] !== "}" || j - (i + 3) > 8) return bad;
    const cp = parseInt(src.slice(i + 3, j), 16);
    if (cp > 0x10ffff) return bad;
    return { out: hex(cp), next: j + 1 };
  }
  const four = (at: number): number | null => {
    for (let k = at; k < at + 4; k++) if (!isHex(src[k])) return null;
    return parseInt(src.slice(at, at + 4), 16);
  };
  const u = four(i + 2);
  if (u === null) return bad;
  if (u >= 0xd800 && u <= 0xdbff && src[i + 6] === "\\" && src[i + 7] === "u") {
    const l = four(i + 8);
    if (l !== null && l >= 0xdc00 && l <= 0xdfff) {
      return { out: hex(0x10000 + ((u - 0xd800) << 10) + (l - 0xdc00)), next: i + 12 };
    }
  }
  return { out: hex(u), next: i + 6 };
}

function propertyEscape(src: string, i: number, negated: boolean, inClass: boolean): { out: string | PatternError; next: number } {
  if (src[i + 2] !== "{") return { out: src.slice(i, i + 3), next: i + 3 }; // RE2's `\pL`, or RE2 reports it
  const end = src.indexOf("}", i + 3);
  if (end < 0) return { out: src.slice(i, i + 3), next: i + 3 };
  let name = src.slice(i + 3, end);
  const eq = name.indexOf("=");
  if (eq >= 0) {
    const key = name.slice(0, eq);
    const value = name.slice(eq + 1);
    if (key === "Script" || key === "sc" || key === "General_Category" || key === "gc") name = value;
    else {
      return {
        out: { error: `unicode property ${key}= is not supported`, hint: "use a general category (\\p{L}), a script (\\p{Script=Greek}) or a binary property" },
        next: end + 1,
      };
    }
  }
  name = GENERAL_CATEGORY[name] ?? name;
  if (name === "ASCII") {
    const body = negated ? NON_ASCII : ASCII;
    return { out: inClass ? body : `[${body}]`, next: end + 1 };
  }
  return { out: `\\${negated ? "P" : "p"}{${name}}`, next: end + 1 };
}

// ---------------------------------------------------------------------------------------------------
// RE2's errors, in plain words

const RE2_HINTS: ReadonlyArray<readonly [RegExp, string]> = [
  [/invalid repeat count/, "a counted repetition {n,m} allows at most 1000"],
  [/expression too large/, "simplify the pattern: nested counted repetitions multiply its size"],
  [/invalid nested repetition/, "possessive (a++) and stacked (a{2}{3}) quantifiers are not supported: group first, as in (?:a+)+"],
  [/invalid character class range/, "check the range or the unicode property name (\\p{L}, \\p{Lu}, \\p{Script=Greek})"],
  [/invalid escape/, "escape only punctuation; write a code point as \\x{...} or \\u{...}"],
  [/invalid named capture/, "a group name is letters, digits and _: (?<name>...)"],
  [/missing closing|unexpected \)/, "check that brackets and parentheses are balanced and escaped where literal"],
  [/missing argument to repetition/, "a quantifier (* + ? {n}) needs something before it; escape it to match it literally"],
  [/trailing backslash/, "escape a literal backslash as \\\\"],
];

function describeRe2Error(e: unknown): PatternError {
  let error: string;
  const o = e as { error?: unknown; input?: unknown; message?: unknown } | null;
  if (o && typeof o.error === "string") {
    const input = typeof o.input === "string" && o.input.length > 0 ? o.input : null;
    const shown = input === null ? "" : ` \`${input.length > 60 ? `${input.slice(0, 57)}...` : input}\``;
    error = `${o.error}${shown}`;
  } else {
    const msg = o && typeof o.message === "string" ? o.message : String(e);
    error = msg.replace(/^error parsing regexp:\s*/, "");
  }
  error = `invalid pattern: ${error.charAt(0).toLowerCase()}${error.slice(1)}`;
  const hint = RE2_HINTS.find(([re]) => re.test(error))?.[1];
  return hint === undefined ? { error } : { error, hint };
}

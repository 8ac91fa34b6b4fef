// What a glob may say. Guarantees: `globProblem` accepts exactly the patterns whose meaning is the
// documented one — `*` any run, `?` one character, `**` across segments (resource URIs), `[c]` the
// character c — and returns a problem (what is wrong, and a hint that fits where the pattern is
// written) for everything that another reader could take for more: character classes (`[a-z]`),
// alternatives (`{a,b}`), regular-expression syntax (`^`, `$`, `|`, `(`, `)`, `+`, `\`, a leading `.*`),
// a leading `!` (negation), and a `.*` `.?` right after `_` or `-` in a name (`github__.*`: tool and
// prompt names never put a dot there, so the author meant "anything"; `fs.*`, a literal dot then any
// run, stays a glob). Hints point to the regular-expression operator `matches re"..."`. None of these is ever read literally by the checker: a literal reserved
// character is written in brackets (`[$]`, `[|]`, `[*]`). Names (tools, prompts) and resource URIs must
// also be ones a valid request can carry: not empty, none of the characters request.ts's `nameFault`
// refuses (controls, format and other invisible characters, lone surrogates), no whitespace at either end.
import { bracketLiteral } from "./glob.js";
import { INVISIBLE } from "../text/text.js";

/** Where a glob is written: a rule target or tool-set item (`tool`), `prompt`, `resource`, or `matches`. */
export type GlobPlace = "tool" | "prompt" | "resource" | "matches";

export interface GlobProblem {
  /** What is wrong, lowercase, for the diagnostic message. */
  readonly what: string;
  /** How to say it with what globs support, for this place. */
  readonly hint: string;
}

const WILDCARDS = "`*` is any run of characters and `?` one character, anchored at both ends";
const literal = (c: string) => `write \`[${c}]\` for a literal \`${c}\``;

/** How to use a real regular expression where a glob is written. */
function regexWay(place: GlobPlace): string {
  if (place === "matches") return 'for a regular expression, write `matches re"..."` (linear-time, unanchored: use `^` and `$`)';
  if (place === "resource") return 'to select URIs by a regular expression, target `"*"` with `when resource.uri matches re"..."`';
  if (place === "prompt") return "prompt patterns have no regular-expression form: list the names or globs";
  return 'to select names by a regular expression, target `"*"` with `when tool.name matches re"..."`';
}

function regexHint(place: GlobPlace, c: string, tail: string): string {
  if (place === "matches") {
    const or = c === "|" ? "; for this or that, join two `matches` with `or`" : "";
    return `\`matches\` takes a glob, not a regular expression: ${WILDCARDS}${or}; ${regexWay(place)}; ${tail}`;
  }
  const or = c === "|" ? `; for this or that, list several patterns${place === "tool" ? " or name a `tool` set" : ""}` : "";
  return `${place} patterns are globs, not regular expressions: ${WILDCARDS} (\`github__*\`)${or}; ${regexWay(place)}; ${tail}`;
}

function alternativesHint(place: GlobPlace, c: string): string {
  return place === "matches"
    ? `globs have no \`{a,b}\` alternatives: write \`x matches "a*" or x matches "b*"\`; ${literal(c)}`
    : `globs have no \`{a,b}\` alternatives: list each pattern (\`${place} "a*", "b*"\`); ${literal(c)}`;
}

const REGEX_CHARS = new Set(["^", "$", "|", "(", ")", "+", "\\"]);

/** Undefined when `pattern` is a supported glob for `place`; else what is wrong and a hint. */
export function globProblem(pattern: string, place: GlobPlace): GlobProblem | undefined {
  if (place === "tool" || place === "prompt" || place === "resource") {
    const what = place === "resource" ? "a resource URI" : "a name";
    if (pattern.length === 0) return { what: `an empty pattern matches no ${place === "resource" ? "URI" : "name"}`, hint: "remove it, or write `*` for every name" };
    // The characters `nameFault` refuses in requests: a pattern holding one could never match a valid request.
    if (INVISIBLE.test(pattern)) {
      return {
        what: `a control, format or other invisible character (or a lone surrogate) can never be part of ${what}`,
        hint: "requests whose names or URIs hold such characters are refused as invalid; remove it",
      };
    }
    if (/^\s|\s$/u.test(pattern)) {
      return { what: `${what} cannot begin or end with whitespace`, hint: "requests whose names or URIs begin or end with whitespace are refused as invalid; remove it" };
    }
  }
  if (pattern.startsWith("!")) {
    return {
      what: "a leading `!` does not negate a glob",
      hint: place === "matches" ? `write \`not (x matches "...")\`; ${literal("!")}` : `use \`unless\` to make exceptions; ${literal("!")}`,
    };
  }
  if (pattern.startsWith(".*")) {
    return { what: "a leading `.*` is regular-expression syntax", hint: regexHint(place, ".", "write `*` alone for any run, or `[.]*` for a text that starts with a dot") };
  }
  for (let i = 0; i < pattern.length; ) {
    const cp = pattern.codePointAt(i)!;
    const c = String.fromCodePoint(cp);
    if (c === "[") {
      const quoted = bracketLiteral(pattern, i);
      if (quoted) {
        i += quoted.width;
        continue;
      }
      const close = pattern.indexOf("]", i + 1);
      const cls = close > i ? pattern.slice(i, close + 1) : "[";
      return {
        what: close > i ? `character classes like \`${cls}\` are not supported` : "an unclosed `[`",
        hint: `globs have no character classes: ${WILDCARDS}; \`[c]\` holds exactly one character, written literally (${literal("[")})${close > i ? `; ${regexWay(place)}` : ""}`,
      };
    }
    if (c === "]") return { what: "a `]` outside `[c]`", hint: `${WILDCARDS}; ${literal("]")}` };
    if (c === "{" || c === "}") return { what: `alternatives \`{a,b}\` are not supported (found \`${c}\`)`, hint: alternativesHint(place, c) };
    if (REGEX_CHARS.has(c)) return { what: `\`${c}\` is regular-expression syntax, not glob syntax`, hint: regexHint(place, c, literal(c)) };
    i += c.length;
  }
  if (place === "tool" || place === "prompt") {
    const m = /[_-]\.[*?]/.exec(pattern);
    if (m) {
      const dot = m[0].slice(1);
      return {
        what: `\`${dot}\` after \`${m[0][0]}\` is regular-expression syntax: a glob reads \`.\` as a literal dot, and names never have one there`,
        hint: regexHint(place, ".", `write \`${m[0][0]}${dot.slice(1)}\` for ${dot === ".*" ? "any run" : "one character"} (\`${pattern.replace(m[0], m[0][0] + dot.slice(1))}\`)`),
      };
    }
  }
  return undefined;
}

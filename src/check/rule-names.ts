/**
 * What is wrong with a rule name, and a name that would do instead (for the hint). Guarantees: a name
 * `ruleNameFault` accepts matches RULE_NAME (ir/rule-ids.ts), so it is never a positional id; a
 * suggested name is itself accepted, or undefined when nothing of the text can be kept.
 */
import { RULE_NAME } from "../ir/rule-ids.js";

const MAX = 128;
/** The shape of an id the compiler gives: `ROLE/N`, `policy/N`, `R/limit/N`, `tool:NAME/...`. */
const POSITIONAL_SHAPE = /^(?:tool:.*|[^/:]*(?:\/limit)?\/\d+)$/;

export type RuleNameFault = { kind: "positional"; fixed: string | undefined } | { kind: "invalid"; why: string; fixed: string | undefined };

/** Undefined when `name` is a valid rule name; otherwise why not, with a suggestion. */
export function ruleNameFault(name: string): RuleNameFault | undefined {
  if (RULE_NAME.test(name)) return undefined;
  const fixed = suggestRuleName(name);
  if (POSITIONAL_SHAPE.test(name) && (name.includes("/") || name.includes(":"))) return { kind: "positional", fixed };
  return { kind: "invalid", why: whyInvalid(name), fixed };
}

function whyInvalid(name: string): string {
  if (name === "") return "it is empty";
  const bad = [...name].find((c) => !/[A-Za-z0-9._-]/.test(c));
  if (bad !== undefined) return `it holds ${describe(bad)}`;
  if (!/^[A-Za-z0-9]/.test(name)) return "it must start with a letter or a digit";
  return `it is longer than ${MAX} characters`;
}

function describe(c: string): string {
  if (c === " ") return "a space";
  if (c === "/" || c === ":") return `\`${c}\`, which only positional ids hold`;
  const cp = c.codePointAt(0) ?? 0;
  const u = `U+${cp.toString(16).toUpperCase().padStart(4, "0")}`;
  // Invisible or control characters are named by code point only (never printed into the message).
  if (/[\p{Cc}\p{Cf}\p{Cs}\p{Z}\p{M}\p{Default_Ignorable_Code_Point}]/u.test(c)) return `the character ${u}`;
  if (cp > 0x7e) return `\`${c}\` (${u}; names are ASCII)`;
  return `\`${c}\``;
}

/**
 * Accents dropped (`ü` -> `u`), runs of anything not allowed become one `-`, leading and trailing
 * `-`/`.`/`_` dropped, 128 at most.
 */
function suggestRuleName(name: string): string | undefined {
  const s = name
    .normalize("NFKD")
    .replace(/\p{M}/gu, "")
    .replace(/[^A-Za-z0-9._-]+/g, "-")
    .replace(/^[._-]+/, "")
    .slice(0, MAX)
    .replace(/[._-]+$/, "");
  return RULE_NAME.test(s) ? s : undefined;
}

/** A refused name as a message shows it: invisible and control characters as `\uXXXX`, at most 64 characters. */
export function shownRuleName(name: string): string {
  const cps = [...name];
  const head = cps.slice(0, 64).map((c) => (/[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}]/u.test(c) ? `\\u${(c.codePointAt(0) ?? 0).toString(16).padStart(4, "0")}` : c));
  return head.join("") + (cps.length > 64 ? "…" : "");
}

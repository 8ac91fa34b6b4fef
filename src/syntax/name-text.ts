/**
 * Names and strings written back as policy text (by tools that generate policies: `mcppolicy init`,
 * `mcppolicy import`). GUARANTEES: `nameText` is bare only when the lexer would read it as one Identifier
 * token and no word the lexer gives its own token (the `keywords` of tokens.ts, soft ones included, and
 * `any`), else a string literal; `stringText` is a string literal the lexer reads back as exactly `text`.
 */
import { Identifier, keywords } from "./tokens.js";

/** Every word with a token of its own (derived from the lexer, so a new keyword is quoted at once), and `any`. */
const WORDS: ReadonlySet<string> = new Set([...keywords.map((t) => (t.PATTERN as RegExp).source), "any"]);

/** The Identifier token of tokens.ts, anchored. */
const IDENT = new RegExp(`^(?:${(Identifier.PATTERN as RegExp).source})$`);

/** A string literal of the language (JSON escapes; U+2028/2029 escaped too). */
export function stringText(text: string): string {
  return JSON.stringify(text).replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");
}

/** A name (role, tool, field): bare when it is an identifier and no keyword, else quoted. */
export function nameText(text: string): string {
  return IDENT.test(text) && !WORDS.has(text) ? text : stringText(text);
}

/**
 * The one place chevrotain is loaded. Its package entry (`lib/src/api.js`) pulls in hundreds of
 * lodash-es modules, which costs about 0.4 s of start-up per process; the package also ships the same
 * version as one bundled ES module (`lib/chevrotain.mjs`), not listed in its `exports`. We load that
 * bundle by path, next to the resolved entry, and fall back to the entry if it is missing. Everything
 * else imports chevrotain's runtime values from here (types may come from "chevrotain" directly).
 */
import type * as Chevrotain from "chevrotain";

async function load(): Promise<typeof Chevrotain> {
  try {
    const entry = import.meta.resolve("chevrotain"); // .../chevrotain/lib/src/api.js
    return (await import(new URL("../chevrotain.mjs", entry).href)) as typeof Chevrotain;
  } catch {
    return await import("chevrotain");
  }
}

const chevrotain = await load();
export const { createToken, Lexer, CstParser, createSyntaxDiagramsCode, tokenMatcher, LLkLookaheadStrategy } = chevrotain;
/** The grammar's recorded form (GAST) classes: syntax/recorded-grammar.ts writes and rebuilds it. */
export const { Rule, Terminal, NonTerminal, Alternation, Alternative, Option, Repetition, RepetitionMandatory, RepetitionWithSeparator, RepetitionMandatoryWithSeparator } = chevrotain;

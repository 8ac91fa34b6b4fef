/**
 * The parse path builds its lexer and parser lazily with chevrotain's definition validations skipped,
 * and its parser computes each lookahead function on first use (start-up time). Here the validations
 * run: a lexer and a parser built with them (and chevrotain's eager lookahead) report no definition
 * error (a grammar mistake fails this test, not a user's parse), and on every shipped policy and on
 * arbitrary damaged text the validated pair reads exactly what `parseConcrete` (the skipped pair, lazy
 * lookahead) reads. The skipped parser starts from the shipped record of the grammar
 * (syntax/recorded-grammar-data.ts) instead of recording it: the record must equal a fresh recording.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { CstElement, CstNode, IToken } from "chevrotain";
import { Lexer } from "../src/syntax/chevrotain.js";
import { LEXER_OPTIONS, parseConcrete } from "../src/syntax/parse.js";
import { buildPolicyParser, policyParser } from "../src/syntax/parser.js";
import { grammarRecord, rulesFromRecord, type RecordNode } from "../src/syntax/recorded-grammar.js";
import { recordedGrammar } from "../src/syntax/recorded-grammar-data.js";
import * as T from "../src/syntax/tokens.js";

const ROOT = join(import.meta.dirname, "..");
const POLICIES = readdirSync(join(ROOT, "policies"))
  .filter((f) => f.endsWith(".mcppolicy"))
  .map((f) => readFileSync(join(ROOT, "policies", f), "utf8"));

const lexer = new Lexer(T.allTokens, { ...LEXER_OPTIONS, skipValidations: false });
const parser = buildPolicyParser({ validate: true });
const fastLexer = new Lexer(T.allTokens, { ...LEXER_OPTIONS, skipValidations: true });
const skipped = buildPolicyParser({ validate: false });

/** A CST as plain data: rule names, children in order, token types and offsets. */
function shape(node: CstElement): unknown {
  if ("tokenType" in node) return [node.tokenType.name, node.startOffset, node.image];
  const n = node as CstNode;
  const kids = Object.entries(n.children)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => [k, v.map(shape)]);
  return { name: n.name, recovered: n.recoveredNode === true, kids };
}

/** What the validated pair reads (tokens the parser sees and the parser's errors), for texts without lex-level rewrites. */
function validatedRead(text: string): { cst: unknown; errors: unknown[] } {
  const tokens = lexer.tokenize(text).tokens.filter((t: IToken) => t.tokenType !== T.UnterminatedString);
  for (const t of tokens) t.endOffset = t.startOffset + t.image.length - 1;
  parser.input = tokens;
  const cst = parser.policyFile();
  return { cst: shape(cst), errors: parser.errors.map((e) => [e.name, e.message, e.token.startOffset]) };
}

describe("grammar validation", () => {
  it("the lexer and the parser pass chevrotain's definition validations", () => {
    expect(lexer.lexerDefinitionErrors).toEqual([]);
    // chevrotain throws on a definition error when validating; the field is not in its typings.
    expect(() => buildPolicyParser({ validate: true })).not.toThrow();
    expect((parser as unknown as { definitionErrors: unknown[] }).definitionErrors).toEqual([]);
  });

  it("every shipped policy lexes to the same tokens and parses to the same CST with and without validations", () => {
    expect(POLICIES.length).toBeGreaterThan(3);
    for (const text of POLICIES) {
      const lazy = parseConcrete(text, "p.mcppolicy");
      expect(lazy.diagnostics).toEqual([]);
      const v = validatedRead(text);
      expect(v.errors).toEqual([]);
      expect(shape(lazy.cst!)).toEqual(v.cst);
      expect(lazy.tokens.map((t) => [t.tokenType.name, t.startOffset])).toEqual(lexer.tokenize(text).tokens.map((t) => [t.tokenType.name, t.startOffset]));
    }
  });

  it("damaged policies: the same tokens, CST and recognition errors with and without validations", () => {
    const seed = POLICIES[0]!;
    fc.assert(
      fc.property(fc.nat(seed.length), fc.nat(40), fc.string({ maxLength: 6 }), (at, cut, insert) => {
        const text = seed.slice(0, at) + insert + seed.slice(at + cut);
        // Both sides lex with the same token definitions; compare the parser's view of the skipped pair.
        const lexed = lexer.tokenize(text).tokens;
        const fast = fastLexer.tokenize(text).tokens;
        expect(fast.map((t) => [t.tokenType.name, t.startOffset, t.image])).toEqual(lexed.map((t) => [t.tokenType.name, t.startOffset, t.image]));
        const v = validatedRead(text);
        const tokens = fast.filter((t) => t.tokenType !== T.UnterminatedString);
        for (const t of tokens) t.endOffset = t.startOffset + t.image.length - 1;
        skipped.input = tokens;
        const cst = skipped.policyFile();
        expect({ cst: shape(cst), errors: skipped.errors.map((e) => [e.name, e.message, e.token.startOffset]) }).toEqual(v);
      }),
      { numRuns: 60 },
    );
  });

  it("the shipped grammar record is the grammar a validated parser records (else: npm run build && npm run gen:grammar-record)", () => {
    const fresh = grammarRecord(parser.getGAstProductions());
    expect(recordedGrammar()).toEqual(fresh);
    // The record rebuilds to nodes that record the same, and the parsers in use start from it.
    const rebuilt = rulesFromRecord(recordedGrammar(), T.allTokens)!;
    expect(grammarRecord(Object.fromEntries(rebuilt))).toEqual(fresh);
    expect(skipped.fromRecord && policyParser().fromRecord).toBe(true);
    expect(grammarRecord(skipped.getGAstProductions())).toEqual(fresh);
    expect(parser.fromRecord).toBe(false);
  });

  it("a record naming an unknown token type or kind is refused, and the parser records its grammar itself", () => {
    const rename = (r: RecordNode, from: string, to: string): RecordNode => JSON.parse(JSON.stringify(r).split(`"${from}"`).join(`"${to}"`)) as RecordNode;
    const rules = [...recordedGrammar()];
    expect(rulesFromRecord(rules.map((r) => rename(r, "StringLiteral", "NoSuchToken")), T.allTokens)).toBeUndefined();
    expect(rulesFromRecord(rules.map((r) => rename(r, "Terminal", "NoSuchKind")), T.allTokens)).toBeUndefined();
    expect(rulesFromRecord(rules.slice(1), T.allTokens)!.size).toBe(rules.length - 1);
  });

  it("a token's start-character hint is the first character of its literal pattern", () => {
    const hinted = T.allTokens.filter((t) => (t as { START_CHARS_HINT?: unknown }).START_CHARS_HINT !== undefined);
    expect(hinted.length).toBeGreaterThan(40);
    for (const t of hinted) {
      const source = (t.PATTERN as RegExp).source;
      expect(source, t.name).toMatch(/^(?:\\[^\w]|[\w!=<>:,&~])+$/); // a literal: words, escaped or plain punctuation
      expect((t as { START_CHARS_HINT?: unknown }).START_CHARS_HINT, t.name).toEqual([source.replace(/^\\/, "")[0]]);
    }
  });
});

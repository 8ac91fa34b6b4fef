/**
 * Text -> AST, in two named steps: lex and parse to a CST (chevrotain, with recovery), then
 * CST -> AST. Never throws: every problem is a diagnostic. Before parsing, the token stream is
 * checked against the size and nesting limits, so recursion in the parser stays bounded.
 */
import type { CstNode, IToken, IRecognitionException, TokenType } from "chevrotain";
import { Lexer } from "./chevrotain.js";
import type { PolicyFileAst } from "../ast/nodes.js";
import type { Diagnostic } from "../diagnostics/diagnostic.js";
import { nestingTooDeep, policyTooLarge, syntaxError, unexpectedCharacter, unterminatedString } from "../diagnostics/catalog.js";
import { span } from "../source/source.js";
import { AstBuilder } from "./cst-to-ast.js";
import { LIMITS } from "../source/limits.js";
import { policyParser } from "./parser.js";
import { characterHint, mistakeHint, rewriteMistakes } from "./parse-hints.js";
import * as T from "./tokens.js";

// "onlyOffset" lexes about twice as fast as "full" but leaves endOffset unset; it is derived below.
// Built on the first parse, not at import; chevrotain's lexer validations are skipped here and run by
// test/grammar-validation.test.ts (LEXER_OPTIONS with `skipValidations: false`).
export const LEXER_OPTIONS = { positionTracking: "onlyOffset", ensureOptimizations: true } as const;
let lexer: InstanceType<typeof Lexer> | undefined;
const policyLexer = (): InstanceType<typeof Lexer> => (lexer ??= new Lexer(T.allTokens, { ...LEXER_OPTIONS, skipValidations: true }));

export interface ParseResult {
  ast: PolicyFileAst | undefined;
  diagnostics: Diagnostic[];
}

const OPENERS = new Set<TokenType>([T.LParen, T.LBracket, T.LBrace]);
const CLOSERS = new Set<TokenType>([T.RParen, T.RBracket, T.RBrace]);

/** The deepest nesting point past the limit, or undefined. `not` chains count as nesting. */
function tooDeep(tokens: IToken[]): IToken | undefined {
  let depth = 0;
  let nots = 0;
  for (const t of tokens) {
    if (OPENERS.has(t.tokenType)) depth++;
    else if (CLOSERS.has(t.tokenType)) depth = Math.max(0, depth - 1);
    nots = t.tokenType === T.Not ? nots + 1 : 0;
    if (depth + nots > LIMITS.maxNestingDepth) return t;
  }
  return undefined;
}

function describe(t: IToken): string {
  if (t.tokenType.name === "EOF") return "end of file";
  return `\`${t.image.length > 30 ? t.image.slice(0, 30) + "…" : t.image}\``;
}


/** The index of the token starting at `offset` in `tokens` (sorted by offset), or -1. */
function indexAt(tokens: readonly IToken[], offset: number): number {
  let lo = 0;
  let hi = tokens.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const o = tokens[mid]!.startOffset;
    if (o === offset) return mid;
    if (o < offset) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/** Turn a chevrotain recognition error into plain words. */
function recognitionDiagnostic(file: string, e: IRecognitionException, textLength: number, tokens: readonly IToken[]): Diagnostic {
  const t = e.token;
  const at = Number.isNaN(t.startOffset) ? textLength : t.startOffset;
  const end = Number.isNaN(t.startOffset) ? textLength : (t.endOffset ?? t.startOffset) + 1;
  const where = span(file, at, end);
  const found = describe(t);
  const stack = e.context?.ruleStack ?? [];
  const rule = stack[stack.length - 1] ?? "";
  // The common mistakes first (parse-hints.ts): their message names the fix.
  const i = Number.isNaN(t.startOffset) ? tokens.length : indexAt(tokens, t.startOffset);
  if (i >= 0) {
    const mistake = mistakeHint({ tokens, index: i, token: t, ruleStack: stack });
    if (mistake) {
      const at = mistake.at && !Number.isNaN(mistake.at.startOffset) ? span(file, mistake.at.startOffset, (mistake.at.endOffset ?? mistake.at.startOffset) + 1) : where;
      return syntaxError(at, mistake.message, mistake.hint);
    }
  }
  const what: Record<string, string> = {
    declaration: "a declaration (`role`, `tool`, `set`, `const`, `deny`, `limit`, `audit`, `import`, `default`)",
    roleDecl: "a role item (`allow`, `deny`, `member when`, `limit`) or `}`",
    toolDecl: "a tool item (`risk`, `approval required`, `args`, `limit`) or `}`",
    rule: "`tool`, `resource` or `prompt`, then names or quoted patterns",
    operand: "a value: a string, number, `true`/`false`, a list, or an attribute like `principal.id`",
    comparison: "a value: a string, number, `true`/`false`, a list, or an attribute like `principal.id`",
    typeAtom: "a type such as `string`, `integer(min: 0)` or `{ field: string }`",
    literal: "a string, number, `true` or `false`",
    name: "a name or a quoted string",
  };
  const prev = (e as { previousToken?: IToken }).previousToken?.tokenType;
  const afterTargetKind = prev === T.Tool || prev === T.Resource || prev === T.Prompt || prev === T.Comma;
  const expected = rule === "rule" && afterTargetKind ? "a name or a quoted pattern" : what[rule];
  switch (e.name) {
    case "MismatchedTokenException": {
      const m = /--> (.+?) <--/.exec(e.message);
      const exp = m?.[1] ?? "something else";
      return syntaxError(where, `expected ${exp} but found ${found}`);
    }
    case "NoViableAltException":
      return syntaxError(where, `unexpected ${found}${expected ? `; expected ${expected}` : ""}`);
    case "NotAllInputParsedException":
      return syntaxError(where, `unexpected ${found}; expected a declaration`, "declarations start with `role`, `tool`, `set`, `const`, `deny`, `limit`, `audit`, `import` or `default`");
    default:
      return syntaxError(where, `unexpected ${found}${expected ? `; expected ${expected}` : ""}`);
  }
}

/**
 * INTERNAL test hook (not exported from the package's entry points): test/policy-memory.test.ts sets
 * `seen` to hold WeakRefs to every token vector, CST and AST, and checks that none outlives compile.
 * It is shared process-wide through a registered symbol (the bundles and dist's per-file modules are two copies).
 */
export const frontEndWatch: { seen?: (what: "tokens" | "cst" | "ast", value: object) => void } = watchSlot();

/** One hook object per process under a registered symbol, so the bundled entries (dist/chunks) and the per-file modules share it. */
function watchSlot(): { seen?: (what: "tokens" | "cst" | "ast", value: object) => void } {
  const g = globalThis as { [k: symbol]: unknown };
  const key = Symbol.for("mcppolicy.internal.frontEndWatch");
  return (g[key] ??= {}) as { seen?: (what: "tokens" | "cst" | "ast", value: object) => void };
}

/** The first step's result: the tokens the parser read (comments and whitespace are skipped), the CST, the diagnostics. */
export interface ConcreteParse {
  tokens: IToken[];
  cst: CstNode | undefined;
  diagnostics: Diagnostic[];
}

/** Lex and parse to a CST (step one of parsePolicy; the formatter reads it too). Never throws. */
export function parseConcrete(text: string, file: string): ConcreteParse {
  const diagnostics: Diagnostic[] = [];
  if (text.length > LIMITS.maxSourceLength) {
    diagnostics.push(policyTooLarge(span(file, 0, 0), `source of ${text.length} characters`, LIMITS.maxSourceLength));
    return { tokens: [], cst: undefined, diagnostics };
  }
  const lexed = policyLexer().tokenize(text);
  for (const err of lexed.errors) {
    const ch = text.slice(err.offset, err.offset + err.length);
    const d = unexpectedCharacter(span(file, err.offset, err.offset + Math.max(1, err.length)), ch.length > 20 ? ch.slice(0, 20) + "…" : ch);
    const hint = characterHint(ch);
    diagnostics.push(hint === undefined ? d : { ...d, hint });
  }
  const lexedTokens: IToken[] = [];
  for (const t of lexed.tokens) {
    t.endOffset = t.startOffset + t.image.length - 1; // tokens never span zero characters
    if (t.tokenType === T.UnterminatedString) diagnostics.push(unterminatedString(span(file, t.startOffset, (t.endOffset ?? t.startOffset) + 1)));
    else lexedTokens.push(t);
  }
  // `&&`, `'text'`, `10/minute`...: reported, then read as what was meant (parse-hints.ts).
  const tokens = rewriteMistakes(lexedTokens, file, diagnostics, text);
  const deep = tooDeep(tokens);
  if (deep) {
    diagnostics.push(nestingTooDeep(span(file, deep.startOffset, (deep.endOffset ?? deep.startOffset) + 1), LIMITS.maxNestingDepth));
    return { tokens, cst: undefined, diagnostics };
  }
  const parser = policyParser();
  parser.input = tokens;
  const cst = parser.policyFile();
  const errors = parser.errors;
  // The parser is one module-level instance: left as it is, it would keep this file's tokens (and so
  // the whole front end's input) alive until the next parse. Setting `input` resets it (errors too).
  parser.input = [];
  if (frontEndWatch.seen) {
    frontEndWatch.seen("tokens", tokens);
    if (cst) frontEndWatch.seen("cst", cst);
  }
  const seen = new Set<number>();
  for (const e of errors) {
    // Recovery can report the same position more than once; keep the first.
    const key = Number.isNaN(e.token.startOffset) ? -1 : e.token.startOffset;
    if (seen.has(key)) continue;
    seen.add(key);
    diagnostics.push(recognitionDiagnostic(file, e, text.length, tokens));
  }
  return { tokens, cst, diagnostics };
}

export function parsePolicy(text: string, file: string): ParseResult {
  const { cst, diagnostics } = parseConcrete(text, file);
  if (cst === undefined) return { ast: undefined, diagnostics };
  const builder = new AstBuilder(file);
  const ast = builder.file_(cst);
  if (ast) frontEndWatch.seen?.("ast", ast);
  diagnostics.push(...builder.diagnostics);
  return { ast, diagnostics };
}


/**
 * The parse errors that cost authors most, named in plain words with the fix (issue 11):
 *   `&&` `||` `!`         -> `and` `or` `not`
 *   `=~`, `matches /re/`  -> `matches re"..."`
 *   `'text'`              -> `"text"`
 *   `limit rate 10/minute`-> `limit rate 10 per minute`
 *   `when args.x = "a"`   -> `==`
 *   `approval required` (or `risk`, `args`) inside a role -> a `tool NAME { ... }` block
 *   `deny "push"`         -> `deny tool "push"` (a rule without its target kind)
 * Guarantees: a mistaken token is always reported as an error (E0001/E0003, never silently accepted);
 * the lexer-level ones are then replaced by the token the author meant (same span), so one mistake
 * gives one diagnostic instead of a cascade. Pure; never throws.
 */
import type { IToken, TokenType } from "chevrotain";
import type { Diagnostic } from "../diagnostics/diagnostic.js";
import { unexpectedCharacter } from "../diagnostics/catalog.js";
import { span } from "../source/source.js";
import * as T from "./tokens.js";

const WORD: ReadonlyMap<TokenType, { word: string; as: TokenType }> = new Map([
  [T.AmpAmp, { word: "and", as: T.And }],
  [T.PipePipe, { word: "or", as: T.Or }],
  [T.Bang, { word: "not", as: T.Not }],
]);

/** The token `t` read as a token of `type` (the parser matches on `tokenTypeIdx`), keeping its span. */
function as(t: IToken, type: TokenType, image: string): IToken {
  return { ...t, image, tokenType: type, tokenTypeIdx: type.tokenTypeIdx! };
}

/** Error-only tokens become diagnostics; each is replaced by what was meant, or dropped. */
export function rewriteMistakes(tokens: IToken[], file: string, diagnostics: Diagnostic[], text = ""): IToken[] {
  const out: IToken[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    const type = t.tokenType;
    const at = span(file, t.startOffset, (t.endOffset ?? t.startOffset) + 1);
    const w = WORD.get(type);
    if (w) {
      diagnostics.push({ ...unexpectedCharacter(at, t.image), hint: `write \`${w.word}\`: conditions use the words \`and\`, \`or\` and \`not\`` });
      out.push(as(t, w.as, w.word));
      continue;
    }
    if (type === T.TildeMatch) {
      diagnostics.push({ ...unexpectedCharacter(at, t.image), hint: 'to test a regular expression, write `VALUE matches re"..."`; `VALUE matches "..."` is a glob' });
      out.push(as(t, T.Matches, "matches"));
      continue;
    }
    if (type === T.SingleQuoted) {
      const inner = t.image.slice(1, -1);
      diagnostics.push({ ...unexpectedCharacter(at, "'"), hint: `strings use double quotes: write ${JSON.stringify(inner)}` });
      // Read as the string it spells (str() takes the text between the quotes) when it has no escape.
      if (!inner.includes("\\")) out.push(as(t, T.StringLiteral, t.image));
      continue;
    }
    if (type === T.Slash) {
      const prev = out[out.length - 1];
      const next = tokens[i + 1];
      if (prev?.tokenType === T.NumberLiteral && next?.tokenType === T.Identifier) {
        diagnostics.push({ ...unexpectedCharacter(at, "/"), hint: `a rate is written with \`per\`: \`${prev.image} per ${next.image}\`` });
        out.push(as(t, T.Per, "per"));
      } else if (prev?.tokenType === T.Matches) {
        // `matches /re/`: one error, read on as `matches re"re"` when the closing `/` is on the same line.
        const end = closingSlash(text, t.startOffset);
        const inner = end < 0 ? "" : text.slice(t.startOffset + 1, end);
        const spelled = end < 0 ? 're"..."' : `re"${inner.replace(/"/g, '\\"')}"`;
        diagnostics.push({ ...unexpectedCharacter(at, "/"), hint: `a regular expression is written \`re"..."\`: \`matches ${spelled}\` (backslashes as in the regex; \`\\"\` for a quote)` });
        if (end >= 0) {
          // The characters in between were lexed as whatever they looked like (or refused): drop them.
          while (i + 1 < tokens.length && tokens[i + 1]!.startOffset <= end) i++;
          for (let d = diagnostics.length - 2; d >= 0; d--) {
            const x = diagnostics[d]!;
            if ((x.code === "E0001" || x.code === "E0002") && x.span.file === file && x.span.start > t.startOffset && x.span.start <= end) diagnostics.splice(d, 1);
          }
          out.push({ ...as(t, T.RegexLiteral, spelled), endOffset: end });
        }
      } else diagnostics.push(unexpectedCharacter(at, "/"));
      continue;
    }
    out.push(t);
  }
  return out;
}

/** The offset of the `/` closing a `/regex/` opened at `open`, on the same line (escapes skipped), or -1. */
function closingSlash(text: string, open: number): number {
  for (let k = open + 1; k < text.length; k++) {
    const c = text[k];
    if (c === "\n" || c === "\r") return -1;
    if (c === "\\") k++;
    else if (c === "/") return k;
  }
  return -1;
}

/** The hint for a lexer error (a character no token starts with), when one fits. */
export function characterHint(ch: string): string | undefined {
  if (ch.startsWith("'")) return 'strings use double quotes: `"..."` (this one is not closed on its line)';
  if (ch.startsWith("&")) return "write `and`: conditions use the words `and`, `or` and `not`";
  return undefined;
}

/** Where a parse error happened: the parser's tokens, the index of the offending one, and the grammar rules being parsed. */
export interface ErrorSite {
  readonly tokens: readonly IToken[];
  readonly index: number;
  readonly token: IToken;
  readonly ruleStack: readonly string[];
}

const STOPS = new Set<TokenType>([T.LBrace, T.RBrace, T.Allow, T.Deny, T.Const, T.SetKw, T.Policy, T.Limit]);

/** Whether the token at `index` follows a `when`/`unless` of the same rule (it is inside a condition). */
function inCondition(tokens: readonly IToken[], index: number): boolean {
  for (let i = index - 1; i >= 0 && i >= index - 200; i--) {
    const type = tokens[i]!.tokenType;
    if (type === T.When || type === T.Unless) return true;
    if (STOPS.has(type)) return false;
  }
  return false;
}

const TARGET_KINDS = new Set<TokenType>([T.Tool, T.Resource, T.Prompt]);
const EFFECTS = new Set<TokenType>([T.Allow, T.Deny]);
const NAMES = new Set<TokenType>([T.StringLiteral, T.Identifier]);
/** Tool-block items, each with a test of the token after it (so `args.x` in a condition is not taken for one). */
const TOOL_ITEMS = new Map<TokenType, { text: string; then: (next: IToken | undefined) => boolean }>([
  [T.Approval, { text: "approval required", then: (n) => n?.image === "required" }],
  [T.Risk, { text: "risk high", then: (n) => n?.tokenType === T.Identifier }],
  [T.Args, { text: "args { ... }", then: (n) => n?.tokenType === T.LBrace || n?.image === "json" }],
]);

/** A message and hint for a parse error that is one of the common mistakes, or undefined. */
/** `at`: the token the mistake is at when it is not the one the parser stopped on (`deny "push"` is at the name). */
export function mistakeHint(site: ErrorSite): { message: string; hint: string; at?: IToken } | undefined {
  const { tokens, index, token, ruleStack } = site;
  const [prev2, prev, next] = [tokens[index - 2], tokens[index - 1], tokens[index + 1]];
  const type = token.tokenType;
  if (type === T.Equals && inCondition(tokens, index)) {
    return { message: "unexpected `=`: a condition compares with `==`", hint: "write `==` (`args.x == \"a\"`); a single `=` only appears in `const NAME = ...` and `set NAME: KIND = [...]`" };
  }
  const inRole = ruleStack[ruleStack.length - 1] === "roleDecl";
  const item = TOOL_ITEMS.get(type);
  if (inRole && item !== undefined && item.then(next)) {
    return {
      message: `\`${token.image}\` cannot appear inside a role`,
      hint: `\`${token.image}\` belongs to the tool: write \`tool NAME { ${item.text} }\` at top level; roles hold \`allow\`, \`deny\`, \`member when\` and \`limit\``,
    };
  }
  // `deny "push"`: a rule whose target kind is missing. (With named rules, `deny "name" tool ...` is
  // legal: only when no target kind follows the name.)
  // A bare word followed by a name (`allow tol read_file`) is a misspelt kind, not a missing one; so is a
  // bare word after a rule's quoted name (`allow "reads" tol read_file`).
  const missingAfter = (effect: IToken | undefined, name: IToken | undefined, after: IToken | undefined) =>
    effect !== undefined &&
    EFFECTS.has(effect.tokenType) &&
    name !== undefined &&
    NAMES.has(name.tokenType) &&
    !(after && TARGET_KINDS.has(after.tokenType)) &&
    !(name.tokenType === T.Identifier && after !== undefined && NAMES.has(after.tokenType)) &&
    !(name.tokenType !== T.Identifier && after !== undefined && after.tokenType === T.Identifier);
  if (ruleStack.includes("rule")) {
    const name = missingAfter(prev, token, next) ? token : missingAfter(prev2, prev, token) ? prev : undefined;
    const effect = name === token ? prev : prev2;
    if (name && effect) {
      return {
        message: `\`${effect.image} ${name.image}\` does not say what it targets`,
        hint: `name the kind of target: \`${effect.image} tool ${name.image}\` (or \`resource\`, \`prompt\`)`,
        at: name,
      };
    }
  }
  return undefined;
}

/**
 * Token definitions for the chevrotain lexer. Keywords take precedence over identifiers through
 * `longer_alt`; every keyword also belongs to the `AnyWord` category, so positions that accept any
 * word (field names, attribute segments, parameter names) can still take them.
 * Tokens whose pattern is a literal carry its first character as `start_chars_hint`, so building the
 * lexer skips chevrotain's regexp analysis of them (start-up time; test/grammar-validation.test.ts
 * checks each hint is the literal's first character).
 */
import type { TokenType } from "chevrotain";
import { createToken, Lexer } from "./chevrotain.js";

export const AnyWord = createToken({ name: "AnyWord", pattern: Lexer.NA });
export const Identifier = createToken({
  name: "Identifier",
  pattern: /[A-Za-z_][A-Za-z0-9_]*(?:-[A-Za-z0-9_]+)*/,
  categories: [AnyWord],
  label: "a name",
});

function keyword(word: string): TokenType {
  return createToken({
    name: word[0]!.toUpperCase() + word.slice(1),
    pattern: new RegExp(word),
    start_chars_hint: [word[0]!],
    longer_alt: Identifier,
    categories: [AnyWord],
    label: `\`${word}\``,
  });
}

export const Policy = keyword("policy");
export const Version = keyword("version");
export const Default = keyword("default");
export const Allow = keyword("allow");
export const Deny = keyword("deny");
export const Import = keyword("import");
export const Const = keyword("const");
export const SetKw = createToken({ name: "Set", pattern: /set/, start_chars_hint: ["s"], longer_alt: Identifier, categories: [AnyWord], label: "`set`" });
export const Role = keyword("role");
export const Includes = keyword("includes");
export const Member = keyword("member");
export const When = keyword("when");
export const Unless = keyword("unless");
export const Because = keyword("because");
export const Tool = keyword("tool");
export const Resource = keyword("resource");
export const Prompt = keyword("prompt");
export const Risk = keyword("risk");
export const Approval = keyword("approval");
export const Args = keyword("args");
export const Limit = keyword("limit");
export const Per = keyword("per");
export const Burst = keyword("burst");
export const By = keyword("by");
export const Fail = keyword("fail");
export const From = keyword("from");
export const Audit = keyword("audit");
export const Redact = keyword("redact");
/** `server "NAME" { ... }` blocks; also a root of attribute paths (`server.name`). */
export const Server = keyword("server");
/**
 * `mode shadow`: a soft keyword. It is also an Identifier (a token category), so a tool, role or set
 * may still be called `mode`; only a declaration can start with it.
 */
export const Mode = createToken({ name: "Mode", pattern: /mode/, start_chars_hint: ["m"], longer_alt: Identifier, categories: [Identifier, AnyWord], label: "`mode`" });
/**
 * History predicates (grammar/README.md "History"): soft keywords like `mode`, also Identifiers, so a
 * tool, role, field or constant may still be called `where`, `within`, `since` or `of`. The words that
 * start a predicate (`after`, `no`, `previous`, `count`, `sum`, `min`, `max`) are not tokens at all: the
 * parser reads them by image, only when an event kind and `tool` follow (syntax/parser.ts `history`).
 */
function softKeyword(word: string): TokenType {
  return createToken({ name: word[0]!.toUpperCase() + word.slice(1), pattern: new RegExp(word), start_chars_hint: [word[0]!], longer_alt: Identifier, categories: [Identifier, AnyWord], label: `\`${word}\`` });
}
export const Where = softKeyword("where");
export const Within = softKeyword("within");
export const Since = softKeyword("since");
export const Of = softKeyword("of");
/** `session retain ...` (top level); a token of its own so that error recovery does not take every word for a declaration. */
export const Session = softKeyword("session");
/** `result of tool ...` (top level); a token of its own for the same reason (`result.isError` stays a path). */
export const Result = softKeyword("result");
export const And = keyword("and");
export const Or = keyword("or");
export const Not = keyword("not");
export const In = keyword("in");
export const Contains = keyword("contains");
export const Matches = keyword("matches");
export const Has = keyword("has");
export const True = keyword("true");
export const False = keyword("false");

export const StringLiteral = createToken({
  name: "StringLiteral",
  pattern: /"(?:[^"\\\n\r]|\\.)*"/,
  label: "a string",
});
/**
 * A raw regular-expression literal `re"..."` (only after `matches`): backslashes are the pattern's own,
 * `\"` is a quote. Listed before Identifier, and it needs the quote right after `re`, so `re` alone
 * (a role, a field, an attribute segment) stays a name.
 */
export const RegexLiteral = createToken({
  name: "RegexLiteral",
  pattern: /re"(?:[^"\\\n\r]|\\.)*"/,
  label: "a regex literal",
});
export const UnterminatedString = createToken({ name: "UnterminatedString", pattern: /"(?:[^"\\\n\r]|\\.)*/ });
export const NumberLiteral = createToken({ name: "NumberLiteral", pattern: /-?\d+(?:\.\d+)?/, label: "a number" });

export const LBrace = createToken({ name: "LBrace", pattern: /\{/, start_chars_hint: ["{"], label: "`{`" });
export const RBrace = createToken({ name: "RBrace", pattern: /\}/, start_chars_hint: ["}"], label: "`}`" });
export const LBracket = createToken({ name: "LBracket", pattern: /\[/, start_chars_hint: ["["], label: "`[`" });
export const RBracket = createToken({ name: "RBracket", pattern: /\]/, start_chars_hint: ["]"], label: "`]`" });
export const LParen = createToken({ name: "LParen", pattern: /\(/, start_chars_hint: ["("], label: "`(`" });
export const RParen = createToken({ name: "RParen", pattern: /\)/, start_chars_hint: [")"], label: "`)`" });
export const Comma = createToken({ name: "Comma", pattern: /,/, start_chars_hint: [","], label: "`,`" });
export const Colon = createToken({ name: "Colon", pattern: /:/, start_chars_hint: [":"], label: "`:`" });
export const Ellipsis = createToken({ name: "Ellipsis", pattern: /\.\.\./, start_chars_hint: ["."], label: "`...`" });
export const Dot = createToken({ name: "Dot", pattern: /\./, start_chars_hint: ["."], label: "`.`" });
export const EqEq = createToken({ name: "EqEq", pattern: /==/, start_chars_hint: ["="], label: "`==`" });
export const NotEq = createToken({ name: "NotEq", pattern: /!=/, start_chars_hint: ["!"], label: "`!=`" });
export const LtEq = createToken({ name: "LtEq", pattern: /<=/, start_chars_hint: ["<"], label: "`<=`" });
export const GtEq = createToken({ name: "GtEq", pattern: /\>=/, start_chars_hint: [">"], label: "`>=`" });
export const Lt = createToken({ name: "Lt", pattern: /</, start_chars_hint: ["<"], label: "`<`" });
export const Gt = createToken({ name: "Gt", pattern: />/, start_chars_hint: [">"], label: "`>`" });
export const Equals = createToken({ name: "Equals", pattern: /=/, start_chars_hint: ["="], label: "`=`" });
export const Pipe = createToken({ name: "Pipe", pattern: /\|/, start_chars_hint: ["|"], label: "`|`" });
export const Question = createToken({ name: "Question", pattern: /\?/, start_chars_hint: ["?"], label: "`?`" });
/** `PATH ?? VALUE`: the attribute, or VALUE when it is absent. Before `?` in token order. */
export const QuestionQuestion = createToken({ name: "QuestionQuestion", pattern: /\?\?/, start_chars_hint: ["?"], label: "`??`" });

// Mistakes borrowed from other languages: lexed so that the parse step can name them (`&&` for `and`,
// `||` for `or`, `!` for `not`, `=~` for `matches`, `'...'` for a string, `10/minute` for `10 per minute`), report them with
// a hint, and parse on as if the author had written the right word (syntax/parse-hints.ts). The grammar
// never consumes them.
export const AmpAmp = createToken({ name: "AmpAmp", pattern: /&&/, start_chars_hint: ["&"], label: "`&&`" });
export const PipePipe = createToken({ name: "PipePipe", pattern: /\|\|/, start_chars_hint: ["|"], label: "`||`" });
export const Bang = createToken({ name: "Bang", pattern: /!/, start_chars_hint: ["!"], label: "`!`" });
export const TildeMatch = createToken({ name: "TildeMatch", pattern: /=~|~=|~/, label: "`=~`" });
export const Slash = createToken({ name: "Slash", pattern: /\//, start_chars_hint: ["/"], label: "`/`" });
export const SingleQuoted = createToken({ name: "SingleQuoted", pattern: /'(?:[^'\\\n\r]|\\.)*'/, label: "a single-quoted string" });

export const WhiteSpace = createToken({ name: "WhiteSpace", pattern: /[ \t\r\n\f\v\u00a0\ufeff]+/, group: Lexer.SKIPPED });
export const LineComment = createToken({ name: "LineComment", pattern: /\/\/[^\n\r]*/, group: Lexer.SKIPPED });
export const BlockComment = createToken({ name: "BlockComment", pattern: /\/\*[\s\S]*?\*\//, group: Lexer.SKIPPED });

export const keywords: TokenType[] = [
  Policy, Version, Default, Allow, Deny, Import, Const, SetKw, Role, Includes, Member, When, Unless, Because,
  Tool, Resource, Prompt, Risk, Approval, Args, Limit, Per, Burst, By, Fail, From, Audit, Redact,
  Server, Mode, Where, Within, Since, Of, Session, Result,
  And, Or, Not, In, Contains, Matches, Has, True, False,
];

/** Order matters: longer punctuation first, keywords before Identifier. */
export const allTokens: TokenType[] = [
  WhiteSpace, LineComment, BlockComment,
  StringLiteral, RegexLiteral, UnterminatedString, NumberLiteral,
  Ellipsis, EqEq, NotEq, LtEq, GtEq, Lt, Gt, TildeMatch, Equals,
  LBrace, RBrace, LBracket, RBracket, LParen, RParen, Comma, Colon, Dot, PipePipe, Pipe, QuestionQuestion, Question,
  AmpAmp, Bang, Slash, SingleQuoted,
  ...keywords,
  AnyWord, Identifier,
];

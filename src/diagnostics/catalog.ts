/**
 * The diagnostics catalog: every code the compiler can report, banded by phase, with a named
 * constructor per code. Call sites use these constructors; message text lives only here.
 *   E00xx syntax and limits · E01xx names · E02xx types and values · E03xx structure · W0xxx lints
 */
import type { Span } from "../source/source.js";
import type { Diagnostic, Related } from "./diagnostic.js";
import { didYouMean } from "./suggest.js";

export const CATALOG = {
  E0001: "unexpected character",
  E0002: "unterminated string",
  E0003: "syntax error",
  E0004: "nesting too deep",
  E0005: "policy too large",
  E0006: "invalid string escape",
  E0007: "missing policy header",
  E0008: "too many errors",
  E0101: "unknown role",
  E0102: "unknown name",
  E0103: "duplicate declaration",
  E0104: "role includes itself",
  E0105: "unknown attribute",
  E0106: "import not found",
  E0107: "import cycle",
  E0108: "too many imports",
  E0109: "unknown type",
  E0110: "unknown parameter",
  E0111: "invalid limit",
  E0112: "duplicate field",
  E0113: "misplaced declaration",
  E0201: "type mismatch",
  E0202: "wrong kind of set",
  E0203: "invalid set item",
  E0204: "invalid parameter value",
  E0205: "unsatisfiable constraint",
  E0206: "invalid regular expression",
  E0207: "pattern not linear-time",
  E0208: "condition is not boolean",
  E0209: "invalid risk level",
  E0215: "invalid sql function name",
  E0216: "sql function cannot be read-only",
  E0301: "allow rule outside a role",
  E0302: "too many rules",
  W0001: "rule shadowed by a deny",
  W0002: "rule can never fire",
  W0003: "duplicate rule",
  W0004: "default allow",
  W0005: "role grants nothing",
  W0006: "undeclared tool name",
} as const;

export type DiagnosticCode = keyof typeof CATALOG;

function make(
  code: DiagnosticCode,
  span: Span,
  message: string,
  hint?: string,
  related?: Related[],
): Diagnostic {
  const severity = code.startsWith("W") ? "warning" : "error";
  const d: { -readonly [K in keyof Diagnostic]: Diagnostic[K] } = { code, severity, message, span };
  if (hint !== undefined) d.hint = hint;
  if (related !== undefined && related.length > 0) d.related = related;
  return d;
}

const q = (s: string) => `\`${s}\``;

// ---- syntax and limits ----
export const unexpectedCharacter = (span: Span, ch: string) =>
  make("E0001", span, `unexpected character ${q(ch)}`, "remove it, or put it inside a string");
export const unterminatedString = (span: Span) =>
  make("E0002", span, "unterminated string", "close the string with `\"` on the same line");
export const syntaxError = (span: Span, message: string, hint?: string) => make("E0003", span, message, hint);
export const nestingTooDeep = (span: Span, limit: number) =>
  make("E0004", span, `nesting deeper than ${limit} levels`, "split the expression or type into named parts");
export const policyTooLarge = (span: Span, what: string, limit: number) =>
  make("E0005", span, `${what} exceeds the limit of ${limit}`, "split the policy into smaller files");
export const invalidEscape = (span: Span, esc: string) =>
  make("E0006", span, `invalid escape ${q(esc)} in string`, "use \\\" \\\\ \\n \\t or \\uXXXX");
export const missingHeader = (span: Span) =>
  make("E0007", span, "a policy file must start with its header", 'begin the file with `policy "name"`');

export const tooManyErrors = (span: Span, shown: number) =>
  make("E0008", span, `too many errors; stopped after the first ${shown}`, "is this a policy file? fix the first errors and check again");

// ---- names ----
export const unknownRole = (span: Span, name: string, known: Iterable<string>) =>
  make("E0101", span, `unknown role ${q(name)}`, didYouMean(name, known) ?? "declare it with `role NAME { ... }`");
export const unknownName = (span: Span, what: string, name: string, known: Iterable<string>) =>
  make("E0102", span, `unknown ${what} ${q(name)}`, didYouMean(name, known) ?? `declare it with \`${what === "constant" ? "const" : "set"} ${name} ...\``);
export const duplicateDeclaration = (span: Span, what: string, name: string, first: Span) =>
  make("E0103", span, `${what} ${q(name)} is declared twice`, "rename one of them or merge them", [
    { message: "first declared here", span: first },
  ]);
export const includesCycle = (span: Span, chain: string[]) =>
  make("E0104", span, `role includes form a cycle: ${chain.map(q).join(" -> ")}`, "remove one of the `includes`");
export const unknownAttribute = (span: Span, path: string, known: Iterable<string>) =>
  make("E0105", span, `unknown attribute ${q(path)}`, didYouMean(path, known) ?? "see the attribute table in grammar/README.md");
export const importNotFound = (span: Span, path: string, reason: string) =>
  make("E0106", span, `cannot import ${q(path)}: ${reason}`, "the path is relative to the importing file");
export const importCycle = (span: Span, chain: string[]) =>
  make("E0107", span, `import cycle: ${chain.map(q).join(" -> ")}`, "remove one of the imports");
export const tooManyImports = (span: Span, limit: number) =>
  make("E0108", span, `more than ${limit} imported files`, "flatten the imports");
export const unknownType = (span: Span, name: string, known: Iterable<string>) =>
  make("E0109", span, `unknown type ${q(name)}`, didYouMean(name, known) ?? `use one of ${[...known].map(q).join(", ")}`);
export const unknownParameter = (span: Span, type: string, name: string, known: readonly string[]) =>
  make(
    "E0110",
    span,
    known.length === 0 ? `type ${q(type)} takes no parameters` : `unknown parameter ${q(name)} for type ${q(type)}`,
    didYouMean(name, known) ?? (known.length ? `its parameters are ${known.map(q).join(", ")}` : undefined),
  );
export const invalidLimit = (span: Span, message: string, hint?: string) => make("E0111", span, message, hint);
export const duplicateField = (span: Span, name: string) =>
  make("E0112", span, `field ${q(name)} is declared twice`, "remove one of them");
export const misplaced = (span: Span, message: string, hint?: string) => make("E0113", span, message, hint);

// ---- types and values ----
export const invalidSqlFunction = (span: Span, entry: string) =>
  make("E0215", span, `${q(entry)} is not a sql function name or operator symbol`, "write the name as queries call it: `name`, `schema.name`, `\"Quoted\"`, or an operator symbol such as `@@`");
export const sqlFunctionNotReadOnly = (span: Span, entry: string, why: string) =>
  make("E0216", span, `${q(entry)} can never be called by a read-only query: ${why}`, "remove it from `functions`: `readonly: true` cannot allow it");
export const typeMismatch = (span: Span, message: string, hint?: string) => make("E0201", span, message, hint);
export const wrongSetKind = (span: Span, name: string, actual: string, expected: string) =>
  make("E0202", span, `set ${q(name)} holds ${actual} items, but ${expected} is needed here`, `use a set declared as \`${expected}\``);
export const invalidSetItem = (span: Span, kind: string, item: string, why: string) =>
  make("E0203", span, `${q(item)} is not a valid ${kind} item: ${why}`, kind === "cidr" ? 'write it like "10.0.0.0/8" or "::1/128"' : undefined);
export const invalidParameterValue = (span: Span, message: string, hint?: string) => make("E0204", span, message, hint);
export const unsatisfiable = (span: Span, message: string, hint?: string) => make("E0205", span, message, hint);
export const invalidRegex = (span: Span, pattern: string, why: string) =>
  make("E0206", span, `invalid pattern ${q(pattern)}: ${why}`, "patterns are ECMAScript regular expressions with the `u` flag");
export const patternNotLinear = (span: Span, pattern: string, why: string, hint?: string) =>
  make("E0207", span, `pattern \`${pattern}\` cannot be used: ${why}`, hint ?? "patterns run against attacker input, so only linear-time constructs are allowed");
export const notBoolean = (span: Span, type: string) =>
  make("E0208", span, `condition has type ${q(type)}, not boolean`, "compare it with `==`, or test it with `has`");
export const invalidRisk = (span: Span, value: string) =>
  make("E0209", span, `invalid risk level ${q(value)}`, didYouMean(value, ["low", "medium", "high", "critical"]) ?? "use `low`, `medium`, `high` or `critical`");

// ---- structure ----
export const topLevelAllow = (span: Span) =>
  make("E0301", span, "an allow rule at top level would grant every principal", "put it inside a `role` block");
export const tooManyRules = (span: Span, limit: number) =>
  make("E0302", span, `more than ${limit} rules`, "split the policy, or use sets and globs to say more with fewer rules");

// ---- lints ----
export const shadowedByDeny = (span: Span, rule: string, by: string, bySpan: Span) =>
  make("W0001", span, `rule ${q(rule)} can never allow anything: ${q(by)} denies every call it matches`, "remove the rule, or narrow the deny", [
    { message: "the deny that shadows it", span: bySpan },
  ]);
export const neverFires = (span: Span, rule: string, why: string) =>
  make("W0002", span, `rule ${q(rule)} can never fire: ${why}`, "remove it or fix its condition");
export const duplicateRule = (span: Span, rule: string, first: string, firstSpan: Span) =>
  make("W0003", span, `rule ${q(rule)} repeats ${q(first)}`, "remove one of them", [{ message: "the first one", span: firstSpan }]);
export const defaultAllow = (span: Span) =>
  make("W0004", span, "`default allow` allows every call that no rule denies", "prefer `default deny` and explicit allow rules");
export const roleGrantsNothing = (span: Span, role: string) =>
  make("W0005", span, `role ${q(role)} grants nothing`, "add an `allow` rule or `includes`, or remove the role");
export const undeclaredTool = (span: Span, name: string, suggestion: string) =>
  make("W0006", span, `${q(name)} is not a declared tool or tool set`, suggestion);

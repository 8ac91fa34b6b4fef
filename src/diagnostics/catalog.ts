/**
 * The diagnostics catalog: every code the compiler can report, banded by phase, with a named
 * constructor per code. Call sites use these constructors; message text lives only here.
 *   E00xx syntax and limits · E01xx names · E02xx types and values · E03xx structure · W0xxx lints
 *   E10xx, W10xx the gateway's YAML config (issue 13, src/gateway/config/; goldens in test/gateway/config-goldens/)
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
  E0114: "unresolved name in a deny rule",
  E0115: "invalid tool block name",
  E0116: "name is not a pattern",
  E0117: "undeclared argument in a deny rule",
  // tool families and server blocks (issue 11)
  E0135: "invalid server block name",
  // approvals and mode (issue 12): check/stages/tools.ts, check/stages/declarations.ts
  E0136: "unknown approver",
  E0137: "unknown policy mode",
  // files a policy names (imports): source/files.ts
  E0120: "import outside the import roots",
  E0121: "import not a regular file",
  E0122: "imported file too large",
  E0123: "invalid import root",
  // named rules (issue 11): src/check/rule-names.ts
  E0130: "duplicate rule name",
  E0131: "invalid rule name",
  E0132: "rule name looks like a positional id",
  E0201: "type mismatch",
  E0202: "wrong kind of set",
  E0203: "invalid set item",
  E0204: "invalid parameter value",
  E0205: "unsatisfiable constraint",
  E0206: "invalid regular expression",
  E0207: "pattern not linear-time",
  E0208: "condition is not boolean",
  E0209: "invalid risk level",
  E0210: "unsupported glob syntax",
  E0211: "glob compared exactly",
  E0212: "pattern syntax other than `*` in a redaction key",
  E0213: "name no request can carry",
  E0215: "invalid sql function name",
  E0216: "sql function cannot be read-only",
  // typed conditions and `??` (issue 11)
  E0220: "undeclared argument",
  E0221: "argument type mismatch",
  E0222: "invalid default",
  E0223: "default of the wrong type",
  E0224: "value outside the argument's enum",
  // regular expressions (issue 11): `matches re"..."`, `string(flags:)`
  E0230: "regex literal outside matches",
  E0231: "unsupported pattern flags",
  // ---- paths (issue 11): E0243-E0249, W0019-W0020 ----
  E0243: "invalid use of any path arg",
  E0244: "relative path compared with a resolved path",
  // ---- history predicates and session retention (issue 14): E0260-E0269 ----
  E0260: "unknown event kind",
  E0261: "invalid duration",
  E0262: "event read outside a history predicate",
  E0263: "invalid history predicate",
  E0264: "session retention above the limit",
  E0265: "window longer than the retention",
  E0301: "allow rule outside a role",
  E0302: "too many rules",
  // Budget keys and windows (issue 11, helper K).
  E0303: "unknown budget key",
  E0304: "budget key is not a scalar",
  E0305: "budget key names no argument",
  E0306: "invalid budget window",
  E0307: "budget key repeated",
  // Session rules (issue 14): detectors, result blocks, provenance.
  E0450: "unknown detector",
  E0451: "result read outside a result block",
  E0452: "invalid result cap",
  E0453: "label never given",
  E0454: "invalid field label",
  // Time zones (issue 11, helper K).
  E0240: "unknown time zone",
  E0241: "unsupported call in a path",
  W0001: "rule shadowed by a deny",
  W0002: "rule can never fire",
  W0003: "duplicate rule",
  W0004: "default allow",
  W0005: "role grants nothing",
  W0006: "undeclared tool name",
  // typed conditions (issue 11)
  W0010: "argument read where calls may lack it",
  W0011: "optional argument read without a guard",
  // ---- paths (issue 11) ----
  W0019: "any path arg cannot see arguments",
  // ---- the gateway's config file (issue 13): src/gateway/config/ ----
  E1001: "invalid yaml",
  E1002: "wrong type of value",
  E1003: "unknown config key",
  E1004: "missing config key",
  E1005: "number out of range",
  E1006: "invalid config value",
  E1007: "unset environment variable",
  E1008: "malformed environment reference",
  E1009: "upstream needs exactly one of url and command",
  E1010: "duplicate upstream name",
  E1011: "upstream prefixes clash",
  E1012: "invalid url",
  E1013: "file or folder cannot be used",
  E1014: "option needs another option",
  E1015: "options conflict",
  E1016: "network listen address without authentication",
  W1001: "api keys file does not exist yet",
  W1002: "anonymous access on a network address",
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
// Names and globs (issue 9, point 3): a deny that names nothing, or a name that is not a pattern, would
// silently never match; these are errors, not warnings.
export const unresolvedDenyName = (span: Span, name: string, near: string, what: "tool" | "set" | "tool set", target: string) =>
  make(
    "E0114",
    span,
    target === "tool" ? `deny rule names ${q(name)}, which is neither a declared tool nor a set` : `deny rule names the ${target} ${q(name)}, a near miss of a set`,
    `did you mean the ${what} ${q(near)}? a deny on a misspelt name never matches; if ${q(name)} is the exact name of a ${target}, write it quoted (${q(`"${name}"`)})${target === "tool" ? ` or declare it with ${q(`tool ${name} { }`)}` : ""}`,
  );
export const invalidToolBlockName = (span: Span, name: string, why: string, hint: string) =>
  make("E0115", span, `tool block name ${q(name)} is not a tool name: ${why}`, hint);
export const invalidServerBlockName = (span: Span, name: string, why: string) =>
  make("E0135", span, `server block name ${q(name)} is not a server name: it ${why}`, "a server block names one upstream exactly as requests carry it in `server.name`");
export const unknownApprover = (span: Span, word: string) =>
  make(
    "E0136",
    span,
    `unknown approver ${q(word)} after \`by\``,
    didYouMean(word, ["caller", "others", "role"]) ?? "write `by caller` (the caller may approve its own call), `by others` (anyone but the caller) or `by role NAME, ...` (four eyes)",
  );
export const unknownMode = (span: Span, word: string) =>
  make("E0137", span, `unknown policy mode ${q(word)}`, didYouMean(word, ["enforce", "shadow"]) ?? "write `mode shadow` (decide and record, enforce nothing) or `mode enforce` (the default)");
export const notAPattern = (span: Span, name: string, what: string, target: string) =>
  make("E0116", span, `${q(name)} is ${what}, not a ${target} pattern`, `${target} rules take exact names${target === "tool" ? ", quoted globs or names of `tool` sets" : " or quoted globs"}; write ${q(`"${name}"`)} to mean the name itself`);
export const undeclaredArgument = (span: Span, path: string, tool: string, field: string, known: readonly string[]) =>
  make(
    "E0117",
    span,
    `deny rule reads ${q(path)}, but tool ${q(tool)} takes no argument ${q(field)}`,
    `${didYouMean(field, known) ?? (known.length ? `its arguments are ${known.map(q).join(", ")};` : "its `args` block declares none;")} calls carrying an undeclared argument are refused anyway, so this condition never tests an argument a call can have`,
  );
export const quotedSetName = (span: Span, name: string) =>
  make("E0116", span, `${q(`"${name}"`)} in quotes is a tool name, but ${q(name)} is a tool set`, `write it without quotes to use the set; if a tool is really called ${q(name)}, declare it with ${q(`tool ${name} { }`)}`);
// Files a policy names. INVARIANT: these messages name the path and never quote the refused file.
export const importOutsideRoots = (span: Span, path: string, reason: string) =>
  make("E0120", span, `cannot import ${q(path)}: ${reason}`, "imports stay inside the policy's directory; a host can widen this with `importRoots` (cli: `--import-root DIR`)");
export const importNotRegular = (span: Span, path: string, reason: string) =>
  make("E0121", span, `cannot import ${q(path)}: ${reason}`, "import a policy file");
export const importTooLarge = (span: Span, path: string, limit: number) =>
  make("E0122", span, `cannot import ${q(path)}: it is larger than ${limit} bytes`, "split it into smaller files");
export const invalidImportRoot = (span: Span, root: string) =>
  make("E0123", span, `invalid import root ${q(root)}`, "`importRoots` must be non-empty directory paths");
// Named rules (issue 11). A name is the rule's id in decisions, test files and explain: it must be unique
// in the whole policy and can never be mistaken for a positional id (`dev/2`, `policy/1`, `tool:x/args`).
export const duplicateRuleName = (span: Span, name: string, first: Span) =>
  make("E0130", span, `rule name ${q(name)} is used twice`, "a rule name is the rule's id in decisions and test files, so it must be unique in the whole policy, imports included: rename one of them", [
    { message: "first used here", span: first },
  ]);
export const invalidRuleName = (span: Span, name: string, why: string, fixed: string | undefined) =>
  make("E0131", span, `invalid rule name ${q(name === "" ? '""' : name)}: ${why}`, `a rule name is 1 to 128 letters, digits, \`.\`, \`_\` or \`-\`, starting with a letter or digit${fixed ? `; for example ${q(`"${fixed}"`)}` : ""}`);
export const positionalRuleName = (span: Span, name: string, fixed: string | undefined) =>
  make("E0132", span, `rule name ${q(name)} looks like a positional rule id`, `names never hold \`/\` or \`:\`, so a name cannot be confused with the id of another rule (\`ROLE/N\`, \`policy/N\`, \`tool:NAME/args\`)${fixed ? `; write ${q(`"${fixed}"`)}` : ""}, or leave the rule unnamed to keep its positional id`);

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
export const regexOutsideMatches = (span: Span) =>
  make("E0230", span, "a regex literal `re\"...\"` can only follow `matches`", 'write `VALUE matches re"..."`; to compare exactly, use a plain string (`"..."`)');
export const unsupportedPatternFlags = (span: Span, flags: string) =>
  make("E0231", span, `unsupported pattern flags ${q(JSON.stringify(flags))}`, 'the only flag is `"i"` (case-insensitive): write `flags: "i"`, or `(?i)` at the start of the pattern; patterns are always unanchored searches (use `^` and `$` to anchor) and `.` never matches a line break');
export const notBoolean = (span: Span, type: string) =>
  make("E0208", span, `condition has type ${q(type)}, not boolean`, "compare it with `==`, or test it with `has`");
export const unsupportedGlob = (span: Span, pattern: string, what: string, hint: string) =>
  make("E0210", span, `unsupported glob syntax in ${q(pattern)}: ${what}`, hint);
export const globComparedExactly = (span: Span, value: string, op: string) =>
  make(
    "E0211",
    span,
    `\`tool.name ${op}\` compares exactly, but ${q(value)} is a glob`,
    op === "==" || op === "in"
      ? "comparisons never read `*` or `?` as wildcards: write `tool.name matches \"...\"`, or `tool.name in SET` with a `tool` set (its items are globs); for a name that really holds them, write `[*]` or `[?]` in the `matches` glob"
      : "comparisons never read `*` or `?` as wildcards: write `not (tool.name matches \"...\")`, or `tool.name not in SET` with a `tool` set (its items are globs); for a name that really holds them, write `[*]` or `[?]` in the `matches` glob",
  );
/** A string literal as it would be written in a policy, with every character outside printable ASCII escaped. */
const visible = (v: string) =>
  JSON.stringify(v).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
export const impossibleName = (span: Span, value: string, attr: string, op: string, fault: string) =>
  make(
    "E0213",
    span,
    `\`${attr} ${op}\` compares with ${visible(value)}, which ${fault}`,
    `a request whose name ${fault} is refused as \`invalid_request\` before any rule runs, so this comparison never holds for a call the rules see; remove the character`,
  );
export const redactPattern = (span: Span, key: string, plain: string) =>
  make(
    "E0212",
    span,
    `redaction key ${q(key)} holds pattern syntax, but only \`*\` is special in a redaction key`,
    plain
      ? `a redaction key matches keys by words (\`token\` redacts \`access_token\`, not \`max_tokens\`) or, quoted with \`*\`, as a glob (\`"*token*"\`): did you mean ${q(plain)}?`
      : "a redaction key matches keys by words (`token` redacts `access_token`, not `max_tokens`) or, quoted with `*`, as a glob (`\"*token*\"`)",
  );
export const invalidRisk = (span: Span, value: string) =>
  make("E0209", span, `invalid risk level ${q(value)}`, didYouMean(value, ["low", "medium", "high", "critical"]) ?? "use `low`, `medium`, `high` or `critical`");

// ---- structure ----
export const topLevelAllow = (span: Span) =>
  make("E0301", span, "an allow rule at top level would grant every principal", "put it inside a `role` block");
export const tooManyRules = (span: Span, limit: number) =>
  make("E0302", span, `more than ${limit} rules`, "split the policy, or use sets and globs to say more with fewer rules");

// ---- budget keys and windows (issue 11) ----
export const unknownBudgetKey = (span: Span, key: string, known: Iterable<string>) =>
  make("E0303", span, `unknown budget key ${q(key)}`, didYouMean(key, known) ?? `use \`principal\`, \`session\`, \`client\`, \`role\`, \`tool\`, \`server\` or an attribute path such as \`principal.claims.tenant\``);
export const nonScalarBudgetKey = (span: Span, key: string, what: string) =>
  make("E0304", span, `budget key ${q(key)} is ${what}, not a string or a number`, "a budget counts per value of its key: key by an attribute that holds a string or a number");
export const budgetKeyNoArgument = (span: Span, key: string, tool: string, known: Iterable<string>) =>
  make("E0305", span, `budget key ${q(key)}: tool ${q(tool)} has no such argument`, didYouMean(key, known) ?? `its \`args\` block declares ${[...known].map(q).join(", ") || "no argument"}`);
export const invalidBudgetWindow = (span: Span, message: string, hint?: string) => make("E0306", span, message, hint);
export const repeatedBudgetKey = (span: Span, key: string) =>
  make("E0307", span, `budget key ${q(key)} is named twice`, "a composite key counts per combination: name each part once");
export const unknownDetector = (span: Span, name: string, known: readonly string[]) =>
  make("E0450", span, `unknown detector ${q(name)}`, didYouMean(name, known) ?? `the detectors are ${known.map(q).join(", ")}`);
export const resultOutsideResultBlock = (span: Span) =>
  make("E0451", span, "`result` is only known after the tool ran", "read it in a `result of tool ... { ... }` block (`deny when result carries secret`); a rule decides before the tool runs");
export const invalidResultCap = (span: Span, max: number) =>
  make("E0452", span, `a result cap must be a whole number of bytes from 1 to ${max}`, "e.g. `cap 65536 bytes`");
export const labelNeverGiven = (span: Span, label: string, known: readonly string[]) =>
  make(
    "E0453",
    span,
    `no result block gives the label ${q(label)}, so this can never hold`,
    didYouMean(label, known) ?? "add `label NAME` to a `result of tool ... { ... }` block, or check the spelling",
  );
export const invalidFieldLabel = (span: Span, message: string, hint: string) => make("E0454", span, message, hint);
export const unknownTimeZone = (span: Span, zone: string, suggestion: string | undefined) =>
  make("E0240", span, `unknown time zone ${q(zone)}`, suggestion ?? "use an IANA time zone name such as `Europe/Berlin`, `America/New_York` or `UTC`");
export const unsupportedPathCall = (span: Span, message: string, hint?: string) => make("E0241", span, message, hint);

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

// ---- typed conditions and `??` (issue 11) ----
const GUARD_HINT = (path: string) => `guard the read: \`has ${path} and ...\`, or give a default: \`${path} ?? VALUE\``;
export const undeclaredArgumentRead = (span: Span, reader: "allow" | "approval", path: string, tool: string, field: string, known: readonly string[]) =>
  make(
    "E0220",
    span,
    `${reader === "allow" ? "allow rule" : "approval condition"} reads ${q(path)}, but tool ${q(tool)} takes no argument ${q(field)}`,
    `${didYouMean(field, known) ?? (known.length ? `its arguments are ${known.map(q).join(", ")};` : "its `args` block declares none;")} calls carrying an undeclared argument are refused, so ${reader === "allow" ? "the rule can never allow a call" : "the condition can only err"}`,
  );
export const argumentTypeMismatch = (span: Span, message: string, path: string, declared: string, tool: string, hint: string) =>
  make("E0221", span, message, `${q(path)} is declared \`${declared}\` in the \`args\` of tool ${q(tool)}; ${hint}`);
export const invalidDefault = (span: Span, what: string) =>
  make("E0222", span, `\`??\` ${what}`, "write `ATTRIBUTE ?? VALUE`, e.g. `args.merge_method ?? \"merge\"`: the value is a literal, a constant or a list");
export const defaultWrongType = (span: Span, path: string, type: string, typeWords: string, givenWords: string) =>
  make("E0223", span, `the default for ${q(path)} is ${givenWords}, but ${q(path)} is ${typeWords}`, `give a default of the attribute's type, e.g. \`${path} ?? ${type === "number" ? "0" : type === "boolean" ? "false" : type === "list" || type === "strings" ? "[]" : '""'}\``);
export const argumentMayBeMissing = (span: Span, path: string, reader: "allow" | "deny" | "approval", why: string) =>
  make(
    "W0010",
    span,
    `${q(path)} is read without a guard, but ${reader === "approval" ? "this approval condition" : "this rule"} also sees calls without it (${why}): ${
      reader === "allow" ? "those calls are denied as evaluation errors" : reader === "deny" ? "it denies those calls too, as evaluation errors" : "those calls are denied as evaluation errors"
    }`,
    `${GUARD_HINT(path)}; ${reader === "approval" ? "or declare it in the tool's `args` block" : "or narrow the rule's target to tools that declare it"}`,
  );
export const optionalArgumentUnguarded = (span: Span, path: string, tool: string, reader: "allow" | "deny" | "approval") =>
  make(
    "W0011",
    span,
    `${q(path)} is optional in tool ${q(tool)}, but read without a guard: calls without it ${reader === "deny" ? "are denied by this rule as evaluation errors" : "are denied as evaluation errors"}`,
    GUARD_HINT(path),
  );
// ---- paths (issue 11) ----
export const anyPathArgMisuse = (span: Span, what: string, hint: string) => make("E0243", span, `\`any path arg\` ${what}`, hint);
export const anyPathArgBlind = (span: Span, rule: string, tools: readonly string[]) =>
  make(
    "W0019",
    span,
    `\`any path arg\` in rule ${q(rule)} cannot see the arguments of ${tools.map(q).join(", ")}: ${tools.length === 1 ? "it has" : "they have"} no \`args\` object block, so calls to ${tools.length === 1 ? "it" : "them"} never match`,
    "declare `args { ... }` for each such tool, typing its path arguments `path(...)`, or narrow the rule's target",
  );

// ---- comparisons that can never hold (issue 11) ----
export const valueOutsideEnum = (span: Span, path: string, value: string, values: readonly string[], tool: string, op: string) =>
  make(
    "E0224",
    span,
    `${q(path)} is an \`enum\` in tool ${q(tool)} and can never be ${value}: ${
      op === "==" ? "this comparison never holds" : op === "!=" ? "this comparison always holds" : "this item never matches"
    } for a call the rules see`,
    `compare it with one of its values: ${values.join(", ")} (calls carrying another value are refused by the argument check)`,
  );
export const relativePathLiteral = (span: Span, what: string, literal: string) =>
  make(
    "E0244",
    span,
    `${what} is a resolved absolute path, so ${JSON.stringify(literal)} (relative) can never match it`,
    `write the absolute path or a glob that starts with \`/\` or \`**\`: ${JSON.stringify(`**/${literal.replace(/^\.\//, "")}`)}`,
  );

// ---- the gateway's config file (issue 13): src/gateway/config/ ----
// INVARIANT: these messages quote what the file says (keys, and values as written before `${ENV}`
// expansion), never an expanded value: an environment variable may hold a secret.
export const invalidConfigYaml = (span: Span, message: string) =>
  make("E1001", span, `invalid YAML: ${message}`, "the config is one YAML document: a mapping of the keys docs/gateway-config.md lists");
export const configWrongType = (span: Span, where: string, expected: string, found: string) =>
  make("E1002", span, `${q(where)} must be ${expected}, not ${found}`, expected.startsWith("a mapping") ? "write its keys indented below it" : undefined);
export const unknownConfigKey = (span: Span, key: string, where: string, known: readonly string[]) =>
  make("E1003", span, `unknown key ${q(key)} in ${where}`, didYouMean(key, known) ?? `the keys here are ${known.map(q).join(", ")}`);
export const missingConfigKey = (span: Span, key: string, where: string, hint: string) =>
  make("E1004", span, `${where} needs ${q(key)}`, hint);
export const configOutOfRange = (span: Span, where: string, rule: string) =>
  make("E1005", span, `${q(where)} must be ${rule}`, "numbers are whole numbers; durations are milliseconds (`...Ms`) or seconds (`...Sec`), sizes bytes");
export const invalidConfigValue = (span: Span, where: string, written: string, why: string, known?: readonly string[], suggest = true) =>
  make("E1006", span, `${q(where)}: ${q(written)} ${why}`, (known && suggest && didYouMean(written, known)) || (known ? `use one of ${known.map(q).join(", ")}` : undefined));
export const unsetEnvironmentVariable = (span: Span, name: string) =>
  make("E1007", span, `environment variable ${q(name)} is not set`, `set it in the gateway's environment (an empty value counts as set), or write the value itself; \`$\${\` writes a literal \`\${\``);
export const malformedEnvironmentReference = (span: Span, written: string) =>
  make("E1008", span, `malformed environment reference ${q(written)}`, "write `${NAME}` with a name of letters, digits and `_` (not starting with a digit); `$${` writes a literal `${`");
export const upstreamUrlOrCommand = (span: Span, name: string, both: boolean) =>
  make(
    "E1009",
    span,
    both ? `upstream ${q(name)} has both \`url\` and \`command\`` : `upstream ${q(name)} has neither \`url\` nor \`command\``,
    "an upstream is either an HTTP server (`url: https://...`) or a stdio server the gateway spawns (`command: [node, server.js]`)",
  );
export const duplicateUpstream = (span: Span, name: string, first: Span) =>
  make("E1010", span, `upstream name ${q(name)} is used twice`, "each upstream needs its own name: it is `server.name` in the policy", [{ message: "first used here", span: first }]);
export const upstreamPrefixClash = (span: Span, name: string, prefix: string, other: string, otherSpan: Span) =>
  make(
    "E1011",
    span,
    prefix === ""
      ? `upstreams ${q(other)} and ${q(name)} both have the empty prefix`
      : `the prefix ${q(prefix)} of upstream ${q(name)} clashes with the prefix of upstream ${q(other)}`,
    "with several upstreams each needs a prefix that no other prefix starts with, so a tool name says which upstream it belongs to (the default is `NAME__`)",
    [{ message: `upstream ${q(other)}`, span: otherSpan }],
  );
export const invalidConfigUrl = (span: Span, where: string, why: string, hint: string) =>
  make("E1012", span, `${q(where)} is not a usable URL: ${why}`, hint);
export const configFileUnreadable = (span: Span, where: string, path: string, why: string, hint = "paths are relative to the config file's folder") =>
  make("E1013", span, `${where} ${q(path)} cannot be used: ${why}`, hint);
export const configNeeds = (span: Span, what: string, needs: string, hint: string) =>
  make("E1014", span, `${what} needs ${needs}`, hint);
export const configConflict = (span: Span, message: string, hint: string) => make("E1015", span, message, hint);
export const unauthenticatedListen = (span: Span, host: string) =>
  make(
    "E1016",
    span,
    `the gateway listens on ${q(host)}, a network address, but \`auth\` configures no way to authenticate`,
    "configure `auth.oauth`, `auth.apiKeys` or `auth.mtls`; to serve everyone as one principal, set `auth.anonymous` explicitly; or listen on `127.0.0.1`",
  );
export const apiKeysFileMissing = (span: Span, path: string) =>
  make("W1001", span, `api keys file ${q(path)} does not exist yet: every api key is refused until it does`, "create it with `mcppolicy keys create --file FILE --id ID`; the gateway reads it when it appears");
export const anonymousOnNetwork = (span: Span, host: string) =>
  make("W1002", span, `every request without credentials acts as \`auth.anonymous\`'s principal, and the gateway listens on ${q(host)}, a network address`, "make sure that principal may do only what anyone who reaches this address may do");

// ---- history predicates and session retention (issue 14): check/history.ts ----
const KINDS_HINT = "the kinds are `attempted` (every call), `allowed`, `denied` (denied or sent to approval), `completed` (ran and succeeded), `failed` (ran and failed)";
export const unknownEventKind = (span: Span, word: string | undefined, known: readonly string[]) =>
  word === undefined
    ? make("E0260", span, "a history predicate needs an event kind before `tool`", `write e.g. \`after completed tool read_email\`; ${KINDS_HINT}`)
    : make("E0260", span, `unknown event kind ${q(word)}`, didYouMean(word, known) ?? KINDS_HINT);
export const invalidDuration = (span: Span, written: string, why: string) =>
  make("E0261", span, `invalid duration ${q(written)}: ${why}`, "write a positive number and a unit: `30 seconds`, `5 minutes`, `2 hours`, `7 days` (singular too)");
export const eventOutsideHistory = (span: Span, path: string) =>
  make("E0262", span, `${q(path)} reads a past event, but there is none here`, "`event.*` can only be read in the `where` of a history predicate (`after completed tool x where event.args.id == args.id`) or as the path of `sum`, `min`, `max`");
export const invalidHistory = (span: Span, message: string, hint: string) => make("E0263", span, message, hint);
export const retentionAboveLimit = (span: Span, what: string, limit: string) =>
  make("E0264", span, `session retention of ${what} is above the limit of ${limit}`, "keep less: the engine holds every session's history in its store");
export const windowAboveRetention = (span: Span, window: string, retention: string, events: number) =>
  make("E0265", span, `the window \`within ${window}\` is longer than the session's retention (${retention}): events that old are never kept`, `shorten the window, or keep history longer: \`session retain ${events} events for ${window}\``);

/**
 * What each keyword of the language means, in one line (the wording of grammar/README.md, shortened):
 * the one table hover and completion read. GUARANTEE: every word the lexer gives a token of its own
 * (syntax/tokens.ts `keywords`) has an entry (test/lsp.test.ts holds the two together), so a new
 * keyword without a line here fails a test.
 */
import { keywords } from "../syntax/tokens.js";

export const KEYWORD_DOCS: Readonly<Record<string, string>> = Object.freeze({
  policy: "`policy \"NAME\" version \"X\"`: the header; the first line of the main file.",
  version: "`version \"X\"`: the policy's version, in the header.",
  default: "`default allow | deny`: the effect when no rule matches (deny when omitted).",
  allow: "`allow [\"name\"] tool NAMES [when EXPR] [unless EXPR]`: a rule that permits matching calls (inside a role).",
  deny: "`deny [\"name\"] tool NAMES [when EXPR] [because \"...\"]`: a rule that refuses matching calls; a deny always wins over an allow.",
  import: "`import \"./file.mcppolicy\"`: merge another policy file's declarations (relative to this file, inside the import roots).",
  const: "`const NAME = LITERAL`: a named constant usable in conditions.",
  set: "`set NAME: cidr | domain | tool | string = [...]`: a named set, tested with `in` / `not in`.",
  role: "`role NAME { ... }`: a role: its members, includes, allow/deny rules and limits.",
  includes: "`includes ROLE, ...`: the role also holds what the named roles grant (their denies too).",
  member: "`member when EXPR`: a principal holds the role when the condition holds (besides `principal.roles`).",
  when: "`when EXPR`: the rule (or approval, label) applies only when the condition holds.",
  unless: "`unless EXPR`: the rule applies only when the condition does not hold.",
  because: "`because \"...\"`: the reason a deny gives the caller.",
  tool: "`tool NAME { ... }` declares a tool (risk, approval, args, limits); in a rule, `tool NAMES` is the target.",
  resource: "`resource PATTERNS`: a rule target matching MCP resource URIs.",
  prompt: "`prompt NAMES`: a rule target matching MCP prompt names.",
  risk: "`risk low | medium | high | critical`: the tool's risk level (in a tool block).",
  approval: "`approval required [when EXPR] [by caller | others | role R, ...]`: a human must approve the call.",
  args: "`args { field: type, ... }`: the types the tool's arguments must have; `args.NAME` reads one in a condition.",
  limit: "`limit calls | tokens N per WINDOW [burst N] [by KEY, ...] [fail open | closed]`: a budget.",
  per: "`per WINDOW` (`per minute`, `per 5 minutes`): the budget's window.",
  burst: "`burst N`: how many calls a budget allows at once above its steady rate.",
  by: "`by KEY, ...`: what a budget counts per (`principal`, `session`, an attribute path); after `approval required`: who may approve.",
  fail: "`fail open | closed`: what a budget does when its store is unreachable.",
  from: "`from PATH`: where a token budget reads the amount; `derives from LABEL`: provenance.",
  audit: "`audit { redact FIELD, ... }`: what audit records leave out.",
  redact: "`redact ...`: fields the audit log redacts, or detectors a result block redacts.",
  server: "`server \"NAME\" { ... }`: denies, tool blocks and limits for one upstream server; `server.name` in conditions.",
  mode: "`mode shadow | enforce`: shadow decides and records but lets every call through.",
  where: "`where EXPR`: which past events a history predicate counts.",
  within: "`within N UNIT`: how far back a history predicate looks.",
  since: "`no ... since MATCH`: no such event after the last MATCH.",
  of: "`result of tool NAMES { ... }`, `sum PATH of ...`.",
  session: "`session retain N events for N UNIT`: how much call history the engine keeps.",
  result: "`result of tool NAMES [when EXPR] { label L | label L on item.F for item in result.P [where EXPR] | redact D | cap N | deny ... }`: rules on a tool's result; `result.structured` is its structuredContent, or its one JSON text.",
  and: "`A and B`: both hold.",
  or: "`A or B`: either holds.",
  not: "`not A`: A does not hold; also `not in`.",
  in: "`VALUE in SET | [list]`: membership (CIDR sets match addresses, domain sets host names).",
  contains: "`LIST contains VALUE`, `STRING contains TEXT`.",
  matches: "`STRING matches \"glob\"` or `matches re\"regex\"`.",
  has: "`has PATH`: the attribute is present.",
  true: "the boolean true.",
  false: "the boolean false.",
});

/** Every keyword of the lexer, in its order. */
export const KEYWORDS: readonly string[] = keywords.map((t) => (t.PATTERN as RegExp).source);

/** The words a declaration starts with (completion at the start of a line). */
export const STATEMENT_WORDS: readonly string[] = ["policy", "default", "import", "const", "set", "role", "tool", "allow", "deny", "limit", "audit", "server", "mode", "session", "result", "member", "risk", "approval", "args"];

/** One line per argument type (hover on a type name in an args block); the parameters come from the checker. */
export const TYPE_DOCS: Readonly<Record<string, string>> = {
  string: "a string (lengths count code points; `pattern` is a linear regex)",
  number: "a number",
  integer: "a whole number",
  boolean: "`true` or `false`",
  any: "any JSON value",
  enum: "one of the values listed",
  array: "a list whose items all have the type given",
  path: "a file path, resolved inside its root(s): a value that escapes under any reading is refused",
  url: "a URL whose scheme, host and port are checked (a host written as an address, against the allowed and denied ranges)",
  ip: "an IP address, checked against the ranges allowed and denied",
  sql: "one SQL statement, parsed by a real SQL parser and checked (read-only, tables, columns, functions)",
  json: "a value checked against a JSON Schema (a file beside the policy, or inline)",
};

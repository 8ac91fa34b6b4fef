/**
 * The AST: readonly, discriminated on `kind`, a span on every node. Built from the CST by
 * `syntax/cst-to-ast.ts`; read by the checker and the lowering stage. No evaluation lives here.
 */
import type { Span } from "../source/source.js";

export interface Name {
  readonly text: string;
  readonly span: Span;
}

export type Literal =
  | { readonly kind: "string"; readonly value: string; readonly span: Span }
  | { readonly kind: "number"; readonly value: number; readonly span: Span }
  | { readonly kind: "boolean"; readonly value: boolean; readonly span: Span };

export type Value = Literal | ListValue | RefValue;
export interface ListValue {
  readonly kind: "list";
  readonly items: readonly Value[];
  readonly span: Span;
}
export interface RefValue {
  readonly kind: "ref";
  readonly name: string;
  readonly span: Span;
}

// ---- expressions ----
export type CompareOp = "==" | "!=" | "<" | "<=" | ">" | ">=" | "in" | "not in" | "contains" | "matches";

export type Expr =
  | Literal
  | ListValue
  | PathExpr
  | { readonly kind: "has"; readonly path: PathExpr; readonly span: Span }
  | { readonly kind: "not"; readonly operand: Expr; readonly span: Span }
  | { readonly kind: "and" | "or"; readonly operands: readonly Expr[]; readonly span: Span }
  | { readonly kind: "compare"; readonly op: CompareOp; readonly left: Expr; readonly right: Expr; readonly span: Span }
  /** `left ?? value`: the attribute `left` reads, or `value` when it is absent (the checker wants a path on the left). */
  | { readonly kind: "default"; readonly left: Expr; readonly value: Value; readonly span: Span }
  /** `any path arg OP RIGHT` (soft words); `op`/`right` absent when written without a comparison. */
  | { readonly kind: "anyPathArg"; readonly op?: CompareOp; readonly right?: Expr; readonly span: Span }
  /** A raw regex literal `re"..."` (the pattern as written, `\"` read as `"`): only right of `matches`. */
  | RegexExpr
  /** `VALUE carries DETECTOR` (issue 14): `detector` as written; the checker knows the names. */
  | { readonly kind: "carries"; readonly value: Expr; readonly detector: Name; readonly span: Span }
  /** `VALUE derives from LABEL` (issue 14): provenance, best effort. */
  | { readonly kind: "derives"; readonly value: Expr; readonly label: Name; readonly span: Span }
  /** A history predicate (`after completed tool x within 5 minutes`, `count ...`): check/history.ts. */
  | HistoryExpr;

/** `after | no | previous | count | sum | min | max`: what a history predicate asks of the session's events. */
export type HistoryOp = "after" | "no" | "previous" | "count" | "sum" | "min" | "max";

/** `KIND tool NAMES [where EXPR]`: which past events a history predicate looks at (`kind` absent: the author left it out). */
export interface EventMatch {
  readonly kind?: Name;
  readonly names: readonly { readonly text: string; readonly quoted: boolean; readonly span: Span }[];
  readonly where?: Expr;
  readonly span: Span;
}

export interface HistoryExpr {
  readonly kind: "history";
  readonly op: HistoryOp;
  readonly match: EventMatch;
  /** `no ... since MATCH`. */
  readonly since?: EventMatch;
  /** `within N UNIT`. */
  readonly within?: Duration;
  /** `sum PATH of ...` (also min, max): the path read on each event (`event.args.amount`). */
  readonly path?: PathExpr;
  readonly span: Span;
}

/** `N UNIT` (`5 minutes`, `24 hours`): the unit as written, checked by the checker. */
export interface Duration {
  readonly value: number;
  readonly unit: Name;
  readonly span: Span;
}

export interface RegexExpr {
  readonly kind: "regex";
  readonly pattern: string;
  readonly span: Span;
}

export interface PathExpr {
  readonly kind: "path";
  readonly root: string;
  readonly segments: readonly string[];
  /** A segment called with a string (`time.in("Europe/Berlin").hour`): `at` indexes `segments`. */
  readonly calls?: readonly PathCall[];
  readonly span: Span;
}

export interface PathCall {
  readonly at: number;
  readonly arg: string;
  readonly argSpan: Span;
}

// ---- types of arguments ----
export interface TypeParam {
  readonly name: Name;
  readonly value: Value;
}

export type TypeExpr =
  | { readonly kind: "named"; readonly name: Name; readonly params: readonly TypeParam[]; readonly positional: readonly (Literal | TypeExpr)[]; readonly hasParens: boolean; readonly span: Span }
  | ObjectTypeExpr
  | { readonly kind: "union"; readonly members: readonly TypeExpr[]; readonly span: Span };

export interface ObjectTypeExpr {
  readonly kind: "object";
  readonly fields: readonly FieldDecl[];
  readonly open: boolean;
  readonly span: Span;
}

export interface FieldDecl {
  readonly name: Name;
  readonly optional: boolean;
  readonly type: TypeExpr;
  readonly span: Span;
}

// ---- declarations ----
export type { TargetKind } from "../contract/methods.js";
import type { TargetKind } from "../contract/methods.js";

export interface RuleDecl {
  readonly kind: "rule";
  readonly effect: "allow" | "deny";
  /** The rule's name (`deny "no-push-to-main" tool ...`), its span the string literal's; absent: a positional id. */
  readonly name?: Name;
  readonly target: TargetKind;
  readonly patterns: readonly { readonly text: string; readonly quoted: boolean; readonly span: Span }[];
  readonly when?: Expr;
  readonly unless?: Expr;
  readonly because?: string;
  readonly span: Span;
}

export interface LimitDecl {
  readonly kind: "limit";
  readonly limitKind: Name;
  readonly amount?: { readonly value: number; readonly span: Span };
  readonly namedAmounts: readonly { readonly name: Name; readonly value: number; readonly span: Span }[];
  readonly window?: Name;
  /** `per 5 minutes`: the 5. */
  readonly windowCount?: { readonly value: number; readonly span: Span };
  readonly burst?: { readonly value: number; readonly span: Span };
  /** `by KEY, KEY`: each a word (`principal`) or an attribute path (`principal.claims.tenant`). */
  readonly keys?: readonly LimitKey[];
  readonly failMode?: Name;
  readonly from?: PathExpr;
  readonly span: Span;
}

/** A budget key as written: `root` alone is a named key; with segments, an attribute path. */
export interface LimitKey {
  readonly root: Name;
  readonly segments: readonly string[];
  readonly span: Span;
}

export interface MemberDecl {
  readonly kind: "member";
  readonly when: Expr;
  readonly span: Span;
}

export interface RoleDecl {
  readonly kind: "role";
  readonly name: Name;
  readonly includes: readonly Name[];
  readonly members: readonly MemberDecl[];
  readonly rules: readonly RuleDecl[];
  readonly limits: readonly LimitDecl[];
  readonly span: Span;
}

export interface ToolDecl {
  readonly kind: "tool";
  readonly name: Name;
  readonly risk?: Name;
  readonly approval?: { readonly required: Name; readonly when?: Expr; readonly by?: ApproversDecl; readonly span: Span };
  /** Usually an object type; `json(schema: ...)` checks the whole input against a JSON Schema. */
  readonly args?: TypeExpr;
  readonly limits: readonly LimitDecl[];
  /** Items repeated inside the block (a second `risk`, ...), for the checker to report. */
  readonly repeated: readonly { readonly what: string; readonly span: Span }[];
  readonly span: Span;
}

/**
 * `by caller`, `by others`, `by role R1, R2` after `approval required`: `who` is the word after `by`
 * (`role` with `roles`; any other word is reported by the checker).
 */
export interface ApproversDecl {
  readonly who: Name;
  readonly roles: readonly Name[];
  readonly span: Span;
}

/** `mode shadow` / `mode enforce` (top level, main file, once). */
export interface ModeDecl {
  readonly kind: "mode";
  readonly mode: Name;
  readonly span: Span;
}

/** `server "NAME" { ... }`: denies, tool blocks and limits that apply only to calls to that upstream server. */
export interface ServerDecl {
  readonly kind: "server";
  readonly name: Name;
  /** Rules in source order (only denies are legal; an allow is reported by the checker). */
  readonly rules: readonly RuleDecl[];
  readonly tools: readonly ToolDecl[];
  readonly limits: readonly LimitDecl[];
  readonly span: Span;
}

export interface SetDecl {
  readonly kind: "set";
  readonly name: Name;
  readonly setKind: Name;
  readonly items: ListValue;
  readonly span: Span;
}

export interface ConstDecl {
  readonly kind: "const";
  readonly name: Name;
  readonly value: Literal;
  readonly span: Span;
}

export interface ImportDecl {
  readonly kind: "import";
  readonly path: string;
  readonly span: Span;
  /** The span of the path's string literal (where file-access refusals point). */
  readonly pathSpan: Span;
}

export interface DefaultDecl {
  readonly kind: "default";
  readonly effect: "allow" | "deny";
  readonly span: Span;
}

export interface AuditDecl {
  readonly kind: "audit";
  readonly redact: readonly Name[];
  readonly span: Span;
}

/** One item of a result block. */
export type ResultItem =
  | { readonly kind: "label"; readonly label: Name; readonly field?: FieldSelection; readonly when?: Expr; readonly span: Span }
  | { readonly kind: "redact"; readonly detectors: readonly Name[]; readonly span: Span }
  | { readonly kind: "cap"; readonly bytes: number; readonly span: Span }
  | { readonly kind: "deny"; readonly name?: Name; readonly when?: Expr; readonly because?: string; readonly span: Span };

/**
 * The values a field label marks: `on PATH` (a path into `result`), or `on item.F for item in result.P
 * [where EXPR]` (each element of the list at `result.P` for which `where` holds, its field `F`).
 */
export interface FieldSelection {
  readonly path: PathExpr;
  readonly each?: { readonly item: Name; readonly collection: PathExpr };
  readonly where?: Expr;
  readonly span: Span;
}

/** `result of tool NAMES [when EXPR] { ... }` (issue 14). */
export interface ResultDecl {
  readonly kind: "result";
  readonly target: TargetKind;
  readonly patterns: readonly { readonly text: string; readonly quoted: boolean; readonly span: Span }[];
  readonly when?: Expr;
  readonly items: readonly ResultItem[];
  readonly span: Span;
}

/** `session retain N events for N UNIT` (top level, main file, once): how much history the engine keeps. */
export interface SessionDecl {
  readonly kind: "session";
  readonly events: { readonly value: number; readonly span: Span };
  readonly ttl: Duration;
  readonly span: Span;
}

export interface HeaderDecl {
  readonly kind: "header";
  readonly name: string;
  readonly version?: string;
  readonly span: Span;
}

export type Declaration =
  | DefaultDecl
  | ImportDecl
  | ConstDecl
  | SetDecl
  | RoleDecl
  | ToolDecl
  | RuleDecl
  | LimitDecl
  | AuditDecl
  | ServerDecl
  | ModeDecl
  | ResultDecl
  | SessionDecl
  | HeaderDecl;

export interface PolicyFileAst {
  readonly file: string;
  readonly header?: HeaderDecl;
  readonly declarations: readonly Declaration[];
}

export function assertNever(x: never): never {
  throw new Error(`unreachable: ${JSON.stringify(x)}`);
}

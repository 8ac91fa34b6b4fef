/**
 * The lowered policy (IR): names resolved, imports merged, every set, pattern and constraint held as
 * DATA (strings, numbers, booleans, arrays, plain objects, Map and Set): no function, no class
 * instance. The evaluators build their matchers from it (codegen/ once at compile time; the
 * interpreter once per node, cached: ir/match.ts) through the built-ins registry (builtins/registry.ts).
 * Produced only by the checker from an error-free AST; both evaluators read it and nothing else.
 * INVARIANT: an IR is immutable after lowering, holds no user string as code, and survives
 * `structuredClone` (test/ir-data.test.ts walks the IR of every bundled and conformance policy).
 * Rules' conditions and pattern lists are hash-consed (check/intern.ts): equal ones are one frozen
 * object shared by the rules that write them, so identity says nothing about which rule a node is in.
 */
import type { Span } from "../source/source.js";
import type { Approvers } from "../contract/decision.js";
import type { CheckSpec, GlobSyntax, PathSpec } from "../builtins/registry.js";
import type { IrEvent, IrHistory, IrSessionRetention } from "./history.js";
export type { EventField, EventKind, HistoryOp, IrEvent, IrEventMatch, IrHistory, IrSessionRetention } from "./history.js";

export type Scalar = string | number | boolean;

/** Attribute roots a condition may read: derived from the attribute registry (contract/attributes.ts). */
export type { AttrRoot } from "../contract/attributes.js";
import type { AttrRoot } from "../contract/attributes.js";

export type IrSet =
  /** CIDR items (`10.0.0.0/8`, `::1`), validated; `builtin` for the named built-in sets (`private`, ...). */
  | { readonly kind: "cidr"; readonly name: string; readonly items: readonly string[]; readonly builtin?: true }
  /** Domain items (`example.com`, `*.example.com`), validated. */
  | { readonly kind: "domain"; readonly name: string; readonly items: readonly string[] }
  | { readonly kind: "string"; readonly name: string; readonly set: ReadonlySet<string> }
  /** Tool globs, matched like rule targets. */
  | { readonly kind: "tool"; readonly name: string; readonly patterns: readonly string[] };

export type IrExpr =
  | { readonly k: "lit"; readonly value: Scalar }
  | { readonly k: "list"; readonly values: readonly Scalar[]; readonly lookup: ReadonlySet<Scalar> }
  /** `zone`: an IANA time zone (`time.in("Europe/Berlin").hour`), only on the `time.*` rows; UTC when absent. */
  | { readonly k: "attr"; readonly root: AttrRoot; readonly path: readonly string[]; readonly text: string; readonly zone?: string }
  | { readonly k: "has"; readonly root: AttrRoot; readonly path: readonly string[]; readonly text: string }
  | { readonly k: "not"; readonly e: IrExpr }
  | { readonly k: "and" | "or"; readonly es: readonly IrExpr[] }
  | { readonly k: "eq" | "ne" | "lt" | "le" | "gt" | "ge"; readonly l: IrExpr; readonly r: IrExpr }
  | { readonly k: "in"; readonly negate: boolean; readonly l: IrExpr; readonly r: IrExpr }
  | { readonly k: "inSet"; readonly negate: boolean; readonly l: IrExpr; readonly set: IrSet }
  | { readonly k: "contains"; readonly l: IrExpr; readonly r: IrExpr }
  /** A name glob (`*`, `?`, `[c]`). */
  | { readonly k: "matches"; readonly l: IrExpr; readonly pattern: string }
  /** `PATH ?? VALUE`: the attribute `e` when the request gives it (eval/request.ts `defaultPresence`), else the literal or list `d`. */
  | { readonly k: "default"; readonly e: IrAttr; readonly d: IrExpr }
  /** `matches re"..."`: a linear-time regex (builtins/regex), searched unanchored; `flags` `""` or `"i"`. */
  | { readonly k: "regex"; readonly l: IrExpr; readonly pattern: string; readonly flags: string }
  /**
   * A typed path read (check/path-reads.ts): `l` (an `args.F` read) resolved through the path type the
   * called tool gives `F` (the first entry whose `tool` matches the called tool's name): the absolute
   * path, or an EvalError (no entry, a value that does not resolve). With `op` (the read was the left
   * side of `matches`, `==`, `!=`, `in`, `not in`), the node is that comparison, made on the resolved path
   * with the case rule of ir/match.ts `pathTest` (an answer that depends on letter case errs).
   */
  | ({ readonly k: "pathRead"; readonly l: IrExpr & { readonly k: "attr" }; readonly byTool: readonly IrToolPaths[] } & (IrPathTest | { readonly op?: undefined }))
  /**
   * `any path arg OP RIGHT` (check/any-path-arg.ts): true when some path-typed argument of the called
   * tool (every entry whose `tool` matches its name; none: false) has a resolved value satisfying
   * `OP RIGHT` (ir/match.ts `pathTest`); any such argument that does not resolve is an EvalError, and so
   * is an answer that depends on letter case when no argument satisfies it plainly. `l` reads the
   * whole `args` (for the analysis and `readsArgs`).
   */
  | ({ readonly k: "anyPathArg"; readonly l: IrExpr & { readonly k: "attr" }; readonly byTool: readonly IrToolPaths[] } & IrPathTest)
  /** `VALUE carries DETECTOR` (builtins/detect): every string leaf and key of the value scanned; never errs beyond reading `l`. */
  | { readonly k: "carries"; readonly l: IrExpr; readonly detector: string }
  /**
   * `VALUE derives from LABEL` (builtins/provenance): the value shares a long normalised run with a result
   * that added LABEL; reads `session.provenance` (absent: an EvalError, fail closed).
   */
  | { readonly k: "derives"; readonly l: IrExpr; readonly label: string }
  /** A history predicate and a read of the past event it looks at (ir/history.ts). */
  | IrHistory
  | IrEvent;

/**
 * A comparison of resolved paths: `matches` (`r`: the glob, a `lit`), `eq`/`ne` (`r`: a `lit`),
 * `in`/`notIn` (`r`: a `list`, or `set`: a `string` set).
 */
export interface IrPathTest {
  readonly op: "matches" | "in" | "notIn" | "eq" | "ne";
  readonly r: IrExpr;
  readonly set?: IrSet & { readonly kind: "string" };
}

/** One step into a tool's arguments: a field name, or `null` for every item of an array. */
export type IrArgStep = string | null;

/** The path-typed arguments of the tools a name matches (an exact name or a family's glob; a server block's when `server` is set). */
export interface IrToolPaths {
  readonly tool: IrPattern;
  readonly fields: readonly IrPathField[];
  /** A server block's tool block: applies only to calls to that upstream (`server.name`). */
  readonly server?: string;
}

export interface IrPathField {
  readonly at: readonly IrArgStep[];
  /** `args.paths[]`: how the field is named in messages. */
  readonly text: string;
  readonly spec: PathSpec;
}

/** An attribute read (the left side of `??`). */
export type IrAttr = Extract<IrExpr, { readonly k: "attr" }>;

export type IrPattern =
  | { readonly kind: "exact"; readonly text: string }
  /** `syntax`: `uri` for resource targets (`**` crosses `/`), `name` for tools and prompts. */
  | { readonly kind: "glob"; readonly text: string; readonly syntax: GlobSyntax };

export type { TargetKind } from "../contract/methods.js";
import type { TargetKind } from "../contract/methods.js";

export interface IrRule {
  /** The rule's name when it has one; otherwise `ROLE/N`, or `policy/N` for top-level denies (rule-ids.ts). */
  readonly id: string;
  /** The name the rule was given (`deny "no-push-to-main" tool ...`); then `id` is the same text. */
  readonly name?: string;
  readonly effect: "allow" | "deny";
  readonly target: TargetKind;
  readonly patterns: readonly IrPattern[];
  readonly when?: IrExpr;
  readonly unless?: IrExpr;
  readonly because?: string;
  /** Owning role; undefined for top-level denies. */
  readonly role?: string;
  readonly span: Span;
}

export type IrType =
  | { readonly t: "any" }
  /** `patternText`: a linear-time regex (builtins/regex), searched unanchored like `RegExp.test`; `patternFlags`: `"i"` or absent. */
  | { readonly t: "string"; readonly minLength?: number; readonly maxLength?: number; readonly patternText?: string; readonly patternFlags?: string }
  /** A JSON Schema (from a file or inline), compiled with ajv by the evaluators, linear-time patterns. */
  | { readonly t: "json"; readonly schema: object }
  | { readonly t: "number" | "integer"; readonly min?: number; readonly max?: number }
  | { readonly t: "boolean" }
  | { readonly t: "enum"; readonly values: readonly Scalar[] }
  | { readonly t: "array"; readonly item: IrType; readonly minItems?: number; readonly maxItems?: number }
  | { readonly t: "object"; readonly fields: readonly IrField[]; readonly open: boolean }
  | { readonly t: "union"; readonly members: readonly IrType[] }
  /** A built-in constraint (`path`, `url`, `ip`, `sql`): its kind and parameters as data (builtins/registry.ts). */
  | ({ readonly t: "check" } & CheckSpec);

export interface IrField {
  readonly name: string;
  readonly optional: boolean;
  readonly type: IrType;
}

export type BudgetKind = "rate" | "tokens" | "calls" | "cost";
/** The named keys (`by principal`); `server` is `server.name`. */
export type BudgetKey = "principal" | "session" | "client" | "role" | "tool" | "server";
/** The window's unit; `per 5 minutes` is unit `minute`, `windowCount` 5. */
export type BudgetWindow = "second" | "minute" | "hour" | "day" | "week" | "session";

/** One part of a budget's key: a named key, or an attribute of the request (`principal.claims.tenant`, `args.repo`). */
export type BudgetKeyPart =
  | { readonly k: "named"; readonly name: BudgetKey }
  | { readonly k: "attr"; readonly root: AttrRoot; readonly path: readonly string[]; readonly text: string };

export interface IrBudget {
  /** `policy/limit/N`, `ROLE/limit/N`, `tool:NAME/limit/N`. */
  readonly id: string;
  readonly kind: BudgetKind;
  /**
   * `tool`: a tool block's limit (`tool` is the block's name or family glob; `server` when the block sits
   * in a `server` block). `server`: a `server` block's own limit (ids `server:NAME/limit/N`).
   */
  readonly scope:
    | { readonly level: "policy" }
    | { readonly level: "role"; readonly role: string }
    | { readonly level: "tool"; readonly tool: string; readonly server?: string }
    | { readonly level: "server"; readonly server: string };
  readonly amount?: number;
  readonly input?: number;
  readonly output?: number;
  readonly total?: number;
  readonly window: BudgetWindow;
  /** `per N UNITs`: N (absent when 1, and for `session`). */
  readonly windowCount?: number;
  readonly burst?: number;
  /** What the budget counts per: one part, or several (`by principal, tool`: per combination). Never empty. */
  readonly keys: readonly BudgetKeyPart[];
  readonly failOpen: boolean;
  readonly from?: readonly string[];
}

export interface IrRole {
  readonly name: string;
  readonly members: readonly IrExpr[];
  /** Direct includes. */
  readonly includes: readonly string[];
  /** This role and every role it includes, transitively, sorted. */
  readonly closure: readonly string[];
  readonly rules: readonly IrRule[];
  readonly budgets: readonly IrBudget[];
  /** The role's name where it is declared (for analysis findings). */
  readonly span?: Span;
}

export type Risk = "low" | "medium" | "high" | "critical";

export interface IrTool {
  /** The block's name as written: the exact tool name, or the family glob (then also in `pattern`). */
  readonly name: string;
  /** A tool family (`tool "github__*" { ... }`): the name glob (name syntax) the block applies to. */
  readonly pattern?: string;
  /** The upstream server whose `server` block holds this tool block; absent at top level. */
  readonly server?: string;
  /** Prefix of the ids of the block's parts: `tool:NAME` (`server:S/tool:NAME` inside a server block). */
  readonly id: string;
  readonly risk?: Risk;
  readonly approval?: IrApproval;
  /** The type of the whole `arguments` object (an object type, or a JSON Schema check). */
  readonly args?: IrType;
  readonly budgets: readonly IrBudget[];
  /** The tool's name where its block is declared (for analysis findings). */
  readonly span?: Span;
}

/**
 * Who may approve a call a block sends to approval (`approval required ... by ...`): `others` (the
 * default: anyone but the caller, as the host decides), `caller` (the caller may approve its own call),
 * `roles` (four eyes: an approver holding one of `roles`, as the policy resolves roles, and not the caller).
 */
export type IrApprovers = Approvers;

/** A tool block's `approval required [when EXPR] [by ...]`. */
export interface IrApproval {
  readonly when?: IrExpr;
  readonly approvers: IrApprovers;
}

/** A `server "NAME" { ... }` block (its denies are lowered into `topDenies` with `server.name == NAME`). */
export interface IrServer {
  readonly name: string;
  /** Its exact tool blocks by name, then its tool families in source order. */
  readonly tools: ReadonlyMap<string, IrTool>;
  readonly families: readonly IrTool[];
  /** Its own limits (`server:NAME/limit/N`): every allowed call to this server counts. */
  readonly budgets: readonly IrBudget[];
  readonly span?: Span;
}

export interface IrPolicy {
  readonly name: string;
  readonly version?: string;
  readonly defaultEffect: "allow" | "deny";
  /** `mode shadow`: hosts decide and record but forward everything; `decide` does not change. */
  readonly shadow: boolean;
  /** Roles by name, in declaration order. */
  readonly roles: ReadonlyMap<string, IrRole>;
  readonly topDenies: readonly IrRule[];
  /** The exact tool blocks at top level, by name. */
  readonly tools: ReadonlyMap<string, IrTool>;
  /** Tool families at top level (`tool "github__*" { ... }`), in source order. */
  readonly families: readonly IrTool[];
  /** `server` blocks by server name, in source order. */
  readonly servers: ReadonlyMap<string, IrServer>;
  readonly budgets: readonly IrBudget[];
  readonly redactKeys: readonly string[];
  readonly sets: ReadonlyMap<string, IrSet>;
  readonly ruleCount: number;
  /** `result of ...` blocks (issue 14), in source order (imports first). */
  readonly results: readonly IrResultBlock[];
  /** Session state the policy needs kept (`session retain ...`; the defaults when absent from the text). */
  readonly session: { readonly retain: IrSessionRetention };
}

/** The key under which a field label's `where` reads the element (`item.x` is `result[ITEM_KEY].x`). */
export const ITEM_KEY = "#item";

/**
 * A field label's values (`label L on item.F for item in result.P where EXPR`, or `label L on result.P`):
 * `each`: the path (from `result`) of the list whose elements are visited; `path`: the path of the marked
 * value (from the element, or from `result` without `each`); `where`: the element's condition, reading the
 * element as `result[ITEM_KEY]` (eval/core/results.ts). `text`: the selection as written, for messages.
 */
export interface IrFieldSelection {
  readonly each?: readonly string[];
  readonly path: readonly string[];
  readonly where?: IrExpr;
  readonly text: string;
}

/**
 * `result of tool NAMES [when EXPR] { ... }`: what a result does to the session and what of it the client
 * may see. Every block whose patterns match the call's target (and whose `when` holds) applies.
 */
export interface IrResultBlock {
  readonly target: TargetKind;
  readonly patterns: readonly IrPattern[];
  readonly when?: IrExpr;
  /** Labels the session gains; each with its own condition, and a field label with the values it marks. */
  readonly labels: readonly { readonly label: string; readonly when?: IrExpr; readonly field?: IrFieldSelection }[];
  /** Detectors whose findings are redacted in the result (builtins/detect names). */
  readonly redact: readonly string[];
  /** The largest result (JSON bytes) passed on; larger ones are withheld. */
  readonly capBytes?: number;
  /** Conditions under which the result is withheld (an `isError` result takes its place). */
  readonly denies: readonly { readonly id: string; readonly when?: IrExpr; readonly because?: string }[];
  readonly span: Span;
}

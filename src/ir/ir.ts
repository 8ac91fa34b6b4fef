/**
 * The lowered policy (IR): names resolved, imports merged, every set, pattern and constraint held as
 * DATA (strings, numbers, booleans, arrays, plain objects, Map and Set): no function, no class
 * instance. The evaluators build their matchers from it (codegen/ once at compile time; the
 * interpreter once per node, cached: ir/match.ts) through the built-ins registry (builtins/registry.ts).
 * Produced only by the checker from an error-free AST; both evaluators read it and nothing else.
 * INVARIANT: an IR is immutable after lowering, holds no user string as code, and survives
 * `structuredClone` (test/ir-data.test.ts walks the IR of every bundled and conformance policy).
 */
import type { Span } from "../source/source.js";
import type { CheckSpec, GlobSyntax } from "../builtins/registry.js";

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
  | { readonly k: "attr"; readonly root: AttrRoot; readonly path: readonly string[]; readonly text: string }
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
  | { readonly k: "default"; readonly e: IrAttr; readonly d: IrExpr };

/** An attribute read (the left side of `??`). */
export type IrAttr = Extract<IrExpr, { readonly k: "attr" }>;

export type IrPattern =
  | { readonly kind: "exact"; readonly text: string }
  /** `syntax`: `uri` for resource targets (`**` crosses `/`), `name` for tools and prompts. */
  | { readonly kind: "glob"; readonly text: string; readonly syntax: GlobSyntax };

export type { TargetKind } from "../contract/methods.js";
import type { TargetKind } from "../contract/methods.js";

export interface IrRule {
  /** `ROLE/N`, or `policy/N` for top-level denies. */
  readonly id: string;
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
  /** `patternText`: a linear-time regex (builtins/regex), searched unanchored like `RegExp.test`. */
  | { readonly t: "string"; readonly minLength?: number; readonly maxLength?: number; readonly patternText?: string }
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
export type BudgetKey = "principal" | "session" | "client" | "role" | "tool";
export type BudgetWindow = "second" | "minute" | "hour" | "day" | "session";

export interface IrBudget {
  /** `policy/limit/N`, `ROLE/limit/N`, `tool:NAME/limit/N`. */
  readonly id: string;
  readonly kind: BudgetKind;
  readonly scope: { readonly level: "policy" } | { readonly level: "role"; readonly role: string } | { readonly level: "tool"; readonly tool: string };
  readonly amount?: number;
  readonly input?: number;
  readonly output?: number;
  readonly total?: number;
  readonly window: BudgetWindow;
  readonly burst?: number;
  readonly key: BudgetKey;
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
  readonly name: string;
  readonly risk?: Risk;
  readonly approval?: { readonly when?: IrExpr };
  /** The type of the whole `arguments` object (an object type, or a JSON Schema check). */
  readonly args?: IrType;
  readonly budgets: readonly IrBudget[];
  /** The tool's name where its block is declared (for analysis findings). */
  readonly span?: Span;
}

export interface IrPolicy {
  readonly name: string;
  readonly version?: string;
  readonly defaultEffect: "allow" | "deny";
  /** Roles by name, in declaration order. */
  readonly roles: ReadonlyMap<string, IrRole>;
  readonly topDenies: readonly IrRule[];
  readonly tools: ReadonlyMap<string, IrTool>;
  readonly budgets: readonly IrBudget[];
  readonly redactKeys: readonly string[];
  readonly sets: ReadonlyMap<string, IrSet>;
  readonly ruleCount: number;
}

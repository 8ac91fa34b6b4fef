/**
 * The checker's state, passed explicitly from stage to stage: the input (the merged files and the
 * symbol tables with the diagnostics sink) and the named products the stages have made so far; and the
 * shape of a stage (its name, the products it needs and makes, when it may run).
 * INVARIANT: a stage reads only the products it declares in `needs` and returns exactly the ones it
 * declares in `produces`; the driver (check.ts) merges them into `CheckState.products`. Each product is
 * made by one stage and never replaced; only the `sets` map grows after (a built-in set is added
 * when a later stage first names it).
 */
import type * as A from "../ast/nodes.js";
import type { IrBudget, IrPolicy, IrResultBlock, IrRole, IrRule, IrServer, IrSessionRetention, IrSet, IrTool } from "../ir/ir.js";
import type { Symbols } from "./scope.js";

/** The policy-wide declarations the `declarations` stage gathers beside the symbol tables. */
export interface Declarations {
  /** The main file's `default` (imports cannot set one); absent means deny. */
  readonly defaultDecl: A.DefaultDecl | undefined;
  /** The main file's `mode shadow` (absent or `mode enforce`: false). */
  readonly shadow: boolean;
  /** Top-level denies, imports first then the main file (rule numbering follows this order). */
  readonly topRules: readonly A.RuleDecl[];
  /** The top-level denies written inside a `server` block, with that server's name. */
  readonly ruleServers: ReadonlyMap<A.RuleDecl, string>;
  /** Policy-level `limit` declarations, in the same order. */
  readonly topLimits: readonly A.LimitDecl[];
  /** Audit redaction keys, lowercased, in order, possibly repeated. */
  readonly redactKeys: readonly string[];
  /** `result of ...` blocks (issue 14), imports first then the main file. */
  readonly results: readonly A.ResultDecl[];
}

/** Every product a stage can make, by name. */
export interface Products {
  /** Also means: `sym.consts`, `sym.setDecls`, `sym.roles` and `sym.tools` are filled. */
  readonly declarations: Declarations;
  /** `session retain ...` (or the defaults): rules' `within` windows are checked against it. */
  readonly retention: IrSessionRetention;
  /** Every declared set lowered (null: broken); built-in sets are added when first named. */
  readonly sets: ReadonlyMap<string, IrSet | null>;
  /** Each role and every role it includes, transitively, sorted. */
  readonly closures: ReadonlyMap<string, readonly string[]>;
  /** Rules in the whole policy (top-level and in roles); later stages run only when at most LIMITS.maxRules. */
  readonly ruleCount: number;
  /** Every rule's id: its name, or `policy/N` / `ROLE/N` (stage `rule-ids`; ir/rule-ids.ts). */
  readonly ruleIds: ReadonlyMap<A.RuleDecl, string>;
  /** The top-level denies, ids `policy/N` (or their names). */
  readonly topDenies: readonly IrRule[];
  /** Roles lowered (members, rules `ROLE/N`, budgets), in declaration order. */
  readonly roles: ReadonlyMap<string, IrRole>;
  /** Top-level exact tool blocks lowered, in declaration order. */
  readonly tools: ReadonlyMap<string, IrTool>;
  /** Top-level tool families lowered, in declaration order. */
  readonly families: readonly IrTool[];
  /** `server` blocks lowered (their tool blocks and limits), in declaration order. */
  readonly servers: ReadonlyMap<string, IrServer>;
  /** Policy-level budgets, ids `policy/limit/N`. */
  readonly budgets: readonly IrBudget[];
  /** `result of ...` blocks lowered (issue 14), in declaration order. */
  readonly results: readonly IrResultBlock[];
  /** The lowered policy; made only from an error-free check. */
  readonly ir: IrPolicy;
}

export type ProductName = keyof Products;

/** What every stage sees: the input and the shared symbol tables (which carry the diagnostics sink). */
export interface StageContext {
  /** `files[0]` is the main file; the rest are its imports, in the order they were merged. */
  readonly files: readonly A.PolicyFileAst[];
  readonly main: A.PolicyFileAst;
  readonly sym: Symbols;
}

/** The input of a stage that needs the products `N`. */
export type StageInput<N extends ProductName> = StageContext & { readonly [K in N]: Products[K] };

/** What a stage producing `P` returns: exactly those products (any other is a type error). */
export type StageOutput<P extends ProductName> = { readonly [K in P]: Products[K] } & { readonly [K in Exclude<ProductName, P>]?: never };

/** The driver's state: the context and the products made so far. */
export interface CheckState extends StageContext {
  readonly products: Partial<Products>;
}

/**
 * A named checker stage. `run` may report diagnostics (through `sym.diagnostics`) and fill the symbol
 * tables as its products say; it returns its products.
 */
export interface Stage<Name extends string, N extends ProductName, P extends ProductName> {
  readonly name: Name;
  readonly needs: readonly N[];
  readonly produces: readonly P[];
  /**
   * `any`: runs after earlier errors too, so one check reports as many mistakes as it can.
   * `error-free`: the check stops before this stage once any error was reported (its output would be
   * wrong or misleading: lints of a broken rule, an IR of a broken policy).
   */
  readonly input: "any" | "error-free";
  /** When this stage itself reports an error, the check stops after it (a resource limit was hit). */
  readonly haltsOnError?: boolean;
  run(input: StageInput<NoInfer<N>>): StageOutput<NoInfer<P>>;
}

/** A stage with its product types erased, as the list holds it. */
export interface AnyStage {
  readonly name: string;
  readonly needs: readonly ProductName[];
  readonly produces: readonly ProductName[];
  readonly input: "any" | "error-free";
  readonly haltsOnError?: boolean;
  run(input: StageInput<ProductName>): Partial<Products>;
}

/** Declares a stage, inferring its name and products from the literal (so the list keeps them). */
export function defineStage<const Name extends string, N extends ProductName = never, P extends ProductName = never>(s: Stage<Name, N, P>): Stage<Name, N, P> {
  return s;
}

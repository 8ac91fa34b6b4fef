/**
 * The shared decision core's view of a policy: what an evaluator hands the core so that the core can
 * assemble a decision without knowing how conditions are evaluated (the interpreter walks the IR, the
 * compiled function calls closures) or how candidate rules are found (a scan, or the optimizer's index).
 * INVARIANT: per-call state lives in one `Call` object per decision (never in closure or module
 * variables), so a nested decide() (a getter on the request that calls it) cannot change the outer one.
 */
import type { Approvers, PolicyRequest, Reason, TargetKind } from "../../contract/index.js";
import type { Risk } from "../../ir/ir.js";

/** Three-valued truth, for list methods: the arguments of the calls a listed item stands for are unknown. */
export type Tri = true | false | "unknown" | "error";

/** A two-valued condition: true or false, or throws `EvalError`. */
export type Pred = (req: PolicyRequest) => boolean;
/** A three-valued condition (never throws `EvalError`). */
export type TriPred = (req: PolicyRequest) => Tri;

/** A rule as the core sees it. The evaluator builds it (once, or once per call) from an `IrRule`. */
export interface CoreRule {
  readonly id: string;
  readonly allow: boolean;
  /** Owning role; undefined for top-level denies. */
  readonly role: string | undefined;
  readonly when: Pred | undefined;
  readonly unless: Pred | undefined;
  readonly whenTri: TriPred | undefined;
  readonly unlessTri: TriPred | undefined;
  /** `allow_rule` or `deny_rule` with this rule's id and text, frozen. */
  readonly reason: Reason;
  /** `[reason]`, frozen: the reasons of a decision this rule alone decides. */
  readonly reasons: readonly Reason[];
  /** Budget ids when this rule alone allows a call to a tool without budgets of its own (policy + role), frozen. */
  readonly baseBudgets: readonly string[];
  /**
   * The same plus a tool's own budgets, by `CoreTool.key`, frozen (bounded: see match.ts); made on first
   * use (most rules never allow a call to a tool with budgets: an empty Map per rule was ~0.5 KB per used role).
   */
  budgetMemo: Map<string, readonly string[]> | undefined;
}

/** One tool block's `approval required [when ...]` as the core sees it. */
export interface CoreApproval {
  /** The block's name as written (the tool, or the family glob), for messages. */
  readonly label: string;
  /** `tool:NAME/approval` (`server:S/tool:NAME/approval` in a server block). */
  readonly rule: string;
  /** Whether approval is needed (throws `EvalError`); undefined when unconditional. */
  readonly when: Pred | undefined;
  /** Its three-valued form; undefined when unconditional. */
  readonly whenTri: TriPred | undefined;
  /** `approval_required` naming this block, frozen. */
  readonly reason: Reason;
  /** Who may approve (`by ...`; `others` when not written), frozen. */
  readonly approvers: Approvers;
}

/** One tool block (exact or family) in the evaluator's form, before merging. */
export interface CoreBlock {
  readonly id: string;
  readonly risk: Risk | undefined;
  /** The block's `args` check: a fault message (naming `args.path`) or null. */
  readonly args: ((value: unknown) => string | null) | undefined;
  readonly approval: CoreApproval | undefined;
  readonly budgetIds: readonly string[];
}

/** A failing `args` check: the message and the id of the block whose `args` failed. */
export interface ArgsFault {
  readonly rule: string;
  readonly message: string;
  /** `[invalid_argument naming rule, with message]`, frozen (shared between calls with the same fault). */
  readonly reasons: readonly Reason[];
}

/**
 * Every tool block that applies to a call, merged (grammar/README.md "Tool families"): the highest risk,
 * every `args` check (the first failing one, in block order, denies), every approval (any requiring it
 * requires it; any erring denies), every limit. The same value serves every tool name with the same blocks.
 */
export interface CoreTool {
  /** The identity of the set of blocks (their ids), for memos keyed by it. */
  readonly key: string;
  readonly risk: Risk | undefined;
  readonly args: ((value: unknown) => ArgsFault | null) | undefined;
  readonly approvals: readonly CoreApproval[];
  readonly budgetIds: readonly string[];
  /**
   * Set when the call cannot be judged: server-scoped blocks (or server limits) apply to this tool and the
   * request names no server. The call is denied with this reason (never skipped).
   */
  readonly fault: Reason | undefined;
}

/** The roles held by a principal, and the candidate rules they bring. */
export interface RoleView {
  /** Held roles, closed under includes, sorted; frozen when shared. */
  readonly roles: readonly string[];
  /** Top-level denies and the rules of the held roles of `kind` whose patterns match `name`, in evaluation order. */
  candidates(kind: TargetKind, name: string): readonly CoreRule[];
  /** Optional: the `no_rule` reasons of a call of `kind` `name` for these roles, frozen (cached by the evaluator). */
  noRule?(kind: TargetKind, name: string): readonly Reason[];
  /**
   * Optional: tool `name`'s candidates and merged blocks in one answer, when the evaluator's tool lookup
   * does not depend on the server (then `tool` equals `Evaluator.tool(name, server)` for any server, and
   * `cands` equals `candidates("tool", name)`); undefined when it does.
   */
  callTarget?(name: string): CallTarget | undefined;
}

/** A tool's candidate rules for one role set and its merged blocks (RoleView `callTarget`). */
export interface CallTarget {
  readonly cands: readonly CoreRule[];
  readonly tool: CoreTool | undefined;
}

/** A deny rule an erring membership may bring in, with the erring role. */
export interface Unsure {
  readonly rule: CoreRule;
  readonly via: string;
}

/**
 * Per-call state: one object per decision while it runs (reused by a later decision once it returns:
 * `releaseCall` in decide.ts clears every field, so a field added here must be cleared there too).
 */
export interface Call {
  /** Errors met (memberships, rules, approval), in order. */
  errors: string[] | undefined;
  /** Role names the host gave that the policy does not declare. */
  ignored: string[] | undefined;
  /** The `no_role` reasons for `ignored`, when the evaluator has them prebuilt (frozen); else built from `ignored`. */
  noRole: readonly Reason[] | undefined;
  /** Roles in doubt (an erring membership may bring them; not held), each with the erring role. */
  unsure: Map<string, string> | undefined;
  /** List methods: roles (closed, not held) held for some arguments only (a membership reads them). */
  maybe: Set<string> | undefined;
  /** The first matching allow, and all of them when there are several. */
  firstAllow: CoreRule | undefined;
  allAllows: CoreRule[] | undefined;
}

export const newCall = (): Call => ({ errors: undefined, ignored: undefined, noRole: undefined, unsure: undefined, maybe: undefined, firstAllow: undefined, allAllows: undefined });

/** Empties a `Call` for reuse: every field `newCall` sets, back to undefined (keep the two lists together). */
export function clearCall(call: Call): void {
  call.errors = undefined;
  call.ignored = undefined;
  call.noRole = undefined;
  call.unsure = undefined;
  call.maybe = undefined;
  call.firstAllow = undefined;
  call.allAllows = undefined;
}

/** What an evaluator gives the core. */
export interface Evaluator {
  readonly defaultAllow: boolean;
  /** Top-level budget ids, in source order. */
  readonly policyBudgets: readonly string[];
  /**
   * The budget ids of each `server` block's own limits, by server (only servers that have some): an
   * allowed call to that server counts against them; a call naming no server is denied while any exist.
   */
  readonly serverBudgets: ReadonlyMap<string, readonly string[]>;
  /** Budget ids of a role, in source order. */
  roleBudgets(role: string): readonly string[];
  /**
   * Held roles, or undefined when none (`no_role`). Fills `call.errors`, `call.ignored`, `call.unsure`
   * and, when `list` (a list method with an item: memberships are three-valued), `call.maybe`; with
   * `list`, an empty view is returned when only `maybe` roles may be held.
   */
  resolveRoles(req: PolicyRequest, call: Call, list: boolean): RoleView | undefined;
  /** The deny rules of `call.unsure`'s roles of `kind` matching `name`: roles sorted, rules in source order. */
  unsureDenies(call: Call, kind: TargetKind, name: string): readonly Unsure[] | undefined;
  /** The rules (allow and deny) of `call.maybe`'s roles of `kind` matching `name`: roles sorted, rules in source order. */
  maybeRules(call: Call, kind: TargetKind, name: string): readonly CoreRule[] | undefined;
  /**
   * The merged tool blocks applying to a call of `name` on upstream `server` (undefined: the request names
   * no server); undefined when no block applies and nothing is in doubt.
   */
  tool(name: string, server: string | undefined): CoreTool | undefined;
  /** The concrete URIs the resource rules name (`resourceSeeds` in templates.ts, computed once or per call). */
  resourceSeeds(): readonly string[];
}

/**
 * The result of `engine.authorize`: the final effect with its reasons, and how to settle what it
 * reserved. Guarantees: `commit` and `rollback` settle a reservation at most once between them, even
 * called at once (one is claimed before anything is awaited; a settle whose store failed without saying it
 * did not run is not sent again without an idempotency key, since it may have been applied late) (and,
 * with an idempotency key, at most once across every retry and replica, and only from the authorization
 * that reserved it); they never reject: a fault comes back as `{ applied: false, reason }` so a host that
 * does not await them cannot crash on them. A replay (`effect: "replay"`) is never an allow: it reports
 * what happened to the first call under the key, and its `commit` and `rollback` change nothing.
 * The settling itself is the engine's result and end stages (phases/pipeline.ts, phases/settle.ts): an
 * allowed call's Authorization holds the call's handle to them.
 */
import type { Estimate } from "./budget-plan.js";
import type { ResolvedUrl } from "../eval/resolve.js";
import type { IdempotencyState } from "./store/store.js";
import type { Approvers, Decision, Effect, Reason, ToolResult } from "../contract/index.js";

/**
 * The effect to enforce. `replay`: an earlier call with the same idempotency key (same principal, session
 * and request) was already admitted; do not run the tool again, answer with what the first call gave.
 */
export type AuthorizationEffect = Effect | "replay";

/** On a replay: what happened to the first call under the key. */
export interface ReplayOf {
  /** `pending`: admitted, not settled yet (still running, or lost); `committed`; `rolled_back`: it failed. */
  status: IdempotencyState;
}

export interface Usage {
  inputTokens?: number;
  outputTokens?: number;
  cost?: number;
}

export interface SettleOutcome {
  applied: boolean;
  /**
   * With result blocks (issue 14), on a commit that gave the tool's result: what the host may pass on
   * (redacted, or an `isError` result when withheld). Pass THIS on, never the tool's own result.
   */
  result?: ToolResult;
  /** The result is withheld: by which result deny (or `result_cap`, `session_unavailable`, ...), and why. */
  withheld?: { id: string; message: string };
  /** Labels the session gained from this result. */
  labels?: readonly string[];
  /**
   * Why nothing was applied. Beside `applied: true`: a fault the engine met after the tool ran (the
   * settlement was applied all the same).
   */
  reason?: string;
}

export interface BudgetDenial {
  /** The budget id (`policy/limit/1`). */
  id: string;
  kind: "rate" | "tokens" | "calls" | "cost";
  /** For a token budget: which count ran out. */
  measure?: "input" | "output" | "total";
  limit: number;
  used: number;
  /** When a call could go through again; absent when the budget lasts the session. */
  retryAfterMs?: number;
}

export interface PendingApproval {
  id: string;
  expiresAt: number;
  /** Whether this call created the request (false: it was already pending). */
  created: boolean;
  /** Who may approve it (the policy's `by ...`): `caller` lets the caller approve its own call. */
  approvers: Approvers;
}

/**
 * The engine's way to the phases after the tool (see phases/pipeline.ts `runResult`), one per engine;
 * `call` is the allowed call's own context (opaque here).
 */
export interface CallHandle {
  settle(call: object, action: "commit" | "rollback", usage: Usage, result?: ToolResult): SettleOutcome | Promise<SettleOutcome>;
}

export interface AuthorizationInit {
  effect: AuthorizationEffect;
  reasons: readonly Reason[];
  decision: Decision;
  charged?: readonly string[];
  budget?: BudgetDenial;
  approval?: PendingApproval;
  replayOf?: ReplayOf;
  resolved?: ResolvedUrl[];
}

const NONE: readonly string[] = Object.freeze([]);
const NO_USAGE: Usage = Object.freeze({});

export class Authorization {
  /** The effect to enforce: the policy's decision after budgets, approvals and idempotency. */
  readonly effect: AuthorizationEffect;
  readonly reasons: readonly Reason[];
  /** The policy's own decision, before budgets and approvals. */
  readonly decision: Decision;
  /** The ids of the budgets this call was charged to (reserved). */
  readonly charged: readonly string[];
  /** On a budget denial: which budget, and when to retry. */
  readonly budget?: BudgetDenial;
  /** On `require_approval`: the approval request to decide with `engine.approve`. */
  readonly approval?: PendingApproval;
  /** True when an idempotency key matched an earlier admitted call: then `effect` is `replay`. */
  readonly replayed: boolean;
  /** On a replay: what happened to the first call. */
  readonly replayOf?: ReplayOf;
  /** With the engine's `dns` option, on an allowed call: the addresses each `url(...)` argument's host resolved to, all checked. */
  readonly resolved?: readonly ResolvedUrl[];
  #handle: CallHandle | undefined;
  #call: object | undefined;

  /** `handle` and `call`: how the engine settles this allowed call, and its context (absent: nothing to settle). */
  constructor(init: AuthorizationInit, handle?: CallHandle, call?: object) {
    this.effect = init.effect;
    this.reasons = init.reasons;
    this.decision = init.decision;
    this.charged = init.charged ?? NONE;
    if (init.budget) this.budget = init.budget;
    if (init.approval) this.approval = init.approval;
    this.replayed = init.replayOf !== undefined;
    if (init.replayOf) this.replayOf = init.replayOf;
    if (init.resolved) this.resolved = init.resolved;
    // A replay never holds the first call's reservation: it cannot settle or refund it.
    if (!init.replayOf && handle && call) {
      this.#handle = handle;
      this.#call = call;
    }
  }

  get allowed(): boolean {
    return this.effect === "allow";
  }

  /** Milliseconds until a call denied for budget could go through. */
  get retryAfterMs(): number | undefined {
    return this.budget?.retryAfterMs;
  }

  /**
   * Record what the call used, once it ran: token counts and cost replace what was reserved for them
   * (the estimate, or for `cost ... from args.X` the argument). Fields left out keep the reservation.
   */
  async commit(usage: Usage = {}, result?: ToolResult): Promise<SettleOutcome> {
    const problem = checkUsage(usage);
    if (problem) return { applied: false, reason: problem };
    return this.#settle("commit", usage, result);
  }

  /** The call failed upstream: give back everything it reserved. */
  async rollback(): Promise<SettleOutcome> {
    return this.#settle("rollback", NO_USAGE);
  }

  /** A plain value when the engine settled synchronously (MemoryStore): `commit` and `rollback` then take no extra tick. */
  #settle(action: "commit" | "rollback", usage: Usage, result?: ToolResult): SettleOutcome | Promise<SettleOutcome> {
    if (this.replayOf) return { applied: false, reason: "replay" };
    const handle = this.#handle;
    if (!handle) return { applied: false, reason: this.effect === "allow" ? "nothing was reserved" : `the call was not allowed (${this.effect})` };
    return handle.settle(this.#call!, action, usage, result);
  }

  toJSON(): object {
    return {
      effect: this.effect,
      reasons: this.reasons,
      charged: this.charged,
      ...(this.budget && { budget: this.budget }),
      ...(this.approval && { approval: this.approval }),
      replayed: this.replayed,
      ...(this.replayOf && { replayOf: this.replayOf }),
      ...(this.resolved && { resolved: this.resolved }),
      decision: this.decision,
    };
  }
}

/** What is wrong with a usage or estimate object (`what` names it in the message), if anything. */
export function checkUsage(u: unknown, what = "usage"): string | undefined {
  if (typeof u !== "object" || u === null || Array.isArray(u)) return `${what} must be an object`;
  for (const k of ["inputTokens", "outputTokens", "cost"] as const) {
    const v = (u as Record<string, unknown>)[k];
    if (v !== undefined && (typeof v !== "number" || !Number.isFinite(v) || v < 0)) return `${what}.${k} must be a number >= 0`;
  }
  return undefined;
}

export type { Estimate };

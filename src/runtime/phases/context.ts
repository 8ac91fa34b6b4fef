/**
 * The engine's per-call context and the shape of a phase. One `CallContext` is made per `authorize`
 * call; the phases of `phases/pipeline.ts` fill it in, in order, and the Authorization keeps it until
 * the call is settled, so the phases after the tool (inspect result, settle and record, audit) see
 * everything the phases before it found.
 * Guarantees:
 * - Every field is named here with the phase that writes it; a phase reads only what the phases before
 *   it wrote (INVARIANT, kept by the order of `PHASES`).
 * - The policy snapshot (`loaded`: policy, prepared budgets, version) is taken once when the call
 *   starts: a `reload` during the call does not change which policy decides it or what it is bound to.
 * - `input` is the host's request, never changed; `request` is what the policy decides on.
 * - The fields every call goes through exist from the start (one object shape on the hot path); the
 *   optional ones (`?`) are added by the phase that sets them, on the calls that need them.
 */
import type { Policy } from "../../policy.js";
import type { ResolvedUrl, ResolveOptions } from "../../eval/resolve.js";
import type { Decision, PolicyRequest, SessionFacts, ToolResult } from "../../contract/index.js";
import type { ResultVerdict } from "../../eval/core/results.js";
import type { AppliedResult } from "../../eval/result-apply.js";
import type { AuthorizationInit, SettleOutcome, Usage } from "../authorization.js";
import type { Estimate, PlannedCounter, PreparedBudget } from "../budget-plan.js";
import type { ApprovalRecord, ReserveRequest, Store } from "../store/store.js";

export interface AuthorizeOptions {
  /**
   * At most 256 characters. The first call under a key (per principal and session) is admitted once; a
   * retry gets `effect: "replay"` and what happened to the first call, never a second run. Derive it on the
   * server side (e.g. from your own request id); never from the JSON-RPC id, which the client chooses.
   */
  idempotencyKey?: string;
  /** What to reserve for budgets whose usage is known only after the call (tokens; cost without `from`). */
  estimate?: Estimate;
}

/** The policy a call is decided and bound with: taken once per call. */
export interface Loaded {
  readonly policy: Policy;
  readonly prepared: ReadonlyMap<string, PreparedBudget>;
  /** What approvals and idempotency fingerprints are bound to: the policy's fingerprint. */
  readonly version: string;
}

/** The engine's settings the phases read (validated by the engine). */
export interface EngineSettings {
  readonly timeoutMs: number;
  readonly sessionTtlMs: number;
  readonly approvalTtlMs: number;
  readonly idempotencyTtlMs: number;
  readonly allowSelfApproval: boolean;
}

/** What the phases use of the engine: its store, settings, clock bounds and callbacks. One per engine. */
export interface EngineEnv {
  readonly store: Store;
  readonly settings: EngineSettings;
  /** Decide with DNS (`policy.decideAsync`) when set. */
  readonly dns: ResolveOptions | undefined;
  /** Bounds one store operation by `settings.timeoutMs`; a plain value passes straight through. */
  timeout<T>(op: T | Promise<T>): T | Promise<T>;
  /** A unique id (reservations, idempotency tokens). */
  newId(): string;
  /** Cancel a reservation in the background (retried); never throws. */
  cancel(reservationId: string): void;
  /** Ask the host's `onApprovalRequest` about a new approval request; undefined when there is none. */
  readonly askHook: ((approval: ApprovalRecord) => Promise<"approved" | "rejected" | "pending">) | undefined;
}

/** What an allowed call reserved in the store, for the settle phase. */
export interface Reserved {
  readonly id: string;
  readonly counters: readonly PlannedCounter[];
  /** The window each counter was charged in (the store's answer). */
  readonly windows: readonly number[];
  readonly idempotency?: { readonly key: string; readonly token: string };
}

/** A phase that threw (or rejected): its name and what it said. */
export interface PhaseFault {
  readonly phase: string;
  readonly message: string;
}

/**
 * Marks of the call's life, on the store's clock (epoch ms): the store's answers carry `now`, so they
 * cost nothing. The engine reads no clock of its own on the hot path (a clock read costs about 100 ns
 * on a virtual machine, a tenth of an authorization); the audit phase reads one when it emits.
 */
export interface Timings {
  /** When the store reserved the call (or refused it): the reserve answer's `now`. */
  reservedAt: number | undefined;
}

/** The state of a call after its tool ran: what the host asked, and how the settlement went. */
export interface AfterTool {
  /** Given by the host when it settles. */
  action: "commit" | "rollback" | undefined;
  usage: Usage | undefined;
  /** The tool's result (for result rules: not given yet, `commit` takes usage only). */
  result: ToolResult | undefined;
  /** Settle and record: the answer to the host's commit or rollback. */
  settled: SettleOutcome | undefined;
  /** How the reservation was settled, once it was. */
  settledAs: "commit" | "rollback" | undefined;
  /**
   * A settle is on its way to the store (`in-flight`), or one may have been applied without an answer
   * (`unknown`): no other may start. Claimed before any phase after the tool runs.
   */
  settling: "in-flight" | "unknown" | undefined;
  /** The settle reached the store (it may have been applied), for a settle phase that then failed. */
  sent: boolean;
  /** The phases after the tool ran once (a call that reserved nothing settles once, answers the same after). */
  ran: boolean;
  /** Inspect result: what the result blocks said, and what of the result may be passed on. */
  /** Settle carried the session record and the store failed (record-session withholds the result). */
  sessionError?: string;
  inspected?: { readonly verdict: ResultVerdict; readonly applied: AppliedResult; readonly fingerprints?: Readonly<Record<string, readonly string[]>> };
}

export interface CallContext {
  // ---- given when the call starts ----
  /** The host's request, as given (never changed). */
  readonly input: PolicyRequest;
  readonly options: AuthorizeOptions | undefined;
  readonly loaded: Loaded;
  /** Whether a new approval request may be put to the host's `onApprovalRequest` (false on the second pass). */
  readonly askHook: boolean;
  /** Set by reserve when the store answered. */
  timings?: Timings;

  // ---- normalize ----
  /** The method, `tools/call` when the request names none. */
  method: unknown;
  /** What the call acts on (tool, resource or prompt name), when the request names one. */
  target: string | undefined;
  /** What is wrong with `options`, if anything (acted on by reserve, after the policy's own deny). */
  optionsProblem?: string;

  // ---- load session facts ----
  /** What the policy decides on: `input`, or a copy carrying the session facts loaded (none yet). */
  request: PolicyRequest;
  /** The facts loaded from the session state (issue 14), when the policy reads any. */
  session?: SessionFacts;
  /** The session's store key and the version its facts were loaded at (reserve checks it). */
  sessionState?: { readonly key: string; readonly version: number };

  // ---- decide ----
  decision: Decision | undefined;
  /** With `dns`: the addresses each `url(...)` argument's host resolved to, all checked. */
  resolved?: ResolvedUrl[];

  // ---- reserve ----
  /** The counters the call is charged to. */
  counters: readonly PlannedCounter[];
  approval?: NonNullable<ReserveRequest["approval"]>;
  idempotency?: NonNullable<ReserveRequest["idempotency"]>;
  /** Set as soon as the store answered `ok`: what to give back if anything fails after it. */
  reserved: Reserved | undefined;
  /** The call stage's answer: set by the phase that knows the effect (decide on a deny, else reserve). */
  outcome: AuthorizationInit | undefined;
  /** The call ends before the tool (deny, replay, pending approval): the call stage stops, the end stage runs. */
  ended: boolean;
  /** The host approved on the spot (onApprovalRequest): the engine runs the call again, with a new context. */
  again?: boolean;

  // ---- after the tool ran (result and end stages) ----
  /** Made at the host's first commit or rollback (or when a charge is given back after a fault). */
  after?: AfterTool;

  // ---- every phase ----
  /** Phases that threw: a fault before the tool denies; after it, the settlement still happens. */
  faults?: PhaseFault[];
  /** The session event of this call was recorded (once per call, whatever the end stage runs). */
  sessionRecorded?: boolean;
}

/**
 * A new context for one call: an object literal with the fields every call goes through (a class with
 * field initializers defines each field one by one, and every field costs an authorization without
 * budgets about 1 ns: the hot path).
 */
export function newCallContext(input: PolicyRequest, options: AuthorizeOptions | undefined, loaded: Loaded, askHook: boolean): CallContext {
  return {
    input,
    options,
    loaded,
    askHook,
    method: undefined,
    target: undefined,
    request: input,
    decision: undefined,
    counters: NO_COUNTERS,
    reserved: undefined,
    outcome: undefined,
    ended: false,
  };
}

const NO_COUNTERS: readonly PlannedCounter[] = Object.freeze([]);

/**
 * One named step of the engine, in one of three stages:
 * - `call`: in `authorize`, before the tool. The first fault (a throw or a rejection) stops the stage
 *   and denies the call; a phase that ends the call (deny, replay, pending approval) sets `ctx.outcome`
 *   and `ctx.ended`, and the stage stops there.
 * - `result`: once the host settles an allowed call (commit or rollback), after the tool. Every phase
 *   runs, even after a fault in an earlier one: the tool ran, so the call is settled whatever happened.
 * - `end`: once per call, last: after the call stage when the call ended there, else after the result
 *   stage. Every phase runs; a fault changes nothing of the call's answer.
 * A phase with nothing to do returns.
 */
export interface Phase {
  readonly name: string;
  readonly stage: "call" | "result" | "end";
  run(ctx: CallContext, env: EngineEnv): void | Promise<void>;
}

/** The call's state after the tool, made on first use. */
export function afterOf(ctx: CallContext): AfterTool {
  return (ctx.after ??= { action: undefined, usage: undefined, result: undefined, settled: undefined, settledAs: undefined, settling: undefined, sent: false, ran: false });
}
